/**
 * `@pmsbridge/healthconnect-sandbox`: a local emulator of the HealthConnect Provider API v2
 * with seeded data, mutations, webhooks, rate limits, fault injection and mutual TLS.
 */
export { startSandbox, type Sandbox, type SandboxOptions } from './sandbox.js';
export { UnknownSlotError, type SandboxAdmin } from './sandbox-admin.js';
export { UnknownProviderError } from './provider-directory.js';
export {
  generateCertificates,
  CERTIFICATE_FILE_NAMES,
  type CertificateFiles,
} from './certificates.js';
export { parseFaultSpec, type FaultSpec, type FaultRoute, type RouteFaults } from './fault-plan.js';
export { SANDBOX_SPECIALTIES } from './reference-data.js';
export { ALL_SCOPES, type SandboxClient } from './token-issuer.js';
export type { RateLimitOptions } from './rate-limiter.js';
export { signWebhook, type WebhookDelivery } from './webhook-hub.js';
export { ProviderGenerator, GENERATED_EPOCH_MS } from './provider-generator.js';
export { npiCheckDigit, isValidNpi } from './npi.js';
export { buildOpenApiDocument } from './openapi.js';
export { measureScheduleRps, type ScheduleBenchResult } from './bench-schedule.js';
