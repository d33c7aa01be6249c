/**
 * `@pmsbridge/fhir-mapping`: pmsbridge's domain records as FHIR R4 resources — Practitioner,
 * PractitionerRole, Location, Schedule and Slot, with their ids, keys, terminology and
 * profiles. Pure: no I/O. The FHIR server sink and the SMART Scheduling Links publication
 * both deliver what it maps.
 */
export {
  defaultMappingOptions,
  mappingOptionsOf,
  BOOKING_LINK_PLACEHOLDERS,
  LOCATION_URL_PLACEHOLDERS,
  type MappingOptions,
  type MappingOptionFields,
} from './mapping-options.js';
export { mappingOptionFields } from './mapping-options-schema.js';
export { UnmappedSpecialtyLog, type UnmappedSpecialtyReporter } from './unmapped-specialties.js';
export {
  US_CORE_PRACTITIONER_PROFILE,
  US_CORE_PRACTITIONER_ROLE_PROFILE,
  US_CORE_LOCATION_PROFILE,
} from './profiles.js';
export { mapPractitioner } from './practitioner-mapper.js';
export {
  mapPractitionerRole,
  specialtyConcept,
  newPatientsExtension,
} from './practitioner-role-mapper.js';
export { mapLocation } from './location-mapper.js';
export { mapSchedule } from './schedule-mapper.js';
export { mapSlot, appointmentTypeFor } from './slot-mapper.js';
export {
  mapProviderRecord,
  resourceKey,
  ownerKey,
  parseResourceKey,
  RESOURCE_TYPES,
  MAPPED_PROVIDER_FIELDS,
  type MappedProvider,
  type MappedResource,
  type MappedResourceType,
} from './provider-mapper.js';
export {
  fhirIdFor,
  practitionerId,
  locationId,
  providerLocationKey,
  slotId,
} from './resource-ids.js';
export { fillUrlTemplate, urlTemplateProblem } from './url-template.js';
export * from './terminology.js';
