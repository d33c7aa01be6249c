/**
 * `@pmsbridge/adapter-fhir`: delivers pmsbridge's records to a FHIR R4 server — transaction
 * Bundles of idempotent upserts (or conditional updates when the server assigns ids),
 * withdrawals, retries with a circuit breaker. The resources come from `@pmsbridge/fhir-mapping`.
 */
import { fhirPlugin } from './plugin.js';

export { fhirPlugin } from './plugin.js';
export { optionsSchema, serverOptionsSchema, type FhirAdapterOptions } from './options-schema.js';
export {
  FhirServerSink,
  contentHash,
  type FhirServerSinkOptions,
  type FhirServerSinkDeps,
} from './fhir-server-sink.js';
export { AuthHeaderProvider, type FhirAuth } from './fhir-auth.js';
export { FhirTransport, type FhirRetryOptions } from './fhir-transport.js';
export { FhirServerError, parseOperationOutcome, type OutcomeIssue } from './operation-outcome.js';

export default fhirPlugin;
