import { readFileSync } from 'node:fs';
import type { StructureDefinition } from '@medplum/fhirtypes';
import { withSnapshot } from './profile-snapshot.js';

/**
 * Test fixture: the US Core 7.0.0 StructureDefinitions the mapped resources claim, as
 * published in the US Core sources (`input/resources/StructureDefinition-us-core-*.json`
 * at tag 7.0.0, differential only), with snapshots built over base R4. For Practitioner
 * and PractitionerRole the constraints are those of US Core 6.1.0 too (6.1.0 writes the
 * pd-1 and us-core-13 expressions without `.exists()`); US Core 6.1.0 Location constrains
 * less (no identifier or type must-support).
 */
export const US_CORE_VERSION = '7.0.0';

const FILES = {
  Practitioner: 'StructureDefinition-us-core-practitioner.json',
  PractitionerRole: 'StructureDefinition-us-core-practitionerrole.json',
  Location: 'StructureDefinition-us-core-location.json',
} as const;

/** The resource types with a US Core profile fixture. */
export type UsCoreProfiled = keyof typeof FILES;

const cache = new Map<UsCoreProfiled, StructureDefinition>();

/** The US Core profile of `type`, with its snapshot. */
export function usCoreProfile(type: UsCoreProfiled): StructureDefinition {
  let profile = cache.get(type);
  if (profile === undefined) {
    const text = readFileSync(new URL(`./us-core/${FILES[type]}`, import.meta.url), 'utf8');
    profile = withSnapshot(JSON.parse(text) as StructureDefinition);
    cache.set(type, profile);
  }
  return profile;
}
