import { createHash } from 'node:crypto';
import type { Location, Provider } from '../domain/provider.js';
import type { Slot } from '../domain/slot.js';
import { isPmsbridgeError } from '../errors/errors.js';
import type { BookingPort, PartnerOutcome } from '../ports/booking-port.js';
import type { Clock } from '../ports/clock.js';
import type { Logger } from '../ports/logger.js';
import type { RecordStore } from '../ports/record-store.js';
import type { ScheduleWatch } from '../ports/schedule-watch.js';
import { lookaheadWindow, type BookableSchedules } from './schedules.js';
import { zonedInstant } from './zoned-instant.js';
import type { Booking, BookingRequest, Patient } from './booking.js';
import { LeaseBusyError, withWaitingLease, type LeaseStore } from './waiting-lease.js';

/** Where bookings are kept (one record per booking, keyed by its id). */
export const BOOKINGS_NAMESPACE = 'bookings';
/** Which booking holds a slot: `<provider id>/<slot id>` → booking id, while it is booked. */
export const SLOT_CLAIMS_NAMESPACE = 'booking-slots';

/** Options of {@link BookingService}. */
export interface BookingServiceOptions {
  /** How far ahead a bookable slot is looked up, in days (one schedule request; ≤ 31). */
  horizonDays: number;
  /** How long a request waits for another request on the same slot or key. */
  lockWaitMs: number;
  /** How long a crashed holder on another machine blocks a slot or key. */
  lockTtlMs: number;
  /**
   * How long a booking whose outcome is unknown keeps its patient's data, so that it can be
   * sent again if the partner has none; after that the data is purged and, unless the
   * partner has the booking, it ends refused. Default 72 hours.
   */
  pendingRetentionMs?: number;
}

/** Default {@link BookingServiceOptions.pendingRetentionMs}: 72 hours. */
export const DEFAULT_PENDING_RETENTION_MS = 72 * 3_600_000;

/** Collaborators of {@link BookingService}. */
export interface BookingServiceDeps {
  records: RecordStore;
  leases: LeaseStore;
  port: BookingPort;
  schedules: BookableSchedules;
  clock: Clock;
  logger: Logger;
  /**
   * Watches the schedule of each provider booked, so that the booking's effect (and every
   * later change there) reaches the sinks without waiting for the next sync. A watch that
   * fails is logged; the booking stands.
   */
  watch?: ScheduleWatch;
}

/** A booking as the outbox keeps it: the patient only while the outcome is unknown. */
interface BookingEntry {
  booking: Booking;
  /** A hash of what was asked: the same key with another request is refused. */
  fingerprint: string;
  patient?: Patient;
  reason?: string;
  /** When the request was last handed to the partner, while no answer came back. */
  sentAt?: string;
}

/** What {@link BookingService.book} did. */
export interface BookingResult {
  booking: Booking;
  /** True when the key had been used before: this is the original result. */
  replayed: boolean;
}

/** Why a booking request was not taken, as the HTTP API maps it. */
export type BookingFailure =
  | 'idempotency_key_reused'
  | 'provider_not_found'
  | 'slot_not_found'
  | 'booking_not_found'
  | 'not_cancellable'
  | 'partner_unavailable'
  | 'busy';

/** A request the booking service did not take: {@link BookingFailure} and a message. */
export class BookingError extends Error {
  constructor(
    readonly failure: BookingFailure,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'BookingError';
  }
}

/** `BKG` and 20 hex digits of a hash of the client and its idempotency key. */
export function bookingIdOf(client: string, idempotencyKey: string): string {
  const digest = createHash('sha256').update(client).update('\u0000').update(idempotencyKey);
  return `BKG${digest.digest('hex').slice(0, 20).toUpperCase()}`;
}

function fingerprintOf(request: BookingRequest): string {
  return createHash('sha256').update(JSON.stringify(request)).digest('hex');
}

const isFinal = (booking: Booking) => booking.status !== 'pending';

