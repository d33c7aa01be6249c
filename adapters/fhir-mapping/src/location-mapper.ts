import type { Location as HcLocation } from '@pmsbridge/core';
import type { Location } from '@medplum/fhirtypes';
import type { MappingOptions } from './mapping-options.js';
import { phoneTelecom } from './practitioner-mapper.js';
import { profileMeta, US_CORE_LOCATION_PROFILE } from './profiles.js';
import { locationId } from './resource-ids.js';
import { LOCATION_ID_SYSTEM, TIMEZONE_EXTENSION_URL } from './terminology.js';
import { fillUrlTemplate } from './url-template.js';

/**
 * Maps a HealthConnect location to a US Core Location: identifier, name, address,
 * telecom (the phone, and the web page per {@link MappingOptions.locationUrl}), position,
 * status `active`, and the IANA time zone as an extension ({@link TIMEZONE_EXTENSION_URL},
 * `valueCode`).
 */
export function mapLocation(
  location: HcLocation,
  options: Pick<MappingOptions, 'locationUrl'> = {},
): Location {
  const resource: Location = {
    resourceType: 'Location',
    id: locationId(location.id),
    meta: profileMeta(US_CORE_LOCATION_PROFILE),
    extension: [{ url: TIMEZONE_EXTENSION_URL, valueCode: location.timezone }],
    identifier: [{ use: 'official', system: LOCATION_ID_SYSTEM, value: location.id }],
    status: 'active',
    name: location.name,
    address: {
      use: 'work',
      type: 'physical',
      line: location.address.lines,
      city: location.address.city,
      state: location.address.state,
      postalCode: location.address.postalCode,
      country: location.address.country,
    },
  };
  const telecom = phoneTelecom(location.phone);
  if (options.locationUrl !== undefined) {
    telecom.push({
      system: 'url',
      value: fillUrlTemplate(options.locationUrl, { locationId: location.id }),
      use: 'work',
    });
  }
  if (telecom.length > 0) resource.telecom = telecom;
  if (location.position !== undefined) {
    resource.position = {
      latitude: location.position.latitude,
      longitude: location.position.longitude,
    };
  }
  return resource;
}
