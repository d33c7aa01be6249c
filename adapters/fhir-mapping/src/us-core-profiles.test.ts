import { describe, expect, it } from '@jest/globals';
import type { ProviderRecord } from '@pmsbridge/core';
import type { Practitioner, PractitionerRole, Resource } from '@medplum/fhirtypes';
import { defaultMappingOptions } from './mapping-options.js';
import {
  hasValidNpiCheckDigit,
  US_CORE_LOCATION_PROFILE,
  US_CORE_PRACTITIONER_PROFILE,
  US_CORE_PRACTITIONER_ROLE_PROFILE,
} from './profiles.js';
import { mapProviderRecord } from './provider-mapper.js';
import { profileErrors } from './testing/fhir-validation.js';
import { buildRecord } from './testing/population.js';
import { US_CORE_VERSION, usCoreProfile, type UsCoreProfiled } from './testing/us-core-profiles.js';

const CLAIMS: Record<UsCoreProfiled, string> = {
  Practitioner: US_CORE_PRACTITIONER_PROFILE,
  PractitionerRole: US_CORE_PRACTITIONER_ROLE_PROFILE,
  Location: US_CORE_LOCATION_PROFILE,
};
const TYPES = Object.keys(CLAIMS) as UsCoreProfiled[];

function resourcesOf(record: ProviderRecord): Resource[] {
  return mapProviderRecord(record, {
    ...defaultMappingOptions,
    locationUrl: 'https://clinics.example/{locationId}',
  }).resources.map((r) => r.resource);
}

function first<T extends Resource>(record: ProviderRecord, type: T['resourceType']): T {
  const found = resourcesOf(record).find((r) => r.resourceType === type);
  if (found === undefined) throw new Error(`no ${type}`);
  return found as T;
}

const errorsAgainstClaim = (resource: Resource) =>
  profileErrors(resource, usCoreProfile(resource.resourceType as UsCoreProfiled));

describe(`US Core ${US_CORE_VERSION} profiles`, () => {
  it('every Practitioner, PractitionerRole and Location of 100 providers claims its US Core profile and conforms to it', () => {
    const failures: string[] = [];
    const claimed = new Map<string, number>();
    for (let n = 1; n <= 100; n++) {
      const record = buildRecord(n, '2026-12-01', 1, 1);
      if (n % 10 === 0) record.provider.status = 'inactive';
      for (const resource of resourcesOf(record)) {
        const type = resource.resourceType as UsCoreProfiled;
        if (!TYPES.includes(type)) continue;
        expect(resource.meta?.profile).toEqual([CLAIMS[type]]);
        claimed.set(type, (claimed.get(type) ?? 0) + 1);
        const errors = errorsAgainstClaim(resource);
        if (errors.length > 0)
          failures.push(`${type}/${resource.id ?? ''}: ${JSON.stringify(errors)}`);
      }
    }
    expect(failures.slice(0, 5)).toEqual([]);
    expect(claimed.get('Practitioner')).toBe(100);
    expect(claimed.get('PractitionerRole')).toBeGreaterThanOrEqual(100);
    expect(claimed.get('Location')).toBeGreaterThanOrEqual(100);
  });

  it('the profiles reject what US Core forbids (so the test above can fail)', () => {
    const record = buildRecord(3);
    const practitioner = first<Practitioner>(record, 'Practitioner');
    const noFamily = structuredClone(practitioner);
    delete noFamily.name?.[0]?.family;
    expect(errorsAgainstClaim(noFamily).length).toBeGreaterThan(0);

    const badNpi = structuredClone(practitioner);
    const npi = badNpi.identifier?.[0];
    if (npi) npi.value = '1234567890';
    expect(errorsAgainstClaim(badNpi).map((i) => i.details?.text)).toEqual([
      expect.stringMatching(/^Constraint us-core-17 not met/),
    ]);

    const role = first<PractitionerRole>(record, 'PractitionerRole');
    const noContact = structuredClone(role);
    delete noContact.telecom;
    expect(errorsAgainstClaim(noContact).map((i) => i.details?.text)).toEqual([
      expect.stringMatching(/^Constraint pd-1 not met/),
    ]);

    const location = first<Resource>(record, 'Location');
    expect(errorsAgainstClaim({ ...location, name: undefined } as Resource).length).toBeGreaterThan(
      0,
    );
  });

  it('a PractitionerRole without any phone does not claim US Core (pd-1)', () => {
    const record = buildRecord(7); // provider 7 has no phone of its own
    for (const location of record.provider.locations ?? []) delete location.phone;
    const role = first<PractitionerRole>(record, 'PractitionerRole');
    expect(role.telecom).toBeUndefined();
    expect(role.meta).toBeUndefined();
  });

  it('a Practitioner whose NPI fails the check digit does not claim US Core (us-core-17)', () => {
    const record = buildRecord(3);
    record.provider.npi = '1234567890';
    expect(first<Practitioner>(record, 'Practitioner').meta).toBeUndefined();
  });

  it('checks the NPI check digit as US Core us-core-17 does', () => {
    for (const npi of ['1234567893', '1245319599', '1234567890', '1245319590', '2000000008']) {
      const practitioner: Practitioner = {
        resourceType: 'Practitioner',
        identifier: [{ system: 'http://hl7.org/fhir/sid/us-npi', value: npi }],
        name: [{ family: 'Smith' }],
      };
      const passes = profileErrors(practitioner, usCoreProfile('Practitioner')).length === 0;
      expect([npi, hasValidNpiCheckDigit(npi)]).toEqual([npi, passes]);
    }
  });

  it('no claimed profile fixes active, so a deactivated provider is marked inactive, not withdrawn', () => {
    for (const type of TYPES) {
      const path = type === 'Location' ? 'Location.status' : `${type}.active`;
      const active = usCoreProfile(type).snapshot?.element?.find((e) => e.path === path);
      expect(active).toBeDefined();
      const fixed = Object.keys(active ?? {}).filter(
        (key) => key.startsWith('fixed') || key.startsWith('pattern'),
      );
      expect([type, fixed]).toEqual([type, []]);
    }
  });
});
