import type { Patient, RefusalCode } from '../booking/booking.js';
import type { Location, Provider } from '../domain/provider.js';
import type { Slot } from '../domain/slot.js';
import { createToken } from './token.js';

/** What a partner is asked to book. */
export interface PartnerBookingRequest {
  /**
   * The booking's reference, derived from its idempotency key: every attempt at one booking
   * carries the same reference, so the partner (a FHIR identifier, an HL7 placer id) can tell
   * a retry from a new booking, and {@link BookingPort.find} can look it up.
   */
  readonly reference: string;
  readonly provider: Pick<Provider, 'id' | 'npi' | 'name'>;
  readonly slot: Slot;
  readonly location: Location;
  /** Start and end, RFC 3339 with the location's UTC offset. */
  readonly start: string;
  readonly end: string;
  readonly patient: Patient;
  readonly reason?: string;
}

/** What a partner answered: booked (with its own id of the booking), or refused and why. */
export type PartnerOutcome =
  | { readonly status: 'booked'; readonly partnerId: string }
  | { readonly status: 'refused'; readonly code: RefusalCode; readonly message: string };

/**
 * Books appointments in a partner system: the practice's PMS, over FHIR or HL7 v2. `book`
 * resolves with the partner's answer, or throws when there was none (unreachable, timed out,
 * cut off): the booking's outcome is then unknown, and it is looked up with `find` before
 * anything is sent again. A `PmsbridgeError` of code `PMS_NET_UNREACHABLE` says the request
 * certainly did not reach the partner.
 */
export interface BookingPort {
  /** The partner's name in bookings and logs (its plugin id). */
  readonly name: string;
  book(request: PartnerBookingRequest, signal: AbortSignal): Promise<PartnerOutcome>;
  /** What the partner holds for a reference: the outcome of an earlier `book`, or undefined. */
  find(reference: string, signal: AbortSignal): Promise<PartnerOutcome | undefined>;
  /** Cancels a booking the partner holds; cancelling one already cancelled succeeds. */
  cancel(booking: { reference: string; partnerId: string }, signal: AbortSignal): Promise<void>;
  close?(): Promise<void>;
}

/** Service identifier of {@link BookingPort}. */
export const BookingPortToken = createToken<BookingPort>('BookingPort');
