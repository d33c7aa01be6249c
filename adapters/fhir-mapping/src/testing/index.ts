/**
 * `@pmsbridge/fhir-mapping/testing`: a deterministic provider population for tests and
 * benchmarks, and FHIR R4 / US Core validation of mapped resources. Test code only.
 */
export { npiFor, buildLocation, buildProvider, buildSlots, buildRecord } from './population.js';
export { r4Errors, profileErrors } from './fhir-validation.js';
export { US_CORE_VERSION, usCoreProfile, type UsCoreProfiled } from './us-core-profiles.js';
