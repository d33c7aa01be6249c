import { describe, expect, it, jest } from '@jest/globals';
import { errors as undiciErrors } from 'undici';
import { CancelledError, ConfigError, exitCodeOf } from '@pmsbridge/core';
import { ManualTime, RetryPolicy } from '@pmsbridge/core/http';
import {
  HealthConnectError,
  healthConnectTokenErrors,
  isHealthConnectError,
  isSignOfTrouble,
  isTokenRejected,
  readHealthConnectFailure,
} from './remote-errors.js';

type RemoteErrorsModule = typeof import('./remote-errors.js');

/** This module (and the core it imports) loaded a second time, as a bundled copy would be. */
async function secondCopy(): Promise<RemoteErrorsModule> {
  let copy: RemoteErrorsModule | undefined;
  await jest.isolateModulesAsync(async () => {
    copy = await import('./remote-errors.js');
  });
  if (copy === undefined) throw new Error('the second copy did not load');
  return copy;
}

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

  it('reads the failure of a HealthConnect error thrown by another copy of the adapter', async () => {
    const copy = await secondCopy();
    const foreign = new copy.HealthConnectError('failed', { status: 503, retryAfter: '3' });
    expect(foreign instanceof HealthConnectError).toBe(false);
    expect(isHealthConnectError(foreign)).toBe(true);
    expect(readHealthConnectFailure(foreign)).toEqual({
      status: 503,
      retryAfter: '3',
      isTransient: false,
    });
    expect(isSignOfTrouble(foreign)).toBe(true);
  });

  it('does not take other pmsbridge errors for HealthConnect failures', () => {
    expect(isHealthConnectError(new CancelledError())).toBe(false);
    expect(readHealthConnectFailure(new ConfigError('bad'))).toBeUndefined();
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

describe('the HealthConnect token endpoint failures', () => {
  const errors = healthConnectTokenErrors('https://auth.hc.test/oauth/token');

  it('reports invalid_client as refused credentials: category PMS_AUTH, exit code 1', () => {
    const error = errors.refused({ status: 401, remoteCode: 'invalid_client' });
    expect(isHealthConnectError(error)).toBe(true);
    expect(error).toMatchObject({ code: 'PMS_HC_AUTH_REFUSED', category: 'PMS_AUTH', status: 401 });
    expect(error.message).toMatch(/check clientId and clientSecret/);
    expect(exitCodeOf('PMS_HC_AUTH_REFUSED')).toBe(1);
    expect(readHealthConnectFailure(error)).toMatchObject({ status: 401, isTransient: false });
  });

  it('reports invalid_scope as a config error with the scope-missing code, exit code 2', () => {
    const error = errors.refused({ status: 400, remoteCode: 'invalid_scope' });
    expect(error).toBeInstanceOf(ConfigError);
    expect(error).toMatchObject({ code: 'PMS_HC_SCOPE_MISSING', category: 'PMS_CONFIG' });
    expect(exitCodeOf('PMS_HC_SCOPE_MISSING')).toBe(2);
  });

  it('keeps unsupported_grant_type a config error', () => {
    expect(errors.refused({ status: 400, remoteCode: 'unsupported_grant_type' })).toMatchObject({
      code: 'PMS_CONFIG',
    });
  });

  it('reports no answer as unreachable or timed out, retried like any network failure', () => {
    const refused = errors.unreachable(new undiciErrors.SocketError('other side closed'));
    expect(refused).toMatchObject({
      code: 'PMS_NET_UNREACHABLE',
      category: 'PMS_REMOTE',
      isNetworkError: true,
    });
    expect(readHealthConnectFailure(refused)).toMatchObject({ isTransient: true });
    expect(errors.unreachable(new undiciErrors.HeadersTimeoutError())).toMatchObject({
      code: 'PMS_NET_TIMEOUT',
      category: 'PMS_TIMEOUT',
    });
  });
});
