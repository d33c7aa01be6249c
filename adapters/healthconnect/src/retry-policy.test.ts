import { describe, expect, it } from '@jest/globals';
import { ErrorCode } from '@pmsbridge/core';
import { ManualTime } from './manual-time.test-helper.js';
import { HealthConnectError } from './remote-errors.js';
import { RetryPolicy, parseRetryAfter } from './retry-policy.js';

const options = { maxAttempts: 4, baseDelayMs: 100, maxDelayMs: 1_000, maxRetryAfterMs: 60_000 };

function failure(status: number | undefined, retryAfter?: string): HealthConnectError {
  return new HealthConnectError('failed', {
    status,
    retryAfter,
    isNetworkError: status === undefined,
  });
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
  const time = new ManualTime();

  it('draws full-jitter backoff between 0 and the doubling ceiling', () => {
    expect(new RetryPolicy(options, time, () => 0.999).backoffMs(1)).toBe(99);
    expect(new RetryPolicy(options, time, () => 0.999).backoffMs(3)).toBe(399);
    expect(new RetryPolicy(options, time, () => 0.999).backoffMs(10)).toBe(999);
    expect(new RetryPolicy(options, time, () => 0).backoffMs(5)).toBe(0);
  });

  it('retries 500, 502, 503, 504 and network errors of idempotent requests', () => {
    const policy = new RetryPolicy(options, time, () => 0.5);
    for (const status of [500, 502, 503, 504, undefined]) {
      expect(policy.decide(failure(status), 1, true)).toEqual({
        delayMs: 50,
        pausesEveryone: false,
      });
    }
  });

  it('never retries 400, 401, 403, 404 or errors it does not know', () => {
    const policy = new RetryPolicy(options, time);
    for (const status of [400, 401, 403, 404])
      expect(policy.decide(failure(status), 1, true)).toBeUndefined();
    expect(policy.decide(new Error('bug'), 1, true)).toBeUndefined();
  });

  it('does not resend a non-idempotent request after a 5xx, but does after a 429', () => {
    const policy = new RetryPolicy(options, time);
    expect(policy.decide(failure(503), 1, false)).toBeUndefined();
    expect(policy.decide(failure(429, '2'), 1, false)).toEqual({
      delayMs: 2_000,
      pausesEveryone: true,
    });
  });

  it('waits 60 s on a 429 without Retry-After, within the cap', () => {
    expect(new RetryPolicy(options, time).decide(failure(429), 1, true)?.delayMs).toBe(60_000);
    expect(
      new RetryPolicy({ ...options, maxRetryAfterMs: 5_000 }, time).decide(failure(429), 1, true)
        ?.delayMs,
    ).toBe(5_000);
  });

  it('stops after maxAttempts', () => {
    expect(new RetryPolicy(options, time).decide(failure(503), 4, true)).toBeUndefined();
  });

  it('marks 429 errors with the rate-limited code', () => {
    expect(new HealthConnectError('x', { status: 429 }, { code: ErrorCode.RateLimited }).code).toBe(
      'PMS_RATE_LIMITED',
    );
  });
});

describe('RetryPolicy on unreadable bodies', () => {
  it('retries a garbled 2xx body of an idempotent request only', () => {
    const policy = new RetryPolicy(options, new ManualTime(), () => 0.5);
    const garbled = new HealthConnectError('bad json', { status: 200, remoteCode: 'invalid_json' });
    expect(policy.decide(garbled, 1, true)).toEqual({ delayMs: 50, pausesEveryone: false });
    expect(policy.decide(garbled, 1, false)).toBeUndefined();
  });
});
