import { ErrorCategory, hasErrorCategory } from '../errors/errors.js';
import type { HttpObserver } from '../ports/metrics-recorder.js';
import type { CircuitBreaker } from './circuit-breaker.js';
import type { ConcurrencyLimit } from './concurrency-limit.js';
import type { RateGate } from './rate-gate.js';
import type { RequestAuth } from './request-auth.js';
import type { RetryPolicy } from './retry-policy.js';
import { throwIfAborted, type Sleep } from './sleep.js';

/** What the pipeline needs to know about one call. */
export interface PipelineRequest {
  method: string;
  /** For logs and errors; never carries a secret. */
  path: string;
  /**
   * The path as a template for metrics, ids replaced (`/providers/{id}`). Default: `path`
   * without its query, each segment holding a digit replaced by `{id}`.
   */
  route?: string;
  /** Whether the call may be sent again after a failure the server may have acted on. */
  isIdempotent: boolean;
  signal?: AbortSignal;
}

/** A retry about to happen, for the caller's log. */
export interface RetryEvent {
  method: string;
  path: string;
  /** The attempt that failed, 1-based. */
  attempt: number;
  delayMs: number;
  error: unknown;
}

/** The pieces a {@link RequestPipeline} composes, each with one job; all but retry and sleep optional. */
export interface RequestPipelineParts {
  retry: RetryPolicy;
  sleep: Sleep;
  /** Absent when the transport authenticates (mutual TLS) or nothing is needed. */
  auth?: RequestAuth;
  /** Shared by every caller: a 429 pauses them all; absent, a 429 waits for its caller alone. */
  gate?: RateGate;
  limit?: ConcurrencyLimit;
  breaker?: CircuitBreaker;
  /** True when `error` says the remote side is unwell (the breaker counts it as a failure). */
  isSignOfTrouble(error: unknown): boolean;
  /** True when the server rejected the credentials, so that a fresh header may help once. */
  isCredentialRejected?(error: unknown): boolean;
  /** Told before each retry's wait. */
  onRetry?(event: RetryEvent): void;
  /** Told of every attempt, retry and the breaker's state, for metrics. */
  observer?: HttpObserver;
  /**
   * The HTTP status an attempt ended with, read from its result or its error; `undefined`
   * when no response arrived. Without it, the observer hears of no status.
   */
  readStatus?(outcome: unknown): number | undefined;
  /** Milliseconds from an arbitrary origin, to time attempts; default `performance.now`. */
  now?(): number;
}

/** `/providers/PRV0000000001/schedule?from=…` → `/providers/{id}/schedule`. */
export function routeOf(path: string): string {
  return path
    .replace(/\?.*$/s, '')
    .split('/')
    .map((segment) => (/\d/.test(segment) ? '{id}' : segment))
    .join('/');
}

/**
 * Sends a call through retry → auth → circuit breaker check → concurrency limit → rate
 * gate → circuit breaker admission (the half-open probe is claimed only here) → the
 * caller's `exchange`, the order undici's `compose` would give with retry outermost.
 * A cancelled attempt (an error of category `PMS_CANCELLED`) is recorded by the breaker as neither success
 * nor failure. Once the circuit is open, a retry is not waited for: the call fails at once.
 */
export class RequestPipeline {
  constructor(private readonly parts: RequestPipelineParts) {
    const { breaker, observer } = parts;
    if (breaker !== undefined) observer?.watchCircuit(() => breaker.state);
  }

  /**
   * Runs `exchange` (one attempt, given the `Authorization` header value) until it
   * succeeds or the {@link RetryPolicy} gives up; then throws the last attempt's error.
   */
  async send<T>(
    req: PipelineRequest,
    exchange: (authorization: string | undefined) => Promise<T>,
  ): Promise<T> {
    const { retry, breaker, gate, sleep } = this.parts;
    for (let attempt = 1; ; attempt += 1) {
      try {
        return await this.#sendAuthorized(req, exchange);
      } catch (error) {
        const decision = retry.decide(error, attempt, req.isIdempotent);
        if (decision === undefined) throw error;
        // Once the circuit is open, waiting to retry is pointless: fail now.
        breaker?.check();
        this.parts.onRetry?.({
          method: req.method,
          path: req.path,
          attempt,
          delayMs: decision.delayMs,
          error,
        });
        this.parts.observer?.onRetry({
          method: req.method,
          route: req.route ?? routeOf(req.path),
          attempt,
          delayMs: decision.delayMs,
        });
        if (decision.pausesEveryone && gate !== undefined) gate.pause(decision.delayMs);
        else await sleep(decision.delayMs, req.signal);
      }
    }
  }

  /**
   * One attempt with the current credentials; after the server rejects them (as
   * `isCredentialRejected` judges), exactly one more with fresh ones.
   */
  async #sendAuthorized<T>(
    req: PipelineRequest,
    exchange: (authorization: string | undefined) => Promise<T>,
  ): Promise<T> {
    const { auth } = this.parts;
    throwIfAborted(req.signal);
    const header = await auth?.header(req.signal);
    try {
      return await this.#attempt(req, () => exchange(header));
    } catch (error) {
      if (auth === undefined || header === undefined) throw error;
      if (this.parts.isCredentialRejected?.(error) !== true) throw error;
      auth.invalidate(header);
      const fresh = await auth.header(req.signal);
      return this.#attempt(req, () => exchange(fresh));
    }
  }

  async #attempt<T>(req: PipelineRequest, exchange: () => Promise<T>): Promise<T> {
    const { breaker, limit } = this.parts;
    // Fail fast before queueing, but claim the half-open probe only right before sending:
    // a caller that gives up in the queue or at the gate must not hold the probe.
    breaker?.check();
    const admitted = async (): Promise<T> => {
      await this.parts.gate?.wait(req.signal);
      const isProbe = breaker?.admit() ?? false;
      const startedAt = this.#now();
      try {
        const result = await exchange();
        this.#observe(req, startedAt, result);
        breaker?.recordSuccess();
        return result;
      } catch (error) {
        // A cancellation says nothing about the remote side: no verdict, only the probe back.
        if (hasErrorCategory(error, ErrorCategory.Cancelled)) {
          if (isProbe) breaker?.releaseProbe();
          throw error;
        }
        this.#observe(req, startedAt, error);
        if (this.parts.isSignOfTrouble(error)) breaker?.recordFailure();
        else breaker?.recordSuccess();
        throw error;
      }
    };
    return limit === undefined ? admitted() : limit.run(admitted, req.signal);
  }

  #now(): number {
    return this.parts.now?.() ?? performance.now();
  }

  /** Tells the observer of one attempt that ended with `outcome` (its result or its error). */
  #observe(req: PipelineRequest, startedAt: number, outcome: unknown): void {
    const { observer, readStatus } = this.parts;
    if (observer === undefined) return;
    observer.onAttempt({
      method: req.method,
      route: req.route ?? routeOf(req.path),
      status: readStatus?.(outcome),
      durationMs: this.#now() - startedAt,
    });
  }
}
