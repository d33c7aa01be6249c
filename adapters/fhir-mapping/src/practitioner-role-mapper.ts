import type { Location as HcLocation, Provider } from '@pmsbridge/core';
import type { CodeableConcept, Extension, PractitionerRole } from '@medplum/fhirtypes';
import { phoneTelecom } from './practitioner-mapper.js';
import { profileMeta, US_CORE_PRACTITIONER_ROLE_PROFILE } from './profiles.js';
import { locationId, practitionerId, providerLocationKey } from './resource-ids.js';
import {
  ACCEPTING_PATIENTS_SYSTEM,
  hasNuccCode,
  NEW_PATIENTS_EXTENSION_URL,
  NUCC_BY_SPECIALTY,
  NUCC_SYSTEM,
  PRACTITIONER_ROLE_ID_SYSTEM,
  specialtyText,
} from './terminology.js';

/** A specialty slug as a CodeableConcept: NUCC coding when known, text always. */
export function specialtyConcept(slug: string): CodeableConcept {
  const concept = hasNuccCode(slug) ? NUCC_BY_SPECIALTY[slug] : undefined;
  const text = specialtyText(slug);
  return concept === undefined
    ? { text }
    : { coding: [{ system: NUCC_SYSTEM, code: concept.code, display: concept.display }], text };
}

/** The Plan-Net `newpatients` extension: `newpt` when accepting, else `nopt`. */
export function newPatientsExtension(accepting: boolean): Extension {
  return {
    url: NEW_PATIENTS_EXTENSION_URL,
    extension: [
      {
        url: 'acceptingPatients',
        valueCodeableConcept: {
          coding: [
            {
              system: ACCEPTING_PATIENTS_SYSTEM,
              code: accepting ? 'newpt' : 'nopt',
              display: accepting ? 'Accepting' : 'Not Accepting',
            },
          ],
        },
      },
    ],
  };
}

/**
 * Maps one provider at one location to a PractitionerRole: practitioner and location
 * references, NUCC specialties, accepting new patients (Plan-Net `newpatients`),
 * telecom (the provider's phone, else the location's), active. Claims US Core
 * PractitionerRole when it has a telecom (US Core pd-1: contact information or an
 * Endpoint).
 */
export function mapPractitionerRole(
  provider: Provider,
  location: HcLocation,
  deactivated = false,
): PractitionerRole {
  const key = providerLocationKey(provider.id, location.id);
  const telecom = phoneTelecom(provider.phone ?? location.phone);
  const role: PractitionerRole = {
    resourceType: 'PractitionerRole',
    id: key,
    ...(telecom.length > 0 ? { meta: profileMeta(US_CORE_PRACTITIONER_ROLE_PROFILE) } : {}),
    extension: [newPatientsExtension(provider.acceptingNewPatients)],
    identifier: [{ system: PRACTITIONER_ROLE_ID_SYSTEM, value: key }],
    active: !deactivated && provider.status === 'active',
    practitioner: { reference: `Practitioner/${practitionerId(provider.id)}` },
    location: [{ reference: `Location/${locationId(location.id)}`, display: location.name }],
  };
  if (provider.specialties.length > 0) role.specialty = provider.specialties.map(specialtyConcept);
  if (telecom.length > 0) role.telecom = telecom;
  return role;
}
