import { describe, expect, it } from '@jest/globals';
import { ManualTime } from '@pmsbridge/core/http';
import { FhirCircuitOpenError, createFhirCircuitBreaker } from './circuit-breaker.js';

describe('the FHIR server circuit breaker', () => {
  it('fails fast with PMS_CIRCUIT_OPEN, the wait left and what to do', () => {
    const time = new ManualTime();
    const breaker = createFhirCircuitBreaker(
      { failureThreshold: 3, resetMs: 1000 },
      time,
      'http://fhir',
    );
    for (let i = 0; i < 3; i++) breaker.recordFailure();
    expect(() => breaker.admit()).toThrow(FhirCircuitOpenError);
    expect(() => breaker.check()).toThrow(
      /http:\/\/fhir keeps failing.*resumes from its checkpoint/,
    );
    time.advance(400);
    let error: unknown;
    try {
      breaker.check();
    } catch (thrown) {
      error = thrown;
    }
    expect(error).toMatchObject({ code: 'PMS_CIRCUIT_OPEN', details: { retryInMs: 600 } });
  });
});
