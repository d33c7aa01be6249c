import { describe, expect, it } from '@jest/globals';
import { CircuitBreaker, FhirCircuitOpenError } from './circuit-breaker.js';

function breakerAt(start = 0) {
  let now = start;
  const clock = { now: () => new Date(now) };
  const breaker = new CircuitBreaker({ failureThreshold: 3, resetMs: 1000 }, clock, 'http://fhir');
  return { breaker, advance: (ms: number) => void (now += ms) };
}

describe('CircuitBreaker', () => {
  it('opens after the threshold of consecutive failures; a success in between resets the count', () => {
    const { breaker } = breakerAt();
    breaker.recordFailure();
    breaker.recordFailure();
    breaker.recordSuccess();
    breaker.recordFailure();
    breaker.recordFailure();
    expect(breaker.state).toBe('closed');
    breaker.recordFailure();
    expect(breaker.state).toBe('open');
    expect(() => breaker.admit()).toThrow(FhirCircuitOpenError);
    expect(() => breaker.check()).toThrow(/keeps failing.*resumes from its checkpoint/);
  });

  it('lets one probe through after resetMs: its failure reopens, its success closes', () => {
    const { breaker, advance } = breakerAt();
    for (let i = 0; i < 3; i++) breaker.recordFailure();
    advance(1000);
    expect(breaker.state).toBe('half-open');
    breaker.admit();
    expect(() => breaker.admit()).toThrow(FhirCircuitOpenError); // the probe is out
    breaker.recordFailure();
    expect(breaker.state).toBe('open');
    advance(1000);
    breaker.admit();
    breaker.recordSuccess();
    expect(breaker.state).toBe('closed');
    expect(() => breaker.admit()).not.toThrow();
  });

  it('gives a cancelled probe its place back', () => {
    const { breaker, advance } = breakerAt();
    for (let i = 0; i < 3; i++) breaker.recordFailure();
    advance(1000);
    breaker.admit();
    breaker.release();
    expect(() => breaker.admit()).not.toThrow();
  });

  it('carries PMS_CIRCUIT_OPEN and the wait left', () => {
    const { breaker, advance } = breakerAt();
    for (let i = 0; i < 3; i++) breaker.recordFailure();
    advance(400);
    let error: unknown;
    try {
      breaker.check();
    } catch (thrown) {
      error = thrown;
    }
    expect(error).toMatchObject({ code: 'PMS_CIRCUIT_OPEN', details: { retryInMs: 600 } });
  });
});
