import { describe, expect, it } from '@jest/globals';
import { CircuitBreaker } from './circuit-breaker.js';
import { ManualTime } from './manual-time.js';

/** The error a caller's factory makes: here, one that says how long is left. */
class CircuitOpenError extends Error {
  constructor(readonly retryInMs: number) {
    super(`the circuit is open for another ${retryInMs} ms`);
  }
}

const openError = (retryInMs: number): Error => new CircuitOpenError(retryInMs);

describe('CircuitBreaker', () => {
  it('opens after the threshold of consecutive failures and fails fast', () => {
    const time = new ManualTime();
    const breaker = new CircuitBreaker({ failureThreshold: 3, resetMs: 1_000 }, time, openError);
    breaker.recordFailure();
    breaker.recordFailure();
    breaker.recordSuccess();
    breaker.recordFailure();
    breaker.recordFailure();
    expect(breaker.state).toBe('closed');
    breaker.recordFailure();
    expect(breaker.state).toBe('open');
    expect(() => breaker.admit()).toThrow(CircuitOpenError);
  });

  it('lets exactly one probe through after resetMs; its success closes the circuit', () => {
    const time = new ManualTime();
    const breaker = new CircuitBreaker({ failureThreshold: 1, resetMs: 1_000 }, time, openError);
    breaker.recordFailure();
    time.advance(1_000);
    expect(breaker.state).toBe('half-open');
    breaker.admit();
    expect(() => breaker.admit()).toThrow(CircuitOpenError);
    breaker.recordSuccess();
    expect(breaker.state).toBe('closed');
    breaker.admit();
  });

  it('reopens when the probe fails', () => {
    const time = new ManualTime();
    const breaker = new CircuitBreaker({ failureThreshold: 5, resetMs: 1_000 }, time, openError);
    for (let i = 0; i < 5; i += 1) breaker.recordFailure();
    time.advance(1_000);
    breaker.admit();
    breaker.recordFailure();
    expect(breaker.state).toBe('open');
    expect(() => breaker.admit()).toThrow(/circuit is open/);
  });

  it('lets another probe through when the probe is released without a verdict', () => {
    const time = new ManualTime();
    const breaker = new CircuitBreaker({ failureThreshold: 1, resetMs: 1_000 }, time, openError);
    breaker.recordFailure();
    time.advance(1_000);
    expect(breaker.admit()).toBe(true);
    expect(() => breaker.check()).toThrow(CircuitOpenError);
    breaker.releaseProbe();
    expect(breaker.state).toBe('half-open');
    expect(breaker.admit()).toBe(true);
  });

  it("throws the factory's error with the wait left, without claiming the probe", () => {
    const time = new ManualTime();
    const breaker = new CircuitBreaker({ failureThreshold: 1, resetMs: 1_000 }, time, openError);
    breaker.recordFailure();
    time.advance(400);
    expect(() => breaker.check()).toThrow(expect.objectContaining({ retryInMs: 600 }));
    time.advance(600);
    breaker.check();
    expect(breaker.admit()).toBe(true);
  });
});
