import { describe, expect, it } from '@jest/globals';
import { SANDBOX_SPECIALTIES } from '@pmsbridge/healthconnect-sandbox';
import type { LogFields, Logger } from '@pmsbridge/core';
import type { PractitionerRole } from '@medplum/fhirtypes';
import { defaultMappingOptions } from './mapping-options.js';
import { specialtyConcept } from './practitioner-role-mapper.js';
import { mapProviderRecord } from './provider-mapper.js';
import { NUCC_BY_SPECIALTY, NUCC_SYSTEM } from './terminology.js';
import { buildRecord } from './testing/population.js';
import { UnmappedSpecialtyLog } from './unmapped-specialties.js';

/** NUCC taxonomy codes: 9 characters then `X` (e.g. `207RG0100X`). */
const NUCC_CODE = /^[0-9]{3}[0-9A-Z]{6}X$/;

function warnings(): { logger: Logger; lines: { message: string; fields?: LogFields }[] } {
  const lines: { message: string; fields?: LogFields }[] = [];
  const ignore = (): void => undefined;
  const logger: Logger = {
    debug: ignore,
    info: ignore,
    error: ignore,
    warn: (message, fields) => lines.push({ message, ...(fields ? { fields } : {}) }),
    child: () => logger,
  };
  return { logger, lines };
}

describe('specialty coding', () => {
  it.each([...SANDBOX_SPECIALTIES])('codes the sandbox specialty %s with NUCC', (slug) => {
    const [coding, ...more] = specialtyConcept(slug).coding ?? [];
    expect(more).toEqual([]);
    expect(coding?.system).toBe(NUCC_SYSTEM);
    expect(coding?.code).toMatch(NUCC_CODE);
    expect(coding?.display).toEqual(expect.any(String));
  });

  it('gives every specialty its own NUCC code', () => {
    const codes = Object.values(NUCC_BY_SPECIALTY).map((c) => c.code);
    expect(new Set(codes).size).toBe(codes.length);
    for (const code of codes) expect(code).toMatch(NUCC_CODE);
  });

  it.each([
    ['gastroenterology', '207RG0100X', 'Gastroenterology Physician'],
    ['endocrinology', '207RE0101X', 'Endocrinology, Diabetes & Metabolism Physician'],
    ['urology', '208800000X', 'Urology Physician'],
    ['pulmonology', '207RP1001X', 'Pulmonary Disease Physician'],
    ['otolaryngology', '207Y00000X', 'Otolaryngology Physician'],
  ])('codes %s as NUCC %s "%s"', (slug, code, display) => {
    expect(specialtyConcept(slug).coding).toEqual([{ system: NUCC_SYSTEM, code, display }]);
  });

  it('maps a specialty without a NUCC code to text only and reports it once per provider', () => {
    const reported: string[] = [];
    const record = buildRecord(4); // two locations: two PractitionerRoles and Schedules
    record.provider.specialties = ['sleep_medicine', 'urology', 'sleep_medicine', 'toString'];
    const { resources } = mapProviderRecord(record, {
      ...defaultMappingOptions,
      unmappedSpecialties: { report: (slug) => reported.push(slug) },
    });
    const role = resources.find((r) => r.type === 'PractitionerRole')?.resource as
      PractitionerRole | undefined;
    expect(role?.specialty?.[0]).toEqual({ text: 'Sleep medicine' });
    expect(role?.specialty?.[3]).toEqual({ text: 'ToString' });
    expect(reported).toEqual(['sleep_medicine', 'toString']);
  });

  it('logs an unmapped specialty once per run, then the run’s counts', () => {
    const { logger, lines } = warnings();
    const log = new UnmappedSpecialtyLog(logger);
    for (const slug of ['sleep_medicine', 'sleep_medicine', 'geriatrics', 'sleep_medicine'])
      log.report(slug);
    expect(lines.map((l) => l.fields)).toEqual([
      { specialty: 'sleep_medicine' },
      { specialty: 'geriatrics' },
    ]);
    expect([...log.counted()]).toEqual([
      ['sleep_medicine', 3],
      ['geriatrics', 1],
    ]);
    log.endRun();
    expect(lines.at(-1)).toEqual({
      message: 'specialties mapped as text only in this run',
      fields: { specialties: { sleep_medicine: 3, geriatrics: 1 } },
    });
    log.report('sleep_medicine'); // a new run warns again
    expect(lines).toHaveLength(4);
    expect(log.counted().get('sleep_medicine')).toBe(1);
  });

  it('logs nothing at the end of a run where every specialty was coded', () => {
    const { logger, lines } = warnings();
    new UnmappedSpecialtyLog(logger).endRun();
    expect(lines).toEqual([]);
  });
});
