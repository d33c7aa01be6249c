import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import type { Appointment } from '@medplum/fhirtypes';
import type { PartnerBookingRequest } from '@pmsbridge/core';
import { createPlugin, makeLocation, makeProvider } from '@pmsbridge/core/testing';
import { startFhirServer, type FhirServer } from '@pmsbridge/test-fhir-server';
import { request as httpRequest } from 'undici';
import { BOOKING_ID_SYSTEM } from './fhir-booking-port.js';
import { fhirBookingPlugin } from './plugin.js';

const clinic = makeLocation(1, { name: 'Lakeview Clinic' });
const provider = makeProvider(1, { locations: [clinic] });

function booking(reference: string, slotId = 'SLT0000000001'): PartnerBookingRequest {
  return {
    reference,
    provider,
    location: clinic,
    slot: {
      id: slotId,
      date: '2026-03-09',
      time: '09:00',
      durationMinutes: 30,
      available: true,
      locationId: clinic.id,
      visitType: 'new_patient',
    },
    start: '2026-03-09T09:00:00-05:00',
    end: '2026-03-09T09:30:00-05:00',
    patient: {
      firstName: 'Ana',
      lastName: 'Rivera',
      birthDate: '1980-04-02',
      email: 'ana@example.org',
    },
    reason: 'Annual check-up',
  };
}

let server: FhirServer;
const signal = () => AbortSignal.timeout(10_000);

async function appointments(): Promise<Appointment[]> {
  const response = await httpRequest(`${server.baseUrl}/Appointment`, {
    headers: { accept: 'application/fhir+json' },
  });
  const bundle = (await response.body.json()) as { entry?: Array<{ resource: Appointment }> };
  return (bundle.entry ?? []).map((e) => e.resource);
}

beforeAll(async () => {
  server = await startFhirServer();
});

beforeEach(() => {
  server.clear();
  server.setFault(undefined);
});

afterAll(async () => {
  await server.close();
});

const port = () =>
  createPlugin(fhirBookingPlugin, {
    options: { baseUrl: server.baseUrl, maxRetries: 0 },
    name: 'fhir-partner',
  });

describe('FhirBookingPort against the test FHIR server', () => {
  it('creates one valid R4 Appointment for the slot, practitioner, location and contained patient', async () => {
    const partner = await port();
    const outcome = await partner.book(booking('BKG1'), signal());
    expect(outcome).toMatchObject({
      status: 'booked',
      partnerId: expect.stringMatching(/^Appointment\//),
    });
    const [stored] = await appointments();
    expect(stored).toMatchObject({
      status: 'booked',
      identifier: [{ system: BOOKING_ID_SYSTEM, value: 'BKG1' }],
      slot: [{ reference: 'Slot/SLT0000000001' }],
      start: '2026-03-09T09:00:00-05:00',
      minutesDuration: 30,
      description: 'Annual check-up',
    });
    expect(stored?.participant?.map((p) => p.actor?.reference)).toEqual([
      'Practitioner/PRV0000000001',
      'Location/LOC0000000001',
      '#patient',
    ]);
    expect(stored?.contained?.[0]).toMatchObject({
      resourceType: 'Patient',
      name: [{ family: 'Rivera', given: ['Ana'] }],
      birthDate: '1980-04-02',
    });
  });

  it('books a retry of the same reference once (conditional create), and refuses the slot to another', async () => {
    const partner = await port();
    const first = await partner.book(booking('BKG1'), signal());
    expect(await partner.book(booking('BKG1'), signal())).toEqual(first);
    expect(await partner.book(booking('BKG2'), signal())).toEqual({
      status: 'refused',
      code: 'slot_unavailable',
      message: 'The slot is already booked',
    });
    expect(await appointments()).toHaveLength(1);
  });

  it('finds a booking by its reference, and cancels it so that the slot is free again', async () => {
    const partner = await port();
    const booked = await partner.book(booking('BKG1'), signal());
    expect(await partner.find('BKG1', signal())).toEqual(booked);
    expect(await partner.find('BKG-unknown', signal())).toBeUndefined();
    if (booked.status !== 'booked') throw new Error('not booked');
    await partner.cancel({ reference: 'BKG1', partnerId: booked.partnerId }, signal());
    await partner.cancel({ reference: 'BKG1', partnerId: booked.partnerId }, signal());
    expect((await appointments())[0]?.status).toBe('cancelled');
    expect(await partner.find('BKG1', signal())).toBeUndefined();
    expect((await partner.book(booking('BKG2'), signal())).status).toBe('booked');
  });

  it('throws when the server is down, so the outcome stays unknown, and books nothing', async () => {
    const partner = await port();
    server.setFault({ status: 503 });
    await expect(partner.book(booking('BKG1'), signal())).rejects.toMatchObject({
      code: 'PMS_FHIR_UNAVAILABLE',
    });
    server.setFault(undefined);
    expect(await appointments()).toEqual([]);
  });

  it('refuses an appointment the server rejects, without the patient data in the message', async () => {
    const partner = await port();
    const bad = booking('BKG1');
    const outcome = await partner.book({ ...bad, start: 'not a date' }, signal());
    expect(outcome).toMatchObject({ status: 'refused', code: 'rejected' });
    expect(JSON.stringify(outcome)).not.toContain('Rivera');
  });
});
