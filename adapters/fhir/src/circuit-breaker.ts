import { ErrorCode, PmsbridgeError, type Clock } from '@pmsbridge/core';
import { CircuitBreaker, type CircuitBreakerOptions } from '@pmsbridge/core/http';

/** The FHIR server kept failing, so requests to it fail fast for a while. */
export class FhirCircuitOpenError extends PmsbridgeError {
  constructor(baseUrl: string, retryInMs: number) {
    super(
      ErrorCode.CircuitOpen,
      `The FHIR server at ${baseUrl} keeps failing (5xx or unreachable); requests are paused for another ${Math.ceil(retryInMs / 1000)} s. Check the server's health, then run the sync again: it resumes from its checkpoint.`,
      { details: { system: 'fhir', retryInMs } },
    );
  }
}

/**
 * Core's circuit breaker for the FHIR server at `baseUrl`: while open it throws a
 * {@link FhirCircuitOpenError} (5xx and network failures count against it).
 */
export function createFhirCircuitBreaker(
  options: CircuitBreakerOptions,
  clock: Clock,
  baseUrl: string,
): CircuitBreaker {
  return new CircuitBreaker(
    options,
    clock,
    (retryInMs) => new FhirCircuitOpenError(baseUrl, retryInMs),
  );
}
