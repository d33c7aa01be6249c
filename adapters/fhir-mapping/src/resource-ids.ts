import { createHash } from 'node:crypto';

const FHIR_ID = /^[A-Za-z0-9\-.]{1,64}$/;

/**
 * A FHIR id derived from a source id: the source id itself when it is a valid FHIR id,
 * else `h-` plus a SHA-256 prefix of it. Same input, same id, across runs and machines.
 */
export function fhirIdFor(sourceId: string): string {
  if (FHIR_ID.test(sourceId)) return sourceId;
  return `h-${createHash('sha256').update(sourceId).digest('hex').slice(0, 40)}`;
}

/** Id of the Practitioner of a HealthConnect provider. */
export function practitionerId(providerId: string): string {
  return fhirIdFor(providerId);
}

/** Id of the Location of a HealthConnect location. */
export function locationId(hcLocationId: string): string {
  return fhirIdFor(hcLocationId);
}

/** Key (and id) of the PractitionerRole / Schedule of one provider at one location. */
export function providerLocationKey(providerId: string, hcLocationId: string): string {
  return fhirIdFor(`${providerId}-${hcLocationId}`);
}

/** Id of the Slot of a HealthConnect slot. */
export function slotId(hcSlotId: string): string {
  return fhirIdFor(hcSlotId);
}
