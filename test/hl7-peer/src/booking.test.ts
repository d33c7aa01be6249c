/**
 * The peer as a filler application, driven by the adapter's HL7 v2 booking partner over
 * MLLP: what pmsbridge's booking service relies on, end to end.
 */
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { createServer, type AddressInfo } from 'node:net';
import { hl7BookingPlugin } from '@pmsbridge/adapter-hl7v2';
import type { Location, PartnerBookingRequest } from '@pmsbridge/core';
import { createPlugin, makeProvider, RecordingLogger } from '@pmsbridge/core/testing';
import { startHl7Peer, type Hl7Peer } from './hl7-peer.js';

const clinic: Location = {
  id: 'LOC0000000001',
  name: 'Lakeview Clinic',
  address: {
    lines: ['1 Main St'],
    city: 'Chicago',
    state: 'IL',
    postalCode: '60601',
    country: 'US',
  },
  timezone: 'America/Chicago',
};
const provider = makeProvider(1, { locations: [clinic] });

/** The patient's data: none of it may appear in a log line. */
const PATIENT = {
  firstName: 'Ana',
  lastName: 'Rivera',
  birthDate: '1980-04-02',
  phone: '+1 312 555 0199',
  email: 'ana.rivera@example.org',
};
const REASON = 'Persistent migraine';

function booking(reference: string, time = '09:00'): PartnerBookingRequest {
  return {
    reference,
    provider,
    location: clinic,
    slot: {
      id: `SLT-${time}`,
      date: '2026-03-09',
      time,
      durationMinutes: 30,
      available: true,
      locationId: clinic.id,
      visitType: 'new_patient',
    },
    start: `2026-03-09T${time}:00-05:00`,
    end: '2026-03-09T09:30:00-05:00',
    patient: PATIENT,
    reason: REASON,
  };
}

const signal = () => AbortSignal.timeout(10_000);

let peer: Hl7Peer;
let logger: RecordingLogger;
let partners: Array<{ close?(): Promise<void> }>;

async function partner(options: Record<string, unknown> = {}) {
  const made = await createPlugin(hl7BookingPlugin, {
    options: { host: '127.0.0.1', port: peer.port, ackTimeoutMs: 2_000, ...options },
    name: 'hl7-partner',
    services: { logger },
  });
  partners.push(made);
  return made;
}

beforeEach(async () => {
  peer = await startHl7Peer();
  logger = new RecordingLogger();
  partners = [];
});

afterEach(async () => {
  for (const made of partners) await made.close?.();
  await peer.close();
});

