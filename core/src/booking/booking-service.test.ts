import { beforeEach, describe, expect, it } from '@jest/globals';
import type { Slot } from '../domain/slot.js';
import { MemoryStateStore } from '../state/memory-state-store.js';
import { ManualClock } from '../testing/manual-clock.js';
import { MemoryBookingPort } from '../testing/memory-booking-port.js';
import { makeLocation, makeProvider } from '../testing/memory-source.js';
import { RecordingLogger } from '../testing/recording-logger.js';
import type { BookingRequest } from './booking.js';
import { BOOKINGS_NAMESPACE, BookingService, type BookingResult } from './booking-service.js';

const clinic = makeLocation(1, { id: 'LOC1' });
const provider = makeProvider(1, { locations: [clinic] });
const slots: Slot[] = [
  {
    id: 'SLT1',
    date: '2026-03-09',
    time: '09:00',
    durationMinutes: 30,
    available: true,
    locationId: clinic.id,
    visitType: 'new_patient',
  },
  {
    id: 'SLT2',
    date: '2026-03-09',
    time: '09:30',
    durationMinutes: 30,
    available: true,
    locationId: clinic.id,
    visitType: 'follow_up',
  },
];

const request = (slotId = 'SLT1', lastName = 'Rivera'): BookingRequest => ({
  providerId: provider.id,
  slotId,
  patient: { firstName: 'Ana', lastName, birthDate: '1980-04-02', phone: '+1 312 555 0100' },
});

let clock: ManualClock;
let state: MemoryStateStore;
let port: MemoryBookingPort;
let service: BookingService;
let scheduleReads: number;
const signal = () => AbortSignal.timeout(10_000);

beforeEach(() => {
  clock = new ManualClock('2026-03-02T15:00:00.000Z');
  state = new MemoryStateStore({ clock });
  port = new MemoryBookingPort();
  scheduleReads = 0;
  service = new BookingService(
    {
      records: state,
      leases: state,
      port,
      schedules: {
        getProvider: async (id) => (id === provider.id ? provider : undefined),
        getSchedule: async () => {
          scheduleReads++;
          return slots;
        },
      },
      clock,
      logger: new RecordingLogger(),
    },
    { horizonDays: 14, lockWaitMs: 5_000, lockTtlMs: 30_000, pendingRetentionMs: 3_600_000 },
  );
});

