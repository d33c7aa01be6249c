import { describe, expect, it } from '@jest/globals';
import type { ProviderRecord } from '@pmsbridge/core';
import type { Practitioner, PractitionerRole, Schedule, Slot } from '@medplum/fhirtypes';
import { defaultMappingOptions } from './mapping-options.js';
import { mapProviderRecord } from './provider-mapper.js';
import { mapSlot } from './slot-mapper.js';
import {
  ACCEPTING_PATIENTS_SYSTEM,
  BOOKING_DEEP_LINK_URL,
  BOOKING_PHONE_URL,
  NEW_PATIENTS_EXTENSION_URL,
  NPI_SYSTEM,
  NUCC_SYSTEM,
  PROVIDER_ID_SYSTEM,
} from './terminology.js';
import { r4Errors } from './testing/fhir-validation.js';
import { buildLocation, buildRecord } from './testing/population.js';
import { formatInstant, isoWeek, zonedEpochMs } from '@pmsbridge/core';

function byType<T>(record: ProviderRecord, type: string, options = defaultMappingOptions): T[] {
  return mapProviderRecord(record, options)
    .resources.filter((r) => r.type === type)
    .map((r) => r.resource as T);
}

describe('FHIR R4 validation', () => {
  it('every resource mapped from 1 000 providers validates against base R4', () => {
    const options = {
      scheduleActor: 'practitioner-role' as const,
      bookingLink: 'https://book.example/s/{slotId}?p={providerId}',
      bookingPhone: 'location',
    };
    let count = 0;
    const failures: string[] = [];
    for (let n = 1; n <= 1000; n++) {
      for (const { resource } of mapProviderRecord(buildRecord(n, '2026-11-01', 3, 2), options)
        .resources) {
        count++;
        const errors = r4Errors(resource);
        if (errors.length > 0)
          failures.push(`${resource.resourceType}/${resource.id}: ${JSON.stringify(errors)}`);
      }
    }
    expect(failures.slice(0, 5)).toEqual([]);
    expect(count).toBeGreaterThan(10_000);
  });

  it('the validator rejects a broken resource (so the test above can fail)', () => {
    const slot = byType<Slot>(buildRecord(1), 'Slot')[0] as Slot;
    expect(
      r4Errors({ ...slot, start: '2026-12-01 09:00', status: 'open' as Slot['status'] }).length,
    ).toBeGreaterThan(0);
  });
});