describe('the HL7 v2 booking partner against the peer', () => {
  it('books a free slot: AA with the filler appointment id, one booking at the peer', async () => {
    const port = await partner();
    expect(await port.book(booking('BKG1'), signal())).toEqual({
      status: 'booked',
      partnerId: 'APT1',
    });
    expect(peer.bookings()).toEqual([
      expect.objectContaining({
        placerId: 'BKG1',
        fillerId: 'APT1',
        practitioner: provider.npi,
        start: '20260309090000-0500',
        slotId: 'SLT-09:00',
        location: clinic.id,
        service: 'NEW',
        status: 'Booked',
      }),
    ]);
    expect(peer.received().map((m) => [m.type, m.reply])).toEqual([['SRM^S01', 'AA']]);
  });

  it('answers a resend of the same reference with the same booking, not a second', async () => {
    const port = await partner();
    const first = await port.book(booking('BKG1'), signal());
    expect(await port.book(booking('BKG1'), signal())).toEqual(first);
    expect(peer.bookings()).toHaveLength(1);
    const [sent, resent] = peer.received();
    expect(resent?.controlId).toBe(sent?.controlId);
  });

  it('refuses another reference for a booked slot as slot_unavailable', async () => {
    const port = await partner();
    await port.book(booking('BKG1'), signal());
    expect(await port.book(booking('BKG2'), signal())).toEqual({
      status: 'refused',
      code: 'slot_unavailable',
      message: 'The slot is already booked',
    });
    expect(await port.book(booking('BKG3', '10:00'), signal())).toMatchObject({
      status: 'booked',
    });
    expect(peer.bookings().map((b) => b.placerId)).toEqual(['BKG1', 'BKG3']);
  });

  it('finds a booking by its reference (SQM^S25), and nothing for an unknown one', async () => {
    const port = await partner();
    const booked = await port.book(booking('BKG1'), signal());
    expect(await port.find('BKG1', signal())).toEqual(booked);
    expect(await port.find('BKG-unknown', signal())).toBeUndefined();
    expect(peer.received().map((m) => m.type)).toEqual(['SRM^S01', 'SQM^S25', 'SQM^S25']);
  });

  it('cancels (SRM^S04): the slot is free again, and cancelling again succeeds', async () => {
    const port = await partner();
    const booked = await port.book(booking('BKG1'), signal());
    if (booked.status !== 'booked') throw new Error('not booked');
    await port.cancel({ reference: 'BKG1', partnerId: booked.partnerId }, signal());
    await port.cancel({ reference: 'BKG1', partnerId: booked.partnerId }, signal());
    expect(peer.bookings()[0]?.status).toBe('Cancelled');
    expect(await port.find('BKG1', signal())).toBeUndefined();
    expect(await port.book(booking('BKG2'), signal())).toEqual({
      status: 'booked',
      partnerId: 'APT2',
    });
  });

  it('throws for a cancellation of a booking the peer does not know', async () => {
    const port = await partner();
    await expect(
      port.cancel({ reference: 'BKG-unknown', partnerId: 'APT9' }, signal()),
    ).rejects.toThrow(/did not cancel booking BKG-unknown \(AE: 204 Unknown key identifier/);
  });

  it('throws when the answer does not come (silence), and finds the booking the peer took', async () => {
    peer.setRules([{ messageType: 'SRM^S01', reply: 'silence', times: 1 }]);
    const port = await partner({ ackTimeoutMs: 300 });
    await expect(port.book(booking('BKG1'), signal())).rejects.toMatchObject({
      code: 'PMS_REMOTE',
      details: expect.objectContaining({ failure: 'timeout' }),
    });
    expect(await port.find('BKG1', signal())).toEqual({ status: 'booked', partnerId: 'APT1' });
    expect(await port.book(booking('BKG1'), signal())).toEqual({
      status: 'booked',
      partnerId: 'APT1',
    });
    expect(peer.bookings()).toHaveLength(1);
  });

  it('throws when the connection drops before the answer; the peer took nothing', async () => {
    peer.setRules([{ messageType: 'SRM^S01', reply: 'drop', times: 1 }]);
    const port = await partner();
    await expect(port.book(booking('BKG1'), signal())).rejects.toMatchObject({
      code: 'PMS_REMOTE',
      details: expect.objectContaining({ failure: 'closed' }),
    });
    expect(await port.find('BKG1', signal())).toBeUndefined();
    expect(peer.bookings()).toEqual([]);
  });

  it('throws PMS_NET_UNREACHABLE when the peer is down: certainly not sent', async () => {
    const vacant = createServer();
    await new Promise<void>((resolve) => vacant.listen(0, '127.0.0.1', resolve));
    const { port: closedPort } = vacant.address() as AddressInfo;
    await new Promise<void>((resolve) => vacant.close(() => resolve()));
    const port = await partner({ port: closedPort, connectAttempts: 1 });
    await expect(port.book(booking('BKG1'), signal())).rejects.toMatchObject({
      code: 'PMS_NET_UNREACHABLE',
    });
  });

  it('refuses as rejected what a rule answers AE, with codes and not the peer text; throws for AR', async () => {
    peer.setRules([
      { messageType: 'SRM^S01', pattern: 'BKG1', reply: 'AE', text: 'Patient Rivera unknown' },
      { messageType: 'SRM^S01', pattern: 'BKG2', reply: 'AR' },
    ]);
    const port = await partner();
    const refused = await port.book(booking('BKG1'), signal());
    expect(refused).toEqual({
      status: 'refused',
      code: 'rejected',
      message:
        'The practice-management system refused the appointment (AE: 207 Application internal error at MSH^1^10)',
    });
    // AR: not processed; the outcome is left to a lookup and a resend.
    await expect(port.book(booking('BKG2', '10:00'), signal())).rejects.toThrow(
      'did not process the booking (AR: 207',
    );
    expect(peer.bookings()).toEqual([]);
  });

  it('throws for a lookup the peer refuses: the outcome stays unknown', async () => {
    peer.setRules([{ messageType: 'SQM^S25', reply: 'AE' }]);
    const port = await partner();
    await expect(port.find('BKG1', signal())).rejects.toThrow(/did not answer the lookup of BKG1/);
  });

  it('books, refuses and finds in HL7 2.3.1 too', async () => {
    const port = await partner({ version: '2.3.1' });
    expect(await port.book(booking('BKG1'), signal())).toMatchObject({ status: 'booked' });
    expect(await port.book(booking('BKG2'), signal())).toMatchObject({
      code: 'slot_unavailable',
    });
    expect(await port.find('BKG1', signal())).toMatchObject({ partnerId: 'APT1' });
    expect(peer.received()[0]?.message?.header.getField(9)?.toString()).toBe('SRM^S01');
  });

  it('logs the reference and codes, never the patient or the reason', async () => {
    peer.setRules([{ messageType: 'SRM^S01', pattern: 'BKG3', reply: 'silence' }]);
    const port = await partner({ ackTimeoutMs: 300 });
    const booked = await port.book(booking('BKG1'), signal());
    await port.book(booking('BKG2'), signal());
    await expect(port.book(booking('BKG3', '11:00'), signal())).rejects.toThrow();
    await port.find('BKG1', signal());
    if (booked.status === 'booked') {
      await port.cancel({ reference: 'BKG1', partnerId: booked.partnerId }, signal());
    }
    expect(logger.lines.length).toBeGreaterThan(0);
    expect(logger.messages('info')).toContain('hl7 booking answered');
    const logged = JSON.stringify(logger.lines);
    for (const value of [...Object.values(PATIENT), '19800402', REASON]) {
      expect(logged).not.toContain(value);
    }
  });
});