describe('BookingService', () => {
  it('books once, with start and end at the location, and keeps no patient data afterwards', async () => {
    const { booking, replayed } = await service.book('client', 'key-1', request(), signal());
    expect(replayed).toBe(false);
    expect(booking).toMatchObject({
      providerId: provider.id,
      slotId: 'SLT1',
      locationId: 'LOC1',
      start: '2026-03-09T09:00:00-05:00',
      end: '2026-03-09T09:30:00-05:00',
      status: 'booked',
      partner: 'memory-partner',
      partnerId: 'Appointment/1',
    });
    expect(booking.id).toMatch(/^BKG[0-9A-F]{20}$/);
    expect(port.requests).toHaveLength(1);
    expect(port.requests[0]).toMatchObject({ reference: booking.id, patient: request().patient });
    const stored = await state.getRecord(BOOKINGS_NAMESPACE, booking.id);
    expect(stored?.value).not.toContain('Rivera');
    expect(stored?.value).not.toContain('1980-04-02');
    expect(await service.get(booking.id)).toEqual(booking);
  });

  it('answers the same key with the original result, and refuses it for another request', async () => {
    const first = await service.book('client', 'key-1', request(), signal());
    const again = await service.book('client', 'key-1', request(), signal());
    expect(again).toEqual({ booking: first.booking, replayed: true });
    await expect(service.book('client', 'key-1', request('SLT2'), signal())).rejects.toMatchObject({
      failure: 'idempotency_key_reused',
    });
    // Another client's identical key is another booking (of another slot here).
    const other = await service.book('other-client', 'key-1', request('SLT2'), signal());
    expect(other.booking.id).not.toBe(first.booking.id);
    expect(port.requests).toHaveLength(2);
  });

  it('books a slot once when 50 requests with different keys race for it', async () => {
    port.delayMs = 5;
    const results = await Promise.all(
      Array.from({ length: 50 }, (_, i) => service.book('client', `key-${i}`, request(), signal())),
    );
    const booked = results.filter((r) => r.booking.status === 'booked');
    const refused = results.filter((r) => r.booking.status === 'refused');
    expect(booked).toHaveLength(1);
    expect(refused).toHaveLength(49);
    expect(refused.every((r) => r.booking.refusal?.code === 'slot_unavailable')).toBe(true);
    expect(port.activeFor(provider.id, 'SLT1')).toBe(1);
    // The slot this service booked is refused without asking the partner again.
    expect(port.requests).toHaveLength(1);
  });

  it('sends once when the same key arrives 10 times at once, and answers each identically', async () => {
    port.delayMs = 20;
    const results: BookingResult[] = await Promise.all(
      Array.from({ length: 10 }, () => service.book('client', 'same', request(), signal())),
    );
    expect(port.requests).toHaveLength(1);
    expect(new Set(results.map((r) => JSON.stringify(r.booking))).size).toBe(1);
    expect(results.filter((r) => !r.replayed)).toHaveLength(1);
  });

  it('keeps a booking pending when the partner is down, and books it on the retry', async () => {
    port.mode = 'down';
    await expect(service.book('client', 'key-1', request(), signal())).rejects.toMatchObject({
      failure: 'partner_unavailable',
    });
    const [pending] = await state.listRecords(BOOKINGS_NAMESPACE);
    expect(JSON.parse(pending?.value ?? '{}')).toMatchObject({ booking: { status: 'pending' } });
    expect(port.bookings.size).toBe(0);

    port.mode = 'normal';
    const { booking, replayed } = await service.book('client', 'key-1', request(), signal());
    expect({ status: booking.status, replayed }).toEqual({ status: 'booked', replayed: true });
    expect(port.requests.map((r) => r.reference)).toEqual([booking.id, booking.id]);
  });

  it('looks a booking up before sending it again when the answer was lost', async () => {
    port.mode = 'answer-lost';
    await expect(service.book('client', 'key-1', request(), signal())).rejects.toMatchObject({
      failure: 'partner_unavailable',
    });
    expect(port.bookings.size).toBe(1);

    port.mode = 'normal';
    const { booking } = await service.book('client', 'key-1', request(), signal());
    expect(booking).toMatchObject({ status: 'booked', partnerId: 'Appointment/1' });
    // Reconciled by lookup: no second request reached the partner.
    expect(port.requests).toHaveLength(1);
  });

  it('settles pending bookings at start (reconcile), by lookup or by sending', async () => {
    port.mode = 'answer-lost';
    await service.book('client', 'lost', request('SLT1'), signal()).catch(() => undefined);
    port.mode = 'down';
    await service.book('client', 'unsent', request('SLT2'), signal()).catch(() => undefined);
    port.mode = 'normal';
    expect(await service.reconcile(signal())).toBe(0);
    const statuses = (await state.listRecords(BOOKINGS_NAMESPACE)).map(
      (r) => (JSON.parse(r.value) as { booking: { status: string } }).booking.status,
    );
    expect(statuses).toEqual(['booked', 'booked']);
    expect(port.requests.map((r) => r.slot.id)).toEqual(['SLT1', 'SLT2', 'SLT2']);
  });

  it('refuses an unknown provider or slot without recording anything', async () => {
    await expect(
      service.book('client', 'k', { ...request(), providerId: 'PRV9' }, signal()),
    ).rejects.toMatchObject({ failure: 'provider_not_found' });
    await expect(service.book('client', 'k', request('NOPE'), signal())).rejects.toMatchObject({
      failure: 'slot_not_found',
    });
    expect(await state.listRecords(BOOKINGS_NAMESPACE)).toEqual([]);
    expect(port.requests).toEqual([]);
  });

  it('cancels at the partner and frees the slot for another booking', async () => {
    const { booking } = await service.book('client', 'key-1', request(), signal());
    const cancelled = await service.cancel(booking.id, signal());
    expect(cancelled).toMatchObject({ id: booking.id, status: 'cancelled' });
    expect(await service.cancel(booking.id, signal())).toEqual(cancelled);
    expect(port.activeFor(provider.id, 'SLT1')).toBe(0);
    const next = await service.book('client', 'key-2', request(), signal());
    expect(next.booking.status).toBe('booked');
    await expect(service.cancel('BKG0', signal())).rejects.toMatchObject({
      failure: 'booking_not_found',
    });
    expect(scheduleReads).toBe(2);
  });

  it('purges the patient data of a booking still pending after the retention', async () => {
    port.mode = 'down';
    await service.book('client', 'never', request('SLT1'), signal()).catch(() => undefined);
    await service
      .book('client', 'still-down', request('SLT2', 'Okafor'), signal())
      .catch(() => undefined);
    const raw = async () => JSON.stringify(await state.listRecords(BOOKINGS_NAMESPACE));
    expect(await raw()).toContain('Rivera');
    // Within the retention nothing changes while the partner is down.
    expect(await service.reconcile(signal())).toBe(2);
    clock.advance(2 * 3_600_000);
    // Past it, with the partner still down: the data goes, the bookings stay pending.
    expect(await service.reconcile(signal())).toBe(2);
    expect(await raw()).not.toContain('Rivera');
    expect(await raw()).not.toContain('Okafor');
    // The partner back and holding none of them: refused, never sent again.
    port.mode = 'normal';
    expect(await service.reconcile(signal())).toBe(0);
    const statuses = (await state.listRecords(BOOKINGS_NAMESPACE)).map(
      (r) =>
        (JSON.parse(r.value) as { booking: { status: string; refusal?: { code: string } } })
          .booking,
    );
    expect(statuses).toEqual([
      expect.objectContaining({
        status: 'refused',
        refusal: expect.objectContaining({ code: 'rejected' }),
      }),
      expect.objectContaining({
        status: 'refused',
        refusal: expect.objectContaining({ code: 'rejected' }),
      }),
    ]);
    expect(port.bookings.size).toBe(0);
  });

  it('settles as booked a booking past the retention that the partner holds', async () => {
    port.mode = 'answer-lost';
    await service.book('client', 'lost', request(), signal()).catch(() => undefined);
    port.mode = 'normal';
    clock.advance(2 * 3_600_000);
    expect(await service.reconcile(signal())).toBe(0);
    const [stored] = await state.listRecords(BOOKINGS_NAMESPACE);
    expect(JSON.parse(stored?.value ?? '{}')).toMatchObject({ booking: { status: 'booked' } });
    expect(port.requests).toHaveLength(1);
  });

  it("asks for the provider's schedule to be watched after a booking, and the booking stands when the watch fails", async () => {
    const watched: string[] = [];
    const logger = new RecordingLogger();
    let fail = false;
    const watching = new BookingService(
      {
        records: state,
        leases: state,
        port,
        schedules: {
          getProvider: async (id) => (id === provider.id ? provider : undefined),
          getSchedule: async () => slots,
        },
        clock,
        logger,
        watch: {
          watchSchedule: async (providerId) => {
            watched.push(providerId);
            if (fail) throw new Error('subscription refused');
          },
        },
      },
      { horizonDays: 14, lockWaitMs: 5_000, lockTtlMs: 30_000 },
    );
    await watching.book('client', 'watch-1', request('SLT1'), signal());
    await watching.flush();
    expect(watched).toEqual([provider.id]);

    fail = true;
    const { booking } = await watching.book('client', 'watch-2', request('SLT2'), signal());
    await watching.flush();
    expect(booking.status).toBe('booked');
    expect(watched).toEqual([provider.id, provider.id]);
    expect(logger.lines).toContainEqual(
      expect.objectContaining({
        level: 'warn',
        fields: expect.objectContaining({ provider: provider.id, reason: 'subscription refused' }),
      }),
    );

    // A refusal watches nothing.
    await watching.book('client', 'watch-3', request('SLT1', 'Other'), signal());
    await watching.flush();
    expect(watched).toHaveLength(2);
  });
});