describe('mapping', () => {
  it('is deterministic: the same record maps to identical resources', () => {
    expect(JSON.stringify(mapProviderRecord(buildRecord(42), defaultMappingOptions))).toBe(
      JSON.stringify(mapProviderRecord(buildRecord(42), defaultMappingOptions)),
    );
  });

  it('maps NPI, HealthConnect id, name with title suffix and languages', () => {
    const record = buildRecord(3);
    const [practitioner] = byType<Practitioner>(record, 'Practitioner');
    expect(practitioner?.id).toBe('PRV0000000003');
    expect(practitioner?.identifier).toEqual([
      { use: 'official', system: NPI_SYSTEM, value: record.provider.npi },
      { use: 'secondary', system: PROVIDER_ID_SYSTEM, value: 'PRV0000000003' },
    ]);
    expect(practitioner?.name?.[0]?.suffix).toEqual(['MD']);
    expect(practitioner?.communication?.map((c) => c.coding?.[0]?.code)).toEqual(['en', 'es']);
    expect(practitioner?.active).toBe(true);
  });

  it('codes specialties with NUCC and keeps unknown slugs as text only', () => {
    const record = buildRecord(1);
    record.provider.specialties = ['cardiology', 'sleep_medicine', 'ophthalmology'];
    const [role] = byType<PractitionerRole>(record, 'PractitionerRole');
    expect(role?.specialty).toEqual([
      {
        coding: [
          { system: NUCC_SYSTEM, code: '207RC0000X', display: 'Cardiovascular Disease Physician' },
        ],
        text: 'Cardiology',
      },
      { text: 'Sleep medicine' },
      {
        coding: [{ system: NUCC_SYSTEM, code: '207W00000X', display: 'Ophthalmology Physician' }],
        text: 'Ophthalmology',
      },
    ]);
  });

  it('carries accepting new patients as the Plan-Net newpatients extension', () => {
    const accepting = buildRecord(2);
    const notAccepting = buildRecord(3);
    const code = (record: ProviderRecord) => {
      const ext = byType<PractitionerRole>(record, 'PractitionerRole')[0]?.extension?.find(
        (e) => e.url === NEW_PATIENTS_EXTENSION_URL,
      );
      const sub = ext?.extension?.find((e) => e.url === 'acceptingPatients');
      return sub?.valueCodeableConcept?.coding?.[0];
    };
    expect(code(accepting)).toMatchObject({ system: ACCEPTING_PATIENTS_SYSTEM, code: 'newpt' });
    expect(code(notAccepting)).toMatchObject({ system: ACCEPTING_PATIENTS_SYSTEM, code: 'nopt' });
  });

  it('uses the Location as the only Schedule actor when asked', () => {
    const [schedule] = byType<Schedule>(buildRecord(1), 'Schedule', { scheduleActor: 'location' });
    expect(schedule?.actor).toEqual([
      { reference: 'Location/LOC0000000001', display: expect.any(String) },
    ]);
  });

  it('maps an inactive provider to inactive resources and no slots', () => {
    const record = buildRecord(5);
    record.provider.status = 'inactive';
    const mapped = mapProviderRecord(record, defaultMappingOptions).resources;
    expect(mapped.filter((r) => r.type === 'Slot')).toEqual([]);
    expect(byType<Practitioner>(record, 'Practitioner')[0]?.active).toBe(false);
    expect(byType<PractitionerRole>(record, 'PractitionerRole')[0]?.active).toBe(false);
  });

  it('rejects a slot at a location the provider does not list', () => {
    const record = buildRecord(5);
    const first = record.slots[0];
    if (first) first.locationId = 'LOC9999999999';
    expect(() => mapProviderRecord(record, defaultMappingOptions)).toThrow(/LOC9999999999/);
  });

  it('adds booking deep link and phone extensions when configured', () => {
    const location = buildLocation(1);
    const slot = mapSlot(
      {
        id: 'SLT 1',
        date: '2026-12-01',
        time: '09:00',
        durationMinutes: 30,
        available: true,
        locationId: location.id,
        visitType: 'follow_up',
      },
      'PRV0000000001',
      location,
      {
        scheduleActor: 'location',
        bookingLink: 'https://book.example/?slot={slotId}',
        bookingPhone: '+1-555-0100',
      },
    );
    expect(slot.extension).toEqual([
      { url: BOOKING_DEEP_LINK_URL, valueUrl: 'https://book.example/?slot=SLT%201' },
      { url: BOOKING_PHONE_URL, valueString: '+1-555-0100' },
    ]);
    expect(slot.id).toMatch(/^h-[0-9a-f]{40}$/);
    expect(slot.appointmentType?.coding?.[0]?.code).toBe('FOLLOWUP');
  });
});

describe('zoned instants', () => {
  const at = (date: string, time: string, zone: string) =>
    formatInstant(zonedEpochMs(date, time, zone), zone);

  it.each([
    ['America/New_York', '2026-03-07', '-05:00', '2026-03-09', '-04:00'],
    ['America/Chicago', '2026-03-07', '-06:00', '2026-03-09', '-05:00'],
    ['America/Denver', '2026-10-31', '-06:00', '2026-11-01', '-07:00'],
    ['America/Los_Angeles', '2026-10-31', '-07:00', '2026-11-02', '-08:00'],
    ['America/Anchorage', '2026-03-07', '-09:00', '2026-03-09', '-08:00'],
  ])('%s changes offset across its DST boundary', (zone, before, offBefore, after, offAfter) => {
    expect(at(before, '09:00', zone)).toBe(`${before}T09:00:00${offBefore}`);
    expect(at(after, '09:00', zone)).toBe(`${after}T09:00:00${offAfter}`);
  });

  it.each([
    ['America/Phoenix', '-07:00'],
    ['Pacific/Honolulu', '-10:00'],
  ])('%s keeps one offset all year', (zone, offset) => {
    for (const date of ['2026-01-15', '2026-03-09', '2026-07-01', '2026-11-02']) {
      expect(at(date, '08:30', zone)).toBe(`${date}T08:30:00${offset}`);
    }
  });

  it('resolves a wall time skipped by spring-forward to after the gap', () => {
    expect(at('2026-03-08', '02:30', 'America/New_York')).toBe('2026-03-08T03:30:00-04:00');
  });

  it('ends a slot that crosses the fall-back change with the new offset', () => {
    const start = zonedEpochMs('2026-11-01', '01:30', 'America/New_York');
    expect(formatInstant(start, 'America/New_York')).toBe('2026-11-01T01:30:00-04:00');
    expect(formatInstant(start + 60 * 60_000, 'America/New_York')).toBe(
      '2026-11-01T01:30:00-05:00',
    );
  });

  it('computes ISO weeks across a year boundary', () => {
    expect(isoWeek('2026-12-31')).toBe('2026-W53');
    expect(isoWeek('2027-01-04')).toBe('2027-W01');
    expect(isoWeek('2026-12-01')).toBe('2026-W49');
  });
});