/**
 * Books slots through a partner exactly once per idempotency key. The booking is written to
 * the state store (the outbox) before anything is sent, with the patient; a request for a
 * key already used returns the original result (or, while it is pending, waits for it or
 * finishes it). An outcome left unknown by a timeout or a crash is looked up at the partner
 * (`find`) before anything is sent again. Requests for one slot take turns under a lease,
 * and a slot this service booked is refused to the others without asking the partner. The
 * patient's data is dropped as soon as the outcome is known.
 */
export class BookingService {
  /** A scrub of the store, due after patient data was dropped (see {@link flush}). */
  #scrub: { timer: NodeJS.Timeout; done: Promise<void>; run: () => void } | undefined;
  /** Watches asked for after bookings, not yet settled. */
  readonly #watching = new Set<Promise<void>>();

  constructor(
    private readonly deps: BookingServiceDeps,
    private readonly options: BookingServiceOptions,
  ) {}

  /**
   * Waits for the schedule watches asked for after bookings, then runs a pending scrub of
   * the state store now: patient data dropped from settled bookings becomes unrecoverable
   * from its files. Scrubs otherwise run within a second of settling.
   */
  async flush(): Promise<void> {
    await Promise.all(this.#watching);
    const pending = this.#scrub;
    if (pending === undefined) return;
    clearTimeout(pending.timer);
    pending.run();
    await pending.done;
  }

  #scrubSoon(): void {
    if (this.#scrub !== undefined || this.deps.records.scrub === undefined) return;
    let run = (): void => undefined;
    const done = new Promise<void>((resolve) => {
      run = () => {
        this.#scrub = undefined;
        this.deps.records
          .scrub?.()
          .catch((error: unknown) =>
            this.deps.logger.warn('state store scrub failed', {
              reason: error instanceof Error ? error.message : String(error),
            }),
          )
          .finally(resolve);
      };
    });
    const timer = setTimeout(run, 1000);
    timer.unref();
    this.#scrub = { timer, done, run };
  }

  /** The booking of this id, or undefined. */
  async get(id: string): Promise<Booking | undefined> {
    return (await this.#read(id))?.entry.booking;
  }

  /**
   * Books `request` under `idempotencyKey` of `client` (an API key id: keys of different
   * clients never collide). Throws a {@link BookingError} for a request it cannot take.
   */
  async book(
    client: string,
    idempotencyKey: string,
    request: BookingRequest,
    signal: AbortSignal,
  ): Promise<BookingResult> {
    const id = bookingIdOf(client, idempotencyKey);
    const fingerprint = fingerprintOf(request);
    const existing = await this.#read(id);
    if (existing !== undefined) return this.#resume(id, fingerprint, signal);

    const { provider, slot, location } = await this.#bookable(request, signal);
    const now = this.deps.clock.now().toISOString();
    const entry: BookingEntry = {
      booking: {
        id,
        providerId: provider.id,
        slotId: slot.id,
        locationId: location.id,
        ...zonedInstant(slot, location),
        visitType: slot.visitType,
        status: 'pending',
        partner: this.deps.port.name,
        createdAt: now,
        updatedAt: now,
      },
      fingerprint,
      patient: request.patient,
      ...(request.reason === undefined ? {} : { reason: request.reason }),
    };
    const created = await this.deps.records.createRecord(
      BOOKINGS_NAMESPACE,
      id,
      JSON.stringify(entry),
    );
    // Another request with this key got there first.
    if (!created) return this.#resume(id, fingerprint, signal);
    return {
      booking: await this.#drive(id, signal, { provider, slot, location }),
      replayed: false,
    };
  }

  /** Cancels a booking at the partner; cancelling a cancelled booking returns it as it is. */
  async cancel(id: string, signal: AbortSignal): Promise<Booking> {
    return this.#holding(`booking:${id}`, signal, async () => {
      const read = await this.#read(id);
      if (read === undefined) throw new BookingError('booking_not_found', `No booking ${id}`);
      const { booking } = read.entry;
      if (booking.status === 'cancelled') return booking;
      if (booking.status !== 'booked' || booking.partnerId === undefined) {
        throw new BookingError(
          'not_cancellable',
          `Booking ${id} is ${booking.status}; only a booked booking can be cancelled`,
        );
      }
      try {
        await this.deps.port.cancel({ reference: id, partnerId: booking.partnerId }, signal);
      } catch (cause) {
        throw this.#unavailable(cause);
      }
      const cancelled = await this.#finish(id, read, { status: 'cancelled' });
      await this.deps.records.deleteRecord(
        SLOT_CLAIMS_NAMESPACE,
        `${booking.providerId}/${booking.slotId}`,
      );
      this.deps.logger.info('booking cancelled', { booking: id, partner: this.deps.port.name });
      return cancelled;
    });
  }

