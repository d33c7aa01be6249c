/**
 * `@pmsbridge/core/http`: the one HTTP toolkit every adapter builds its client from —
 * OAuth 2.0 client-credentials tokens, retry with `Retry-After`, a rate gate shared by a
 * client's callers, a circuit breaker, a concurrency limit, an abortable sleep, the undici
 * `Agent` (with mutual TLS), one undici exchange, and the pipeline that composes them. Adapters keep their own
 * errors: each piece that throws takes a factory or a reader for them.
 */
export {
  CircuitBreaker,
  type CircuitBreakerOptions,
  type CircuitOpenErrorFactory,
} from './circuit-breaker.js';
export { ConcurrencyLimit } from './concurrency-limit.js';
export {
  createDispatcher,
  loadMtlsFiles,
  type DispatcherOptions,
  type MtlsFiles,
} from './dispatcher.js';
export { exchange, type ExchangeRequest, type ExchangeResponse } from './http-exchange.js';
export { ManualTime } from './manual-time.js';
export { RateGate } from './rate-gate.js';
export { bearerAuth, type RequestAuth } from './request-auth.js';
export {
  RequestPipeline,
  routeOf,
  type PipelineRequest,
  type RequestPipelineParts,
  type RetryEvent,
} from './request-pipeline.js';
export {
  RetryPolicy,
  parseRetryAfter,
  type AttemptFailure,
  type AttemptFailureReader,
  type RetryDecision,
  type RetryOptions,
} from './retry-policy.js';
export { sleep, throwIfAborted, type Sleep } from './sleep.js';
export type {
  CircuitState,
  HttpAttempt,
  HttpObserver,
  HttpRetry,
} from '../ports/metrics-recorder.js';
export {
  TokenProvider,
  type TokenErrorFactory,
  type TokenProviderOptions,
  type TokenRefusal,
} from './token-provider.js';
