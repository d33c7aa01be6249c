import { describe, expect, it } from '@jest/globals';
import { ErrorCode } from '@pmsbridge/core';
import { ManualTime, RetryPolicy } from '@pmsbridge/core/http';
import {
  HealthConnectError,
  isSignOfTrouble,
  isTokenRejected,
  readHealthConnectFailure,
} from './remote-errors.js';

const options = { maxAttempts: 4, baseDelayMs: 100, maxDelayMs: 1_000, maxRetryAfterMs: 60_000 };

function failure(status: number | undefined, retryAfter?: string): HealthConnectError {
  return new HealthConnectError('failed', {
    status,
    retryAfter,
    isNetworkError: status === undefined,
  });
}

describe('HealthConnect failures under the retry policy', () => {
  const policy = new RetryPolicy(options, new ManualTime(), readHealthConnectFailure, () => 0.5);

  it('retries 500, 502, 503, 504 and network errors of idempotent requests', () => {
    for (const status of [500, 502, 503, 504, undefined]) {
      expect(policy.decide(failure(status), 1, true)).toEqual({
        delayMs: 50,
        pausesEveryone: false,
      });
    }
  });

  it('retries a garbled 2xx body of an idempotent request only', () => {
    const garbled = new HealthConnectError('bad json', { status: 200, remoteCode: 'invalid_json' });
    expect(policy.decide(garbled, 1, true)).toEqual({ delayMs: 50, pausesEveryone: false });
    expect(policy.decide(garbled, 1, false)).toBeUndefined();
  });

  it('never retries errors that are not HealthConnect errors', () => {
    expect(policy.decide(new Error('bug'), 1, true)).toBeUndefined();
  });

  it('pauses every caller for the Retry-After of a 429', () => {
    expect(policy.decide(failure(429, '2'), 1, false)).toEqual({
      delayMs: 2_000,
      pausesEveryone: true,
    });
  });

  it('marks 429 errors with the rate-limited code', () => {
    expect(new HealthConnectError('x', { status: 429 }, { code: ErrorCode.RateLimited }).code).toBe(
      'PMS_RATE_LIMITED',
    );
  });
});

describe('HealthConnect failures under the circuit breaker and token refresh', () => {
  it('counts 5xx and network errors as trouble, not 4xx', () => {
    expect([503, undefined, 404, 429].map((status) => isSignOfTrouble(failure(status)))).toEqual([
      true,
      true,
      false,
      false,
    ]);
  });

  it('fetches a fresh token only after a Bearer invalid_token challenge', () => {
    const challenged = new HealthConnectError('401', { status: 401, authError: 'invalid_token' });
    expect(isTokenRejected(challenged)).toBe(true);
    expect(isTokenRejected(failure(401))).toBe(false);
  });
});
