import { fhirPlugin } from './plugin.js';

export { fhirPlugin } from './plugin.js';
export {
  optionsSchema,
  serverOptionsSchema,
  bulkOptionsSchema,
  type FhirAdapterOptions,
} from './options-schema.js';
export {
  defaultMappingOptions,
  mappingOptionsOf,
  BOOKING_LINK_PLACEHOLDERS,
  LOCATION_URL_PLACEHOLDERS,
  type MappingOptions,
  type MappingOptionFields,
} from './mapping-options.js';
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
  parseResourceKey,
  RESOURCE_TYPES,
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
export { zonedEpochMs, formatInstant, zoneOffsetMinutes, isoWeek } from './zoned-time.js';
export * from './terminology.js';
export {
  BulkPublishSink,
  MANIFEST_FILE,
  PUBLICATION_INDEX_FILE,
  type BulkPublishSinkOptions,
  type BulkPublishManifest,
  type BulkPublishResumeState,
  type ManifestOutput,
  type PublicationIndex,
  type SplitBy,
} from './bulk-publish-sink.js';
export { DIRECTORY_MANIFEST_FILE, SPECIFICATION_TYPES } from './publication-manifest.js';
export {
  FhirServerSink,
  contentHash,
  type FhirServerSinkOptions,
  type FhirServerSinkDeps,
} from './fhir-server-sink.js';
export { AuthHeaderProvider, type FhirAuth } from './fhir-auth.js';
export { FhirTransport, type FhirRetryOptions } from './fhir-transport.js';
export { FhirServerError, parseOperationOutcome, type OutcomeIssue } from './operation-outcome.js';
export {
  servePublication,
  manifestFor,
  type ServePublicationOptions,
  type PublicationServer,
} from './publication-server.js';

export default fhirPlugin;
