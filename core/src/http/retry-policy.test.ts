import { describe, expect, it } from '@jest/globals';
import { ManualTime } from './manual-time.js';
import {
  RetryPolicy,
  parseRetryAfter,
  type AttemptFailure,
  type AttemptFailureReader,
  type RetryOptions,
} from './retry-policy.js';

const options = { maxAttempts: 4, baseDelayMs: 100, maxDelayMs: 1_000, maxRetryAfterMs: 60_000 };

/** A caller's error: the policy learns about it only through the reader. */
class CallFailed extends Error {
  constructor(readonly failure: AttemptFailure) {
    super('failed');
  }
}

const read: AttemptFailureReader = (error) =>
  error instanceof CallFailed ? error.failure : undefined;

function failure(status: number | undefined, retryAfter?: string): CallFailed {
  return new CallFailed({ status, retryAfter, isTransient: status === undefined });
}

function policy(
  random?: () => number,
  overrides: Partial<RetryOptions> = {},
  time = new ManualTime(),
): RetryPolicy {
  return new RetryPolicy({ ...options, ...overrides }, time, read, random);
}

describe('parseRetryAfter', () => {
  const now = new Date('2026-12-01T12:00:00Z');
  it('reads delta seconds', () => {
    expect(parseRetryAfter('120', now)).toBe(120_000);
  });
  it('reads an HTTP date relative to now', () => {
    expect(parseRetryAfter('Tue, 01 Dec 2026 12:00:45 GMT', now)).toBe(45_000);
  });
  it('treats a date in the past as no wait and garbage as unknown', () => {
    expect(parseRetryAfter('Tue, 01 Dec 2026 11:00:00 GMT', now)).toBe(0);
    expect(parseRetryAfter('soon', now)).toBeUndefined();
    expect(parseRetryAfter(undefined, now)).toBeUndefined();
  });
});

describe('RetryPolicy', () => {
  it('draws full-jitter backoff between 0 and the doubling ceiling', () => {
    expect(policy(() => 0.999).backoffMs(1)).toBe(99);
    expect(policy(() => 0.999).backoffMs(3)).toBe(399);
    expect(policy(() => 0.999).backoffMs(10)).toBe(999);
    expect(policy(() => 0).backoffMs(5)).toBe(0);
  });

  it('retries 500, 502, 503, 504 and network errors of idempotent requests', () => {
    const retry = policy(() => 0.5);
    for (const status of [500, 502, 503, 504, undefined]) {
      expect(retry.decide(failure(status), 1, true)).toEqual({
        delayMs: 50,
        pausesEveryone: false,
      });
    }
  });

  it('never retries 400, 401, 403, 404 or errors it does not know', () => {
    const retry = policy();
    for (const status of [400, 401, 403, 404])
      expect(retry.decide(failure(status), 1, true)).toBeUndefined();
    expect(retry.decide(new Error('bug'), 1, true)).toBeUndefined();
  });

  it('does not resend a non-idempotent request after a 5xx, but does after a 429', () => {
    const retry = policy();
    expect(retry.decide(failure(503), 1, false)).toBeUndefined();
    expect(retry.decide(failure(429, '2'), 1, false)).toEqual({
      delayMs: 2_000,
      pausesEveryone: true,
    });
  });

  it('waits 60 s on a 429 without Retry-After, within the cap', () => {
    expect(policy().decide(failure(429), 1, true)?.delayMs).toBe(60_000);
    expect(
      policy(undefined, { maxRetryAfterMs: 5_000 }).decide(failure(429), 1, true)?.delayMs,
    ).toBe(5_000);
  });

  it('stops after maxAttempts', () => {
    expect(policy().decide(failure(503), 4, true)).toBeUndefined();
  });
});

describe("RetryPolicy with a caller's rules", () => {
  it('retries a transient failure (a garbled 2xx body) of an idempotent request only', () => {
    const retry = policy(() => 0.5);
    const garbled = new CallFailed({ status: 200, isTransient: true });
    expect(retry.decide(garbled, 1, true)).toEqual({ delayMs: 50, pausesEveryone: false });
    expect(retry.decide(garbled, 1, false)).toBeUndefined();
  });

  it('without jitter waits the doubling ceiling itself', () => {
    const retry = policy(() => 0, { jitter: 'none' });
    expect([1, 2, 3, 5].map((attempt) => retry.backoffMs(attempt))).toEqual([100, 200, 400, 1_000]);
  });

  it('retries the statuses the caller names, and backs off on a 429 when told to', () => {
    const retry = policy(() => 0, {
      jitter: 'none',
      rateLimitWaitMs: 'backoff',
      isRetryableStatus: (status) => status >= 500,
    });
    expect(retry.decide(failure(501), 1, true)).toEqual({ delayMs: 100, pausesEveryone: false });
    expect(retry.decide(failure(429), 2, true)).toEqual({ delayMs: 200, pausesEveryone: true });
    expect(retry.decide(failure(429, '3'), 2, true)?.delayMs).toBe(3_000);
    expect(policy().decide(failure(501), 1, true)).toBeUndefined();
  });

  it('honours Retry-After on a retryable status, cut to maxRetryAfterMs', () => {
    const retry = policy(() => 0, { maxRetryAfterMs: 5_000 });
    expect(retry.decide(failure(503, '2'), 1, true)?.delayMs).toBe(2_000);
    expect(retry.decide(failure(503, '20'), 1, true)?.delayMs).toBe(5_000);
  });
});