  /**
   * Settles bookings left pending by a crash or an unanswered request: each is looked up at
   * the partner, and finished as booked or refused, or sent again when the partner has none.
   * Returns how many are still pending.
   */
  async reconcile(signal: AbortSignal): Promise<number> {
    let pending = 0;
    const retentionMs = this.options.pendingRetentionMs ?? DEFAULT_PENDING_RETENTION_MS;
    const nowMs = this.deps.clock.now().getTime();
    for (const listed of await this.deps.records.listRecords(BOOKINGS_NAMESPACE)) {
      const entry = JSON.parse(listed.value) as BookingEntry;
      if (isFinal(entry.booking)) continue;
      const id = entry.booking.id;
      try {
        const expired = nowMs - Date.parse(entry.booking.createdAt) > retentionMs;
        const booking = expired ? await this.#expire(id, signal) : await this.#drive(id, signal);
        if (!isFinal(booking)) pending++;
      } catch (error) {
        pending++;
        this.deps.logger.warn('pending booking not settled', {
          booking: id,
          reason: error instanceof Error ? error.message : String(error),
        });
      }
    }
    return pending;
  }

  /**
   * A booking pending past the retention: settled if the partner has it; else its patient's
   * data is purged and it ends refused (or, when the partner cannot be asked, stays pending
   * without the data, to be looked up later).
   */
  async #expire(id: string, signal: AbortSignal): Promise<Booking> {
    return this.#holding(`booking:${id}`, signal, async () => {
      const read = await this.#read(id);
      if (read === undefined) throw new BookingError('booking_not_found', `No booking ${id}`);
      if (isFinal(read.entry.booking)) return read.entry.booking;
      let found: PartnerOutcome | undefined;
      try {
        found = await this.deps.port.find(id, signal);
      } catch (error) {
        const { patient: _patient, reason: _reason, ...kept } = read.entry;
        await this.#update(id, { entry: kept, version: read.version }, {});
        this.#scrubSoon();
        this.deps.logger.warn("pending booking's patient data purged after the retention", {
          booking: id,
        });
        throw error;
      }
      if (found !== undefined) return this.#settle(id, read, found);
      this.deps.logger.warn('pending booking refused after the retention', { booking: id });
      return this.#finish(id, read, {
        status: 'refused',
        refusal: {
          code: 'rejected',
          message:
            'Not confirmed by the partner within the retention period; the patient data was purged and the request not sent again',
        },
      });
    });
  }

  /** The same key again: the original result, or the pending booking carried on. */
  async #resume(id: string, fingerprint: string, signal: AbortSignal): Promise<BookingResult> {
    const read = await this.#read(id);
    if (read === undefined) throw new BookingError('booking_not_found', `No booking ${id}`);
    if (read.entry.fingerprint !== fingerprint) {
      throw new BookingError(
        'idempotency_key_reused',
        'This Idempotency-Key was used for another booking request; use a new key for a new request',
      );
    }
    if (isFinal(read.entry.booking)) return { booking: read.entry.booking, replayed: true };
    return { booking: await this.#drive(id, signal), replayed: true };
  }

  /**
   * Takes a pending booking to its outcome, holding its lease: looks it up at the partner if
   * it may have been sent, refuses it if this service booked its slot for another booking,
   * else sends it. Throws `partner_unavailable` when the partner gave no answer; the booking
   * then stays pending, with the patient, for a retry or {@link reconcile}.
   */
  async #drive(
    id: string,
    signal: AbortSignal,
    known?: { provider: Provider; slot: Slot; location: Location },
  ): Promise<Booking> {
    return this.#holding(`booking:${id}`, signal, async () => {
      const read = await this.#read(id);
      if (read === undefined) throw new BookingError('booking_not_found', `No booking ${id}`);
      if (isFinal(read.entry.booking)) return read.entry.booking;
      if (read.entry.sentAt !== undefined) {
        const found = await this.#find(id, signal);
        if (found !== undefined) return this.#settle(id, read, found);
      }
      const { booking } = read.entry;
      const slotKey = `${booking.providerId}/${booking.slotId}`;
      return this.#holding(`booking-slot:${slotKey}`, signal, async () => {
        const claim = await this.deps.records.getRecord(SLOT_CLAIMS_NAMESPACE, slotKey);
        if (claim !== undefined && claim.value !== id) {
          return this.#finish(id, read, {
            status: 'refused',
            refusal: { code: 'slot_unavailable', message: 'The slot is already booked' },
          });
        }
        const { patient, reason } = read.entry;
        if (patient === undefined) {
          // Purged after the retention, and the partner has no such booking: it cannot be sent.
          return this.#finish(id, read, {
            status: 'refused',
            refusal: {
              code: 'rejected',
              message:
                'Not confirmed by the partner within the retention period; the patient data was purged and the request not sent again',
            },
          });
        }
        const target = known ?? (await this.#bookable(booking, signal));
        const sent = await this.#update(id, read, { sentAt: this.deps.clock.now().toISOString() });
        let outcome: PartnerOutcome;
        try {
          outcome = await this.deps.port.book(
            {
              reference: id,
              provider: target.provider,
              slot: target.slot,
              location: target.location,
              ...zonedInstant(target.slot, target.location),
              patient,
              ...(reason === undefined ? {} : { reason }),
            },
            signal,
          );
        } catch (cause) {
          if (isPmsbridgeError(cause) && cause.code === 'PMS_NET_UNREACHABLE') {
            // Certainly not sent: nothing to look up next time.
            await this.#update(id, sent, { sentAt: undefined });
          }
          this.deps.logger.warn('booking sent without an answer; it stays pending', {
            booking: id,
            partner: this.deps.port.name,
          });
          throw this.#unavailable(cause);
        }
        return this.#settle(id, sent, outcome);
      });
    });
  }

  /** Records the partner's answer: booked (claiming the slot) or refused. */
  async #settle(
    id: string,
    read: { entry: BookingEntry; version: number },
    outcome: PartnerOutcome,
  ): Promise<Booking> {
    const { booking } = read.entry;
    if (outcome.status === 'booked') {
      const slotKey = `${booking.providerId}/${booking.slotId}`;
      await this.deps.records.createRecord(SLOT_CLAIMS_NAMESPACE, slotKey, id);
      this.deps.logger.info('booked', { booking: id, partner: this.deps.port.name });
      const booked = await this.#finish(id, read, {
        status: 'booked',
        partnerId: outcome.partnerId,
      });
      this.#watchSchedule(booked.providerId);
      return booked;
    }
    this.deps.logger.info('booking refused', { booking: id, code: outcome.code });
    return this.#finish(id, read, {
      status: 'refused',
      refusal: { code: outcome.code, message: outcome.message },
    });
  }

  /** Asks, in the background, for the provider's schedule to be watched. */
  #watchSchedule(providerId: string): void {
    const watch = this.deps.watch;
    if (watch === undefined) return;
    const watching: Promise<void> = watch
      .watchSchedule(providerId)
      .catch((error: unknown) =>
        this.deps.logger.warn("the booked provider's schedule could not be watched", {
          provider: providerId,
          reason: error instanceof Error ? error.message : String(error),
        }),
      )
      .finally(() => this.#watching.delete(watching));
    this.#watching.add(watching);
  }

  /** Sets the outcome and drops what only sending needed: the patient and the reason. */
  async #finish(
    id: string,
    read: { entry: BookingEntry; version: number },
    change: Partial<Booking>,
  ): Promise<Booking> {
    const booking: Booking = {
      ...read.entry.booking,
      ...change,
      updatedAt: this.deps.clock.now().toISOString(),
    };
    await this.#replace(id, read.version, { booking, fingerprint: read.entry.fingerprint });
    this.#scrubSoon();
    return booking;
  }

  async #update(
    id: string,
    read: { entry: BookingEntry; version: number },
    change: Partial<BookingEntry>,
  ): Promise<{ entry: BookingEntry; version: number }> {
    const entry = { ...read.entry, ...change };
    await this.#replace(id, read.version, entry);
    return { entry, version: read.version + 1 };
  }

  /** Writes the entry over the version read; the lease held makes a conflict a bug. */
  async #replace(id: string, version: number, entry: BookingEntry): Promise<void> {
    const json = JSON.stringify(entry);
    if (!(await this.deps.records.updateRecord(BOOKINGS_NAMESPACE, id, json, version))) {
      throw new Error(`Booking ${id} changed while its lease was held`);
    }
  }

  async #read(id: string): Promise<{ entry: BookingEntry; version: number } | undefined> {
    const stored = await this.deps.records.getRecord(BOOKINGS_NAMESPACE, id);
    return stored === undefined
      ? undefined
      : { entry: JSON.parse(stored.value) as BookingEntry, version: stored.version };
  }

  async #find(id: string, signal: AbortSignal): Promise<PartnerOutcome | undefined> {
    try {
      return await this.deps.port.find(id, signal);
    } catch (cause) {
      throw this.#unavailable(cause);
    }
  }

  /** The provider, the slot (free or not) and its location, or a `*_not_found` error. */
  async #bookable(
    request: Pick<BookingRequest, 'providerId' | 'slotId'>,
    signal: AbortSignal,
  ): Promise<{ provider: Provider; slot: Slot; location: Location }> {
    let provider: Provider | undefined;
    let slots: Slot[];
    try {
      provider = await this.deps.schedules.getProvider(request.providerId, signal);
      if (provider === undefined) {
        throw new BookingError('provider_not_found', `No provider ${request.providerId}`);
      }
      slots = await this.deps.schedules.getSchedule(
        provider.id,
        lookaheadWindow(this.deps.clock.now(), this.options.horizonDays),
        signal,
      );
    } catch (error) {
      if (error instanceof BookingError) throw error;
      throw new BookingError(
        'partner_unavailable',
        'The provider directory did not answer; nothing was booked',
        { cause: error },
      );
    }
    const slot = slots.find((s) => s.id === request.slotId);
    const location = provider.locations?.find((l) => l.id === slot?.locationId);
    if (slot === undefined || location === undefined) {
      throw new BookingError(
        'slot_not_found',
        `Provider ${provider.id} has no slot ${request.slotId} in the next ${this.options.horizonDays} days`,
      );
    }
    return { provider, slot, location };
  }

  async #holding<T>(lease: string, signal: AbortSignal, body: () => Promise<T>): Promise<T> {
    const { lockWaitMs: waitMs, lockTtlMs: ttlMs } = this.options;
    try {
      return await withWaitingLease(this.deps.leases, lease, { waitMs, ttlMs, signal }, body);
    } catch (error) {
      if (error instanceof LeaseBusyError) {
        throw new BookingError('busy', 'Another request for this booking or slot is in progress');
      }
      throw error;
    }
  }

  #unavailable(cause: unknown): BookingError {
    return new BookingError(
      'partner_unavailable',
      'The booking partner did not answer; the booking stays pending and is looked up before it is sent again',
      { cause },
    );
  }
}
