import type { Meta } from '@medplum/fhirtypes';

/**
 * Profiles the mapped resources claim in `meta.profile`. The mappers claim a profile only
 * for a resource that conforms to it; the claims are checked against the US Core 7.0.0
 * StructureDefinitions in `mapping.test.ts`.
 *
 * None of the claimed profiles fixes `active` to `true` (US Core allows an inactive
 * Practitioner or PractitionerRole), so a deactivated provider's resources are marked
 * inactive. Da Vinci Plan-Net fixes `active = true` and is not claimed: the output lacks
 * what Plan-Net requires (e.g. `meta.lastUpdated`, networks, organizations).
 */

/** US Core Practitioner. */
export const US_CORE_PRACTITIONER_PROFILE =
  'http://hl7.org/fhir/us/core/StructureDefinition/us-core-practitioner';
/** US Core PractitionerRole. */
export const US_CORE_PRACTITIONER_ROLE_PROFILE =
  'http://hl7.org/fhir/us/core/StructureDefinition/us-core-practitionerrole';
/** US Core Location. */
export const US_CORE_LOCATION_PROFILE =
  'http://hl7.org/fhir/us/core/StructureDefinition/us-core-location';

/** `meta` claiming `profile`. */
export function profileMeta(profile: string): Meta {
  return { profile: [profile] };
}

/**
 * Whether `npi` passes the NPI check digit (Luhn over `80840` + the digits, as US Core
 * invariant us-core-17 checks): a Practitioner claims US Core only then.
 */
export function hasValidNpiCheckDigit(npi: string): boolean {
  if (!/^\d{10}$/.test(npi)) return false;
  let sum = 24; // the contribution of the `80840` prefix
  for (let i = 0; i < 10; i++) {
    let digit = Number(npi[9 - i]);
    if (i % 2 === 1) {
      digit *= 2;
      if (digit > 9) digit -= 9;
    }
    sum += digit;
  }
  return sum % 10 === 0;
}
