import { describe, expect, it } from '@jest/globals';
import { CancelledError } from '../errors/errors.js';
import { CircuitBreaker } from './circuit-breaker.js';
import { ManualTime } from './manual-time.js';
import { RateGate } from './rate-gate.js';
import type { RequestAuth } from './request-auth.js';
import { RequestPipeline, type RequestPipelineParts } from './request-pipeline.js';
import { RetryPolicy, type AttemptFailure } from './retry-policy.js';

/** A caller's error: the pipeline learns about it only through the caller's readers. */
class CallFailed extends Error {
  constructor(readonly failure: AttemptFailure) {
    super(`failed with ${failure.status ?? 'no answer'}`);
  }
}

class CircuitOpen extends Error {}

const statusOf = (error: unknown): number | undefined =>
  error instanceof CallFailed ? error.failure.status : undefined;

/** Headers `Bearer 1`, `Bearer 2`, …: a fresh one after each invalidate. */
function countingAuth(): RequestAuth & { invalidated: string[] } {
  let current = 1;
  const invalidated: string[] = [];
  return {
    invalidated,
    header: async () => `Bearer ${current}`,
    invalidate: (header) => {
      invalidated.push(header);
      current += 1;
    },
  };
}

function pipeline(time: ManualTime, parts: Partial<RequestPipelineParts> = {}): RequestPipeline {
  return new RequestPipeline({
    retry: new RetryPolicy(
      { maxAttempts: 3, baseDelayMs: 100, maxDelayMs: 1_000, maxRetryAfterMs: 60_000 },
      time,
      (error) => (error instanceof CallFailed ? error.failure : undefined),
      () => 0.5,
    ),
    sleep: time.sleep,
    isSignOfTrouble: (error) => (statusOf(error) ?? 0) >= 500,
    isCredentialRejected: (error) => statusOf(error) === 401,
    ...parts,
  });
}

const get = { method: 'GET', path: '/things', isIdempotent: true };

describe('RequestPipeline', () => {
  it('retries a 503 after the backoff and reports each retry', async () => {
    const time = new ManualTime();
    const retries: number[] = [];
    const answers = [new CallFailed({ status: 503 }), 'ok'];
    const sent = pipeline(time, { onRetry: (event) => retries.push(event.attempt) }).send(
      get,
      async () => {
        const answer = answers.shift();
        if (answer instanceof Error) throw answer;
        return answer;
      },
    );
    expect(await time.pendingSleeps(1)).toEqual([50]);
    time.advance(50);
    await expect(sent).resolves.toBe('ok');
    expect(retries).toEqual([1]);
  });

  it('sends once more with a fresh header after the server rejects the credentials', async () => {
    const auth = countingAuth();
    const seen: Array<string | undefined> = [];
    const result = await pipeline(new ManualTime(), { auth }).send(get, async (authorization) => {
      seen.push(authorization);
      if (authorization === 'Bearer 1') throw new CallFailed({ status: 401 });
      return 'ok';
    });
    expect(result).toBe('ok');
    expect(seen).toEqual(['Bearer 1', 'Bearer 2']);
    expect(auth.invalidated).toEqual(['Bearer 1']);
  });

  it('fails at once instead of waiting for a retry when the failure opened the circuit', async () => {
    const time = new ManualTime();
    const breaker = new CircuitBreaker(
      { failureThreshold: 1, resetMs: 30_000 },
      time,
      () => new CircuitOpen('open'),
    );
    const sent = pipeline(time, { breaker }).send(get, async () => {
      throw new CallFailed({ status: 503 });
    });
    await expect(sent).rejects.toBeInstanceOf(CircuitOpen);
    expect(time.sleeps).toEqual([]);
  });

  it('pauses the shared gate on a 429 instead of sleeping, so every caller waits', async () => {
    const time = new ManualTime();
    const gate = new RateGate(time, time.sleep);
    const answers = [new CallFailed({ status: 429, retryAfter: '2' }), 'ok'];
    const sent = pipeline(time, { gate }).send(get, async () => {
      const answer = answers.shift();
      if (answer instanceof Error) throw answer;
      return answer;
    });
    expect(await time.pendingSleeps(1)).toEqual([2_000]);
    expect(gate.isPaused).toBe(true);
    time.advance(2_000);
    await expect(sent).resolves.toBe('ok');
  });

  it('gives a cancelled probe its place back without a verdict', async () => {
    const time = new ManualTime();
    const breaker = new CircuitBreaker(
      { failureThreshold: 1, resetMs: 1_000 },
      time,
      () => new CircuitOpen('open'),
    );
    breaker.recordFailure();
    time.advance(1_000);
    const sent = pipeline(time, { breaker }).send(get, async () => {
      throw new CancelledError();
    });
    await expect(sent).rejects.toBeInstanceOf(CancelledError);
    expect(breaker.state).toBe('half-open');
    expect(breaker.admit()).toBe(true);
  });

  it('does not resend a request that is not idempotent after a 5xx', async () => {
    let attempts = 0;
    const sent = pipeline(new ManualTime()).send({ ...get, isIdempotent: false }, async () => {
      attempts += 1;
      throw new CallFailed({ status: 502 });
    });
    await expect(sent).rejects.toBeInstanceOf(CallFailed);
    expect(attempts).toBe(1);
  });
});
