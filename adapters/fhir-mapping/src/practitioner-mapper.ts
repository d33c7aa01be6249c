import type { Provider } from '@pmsbridge/core';
import type { ContactPoint, Practitioner } from '@medplum/fhirtypes';
import { hasValidNpiCheckDigit, profileMeta, US_CORE_PRACTITIONER_PROFILE } from './profiles.js';
import { practitionerId } from './resource-ids.js';
import { BCP47_SYSTEM, NPI_SYSTEM, PROVIDER_ID_SYSTEM } from './terminology.js';

/** A phone number as a FHIR ContactPoint list (empty when absent). */
export function phoneTelecom(
  phone: string | undefined,
  use: ContactPoint['use'] = 'work',
): ContactPoint[] {
  return phone === undefined || phone === '' ? [] : [{ system: 'phone', value: phone, use }];
}

/**
 * Maps a provider to a Practitioner: NPI and HealthConnect identifiers, name (title as
 * suffix), gender, telecom, languages as BCP-47 communication, active. `active` is
 * forced to false when `deactivated` is set. Claims US Core Practitioner when the NPI
 * passes its check digit (US Core us-core-17); every other US Core rule always holds.
 */
export function mapPractitioner(provider: Provider, deactivated = false): Practitioner {
  const practitioner: Practitioner = {
    resourceType: 'Practitioner',
    id: practitionerId(provider.id),
    ...(hasValidNpiCheckDigit(provider.npi)
      ? { meta: profileMeta(US_CORE_PRACTITIONER_PROFILE) }
      : {}),
    identifier: [
      { use: 'official', system: NPI_SYSTEM, value: provider.npi },
      { use: 'secondary', system: PROVIDER_ID_SYSTEM, value: provider.id },
    ],
    active: !deactivated && provider.status === 'active',
    name: [
      {
        use: 'official',
        text:
          [provider.name.first, provider.name.last].join(' ') +
          (provider.name.title ? `, ${provider.name.title}` : ''),
        family: provider.name.last,
        given: [provider.name.first],
        ...(provider.name.title ? { suffix: [provider.name.title] } : {}),
      },
    ],
  };
  const telecom = phoneTelecom(provider.phone);
  if (telecom.length > 0) practitioner.telecom = telecom;
  if (provider.gender !== undefined) practitioner.gender = provider.gender;
  if (provider.languages !== undefined && provider.languages.length > 0) {
    practitioner.communication = provider.languages.map((language) => ({
      coding: [{ system: BCP47_SYSTEM, code: language }],
      text: language,
    }));
  }
  return practitioner;
}
