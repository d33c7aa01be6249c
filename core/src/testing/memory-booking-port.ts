import type { BookingPort, PartnerBookingRequest, PartnerOutcome } from '../ports/booking-port.js';
import { PmsbridgeError } from '../errors/errors.js';

/** How {@link MemoryBookingPort} behaves on the next `book` calls. */
export type MemoryPartnerMode =
  /** Books, one booking per slot (a second is refused `slot_unavailable`). */
  | 'normal'
  /** Unreachable: throws `PMS_NET_UNREACHABLE`, books nothing. */
  | 'down'
  /** Books, then throws as if the answer was lost (a timeout). */
  | 'answer-lost';

/**
 * A booking partner in memory for tests: holds bookings by reference, one per slot, and can
 * be made unreachable or to lose its answers. `requests` counts every `book` call.
 */
export class MemoryBookingPort implements BookingPort {
  readonly name = 'memory-partner';
  mode: MemoryPartnerMode = 'normal';
  /** Every `book` request received, in order (with the patient, as a partner would). */
  readonly requests: PartnerBookingRequest[] = [];
  /** Bookings held: reference → partner id, slot key and status. */
  readonly bookings = new Map<
    string,
    { partnerId: string; slot: string; status: 'booked' | 'cancelled' }
  >();
  /** Waits this long in `book` before answering (lets concurrent requests overlap). */
  delayMs = 0;
  #next = 1;

  async book(request: PartnerBookingRequest): Promise<PartnerOutcome> {
    this.requests.push(request);
    if (this.delayMs > 0) await new Promise((resolve) => setTimeout(resolve, this.delayMs));
    if (this.mode === 'down') {
      throw new PmsbridgeError('PMS_NET_UNREACHABLE', 'memory partner is down');
    }
    const outcome = this.#book(request);
    if (this.mode === 'answer-lost') {
      throw new PmsbridgeError('PMS_NET_TIMEOUT', 'memory partner answer lost');
    }
    return outcome;
  }

  async find(reference: string): Promise<PartnerOutcome | undefined> {
    if (this.mode === 'down')
      throw new PmsbridgeError('PMS_NET_UNREACHABLE', 'memory partner is down');
    const held = this.bookings.get(reference);
    return held === undefined ? undefined : { status: 'booked', partnerId: held.partnerId };
  }

  async cancel({ reference }: { reference: string; partnerId: string }): Promise<void> {
    if (this.mode === 'down')
      throw new PmsbridgeError('PMS_NET_UNREACHABLE', 'memory partner is down');
    const held = this.bookings.get(reference);
    if (held !== undefined) held.status = 'cancelled';
  }

  /** The bookings held for a slot that are not cancelled. */
  activeFor(providerId: string, slotId: string): number {
    return [...this.bookings.values()].filter(
      (b) => b.slot === `${providerId}/${slotId}` && b.status === 'booked',
    ).length;
  }

  #book(request: PartnerBookingRequest): PartnerOutcome {
    const existing = this.bookings.get(request.reference);
    if (existing !== undefined) return { status: 'booked', partnerId: existing.partnerId };
    const slot = `${request.provider.id}/${request.slot.id}`;
    if (this.activeFor(request.provider.id, request.slot.id) > 0) {
      return { status: 'refused', code: 'slot_unavailable', message: 'Slot already booked' };
    }
    const partnerId = `Appointment/${this.#next++}`;
    this.bookings.set(request.reference, { partnerId, slot, status: 'booked' });
    return { status: 'booked', partnerId };
  }
}
