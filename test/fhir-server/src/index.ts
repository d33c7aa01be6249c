export {
  startFhirServer,
  FHIR_BASE_PATH,
  type FhirServer,
  type FhirServerOptions,
} from './fhir-server.js';
export type { FhirServerStats } from './request-stats.js';
export type { FhirServerFault } from './server-fault.js';
export { ADVERTISED_RESOURCE_TYPES } from './capability-statement.js';
