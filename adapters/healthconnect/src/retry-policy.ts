import type { Clock } from '@pmsbridge/core';
import { HealthConnectError } from './remote-errors.js';

/** How often and how long to retry. */
export interface RetryOptions {
  /** Attempts in all, the first included. */
  maxAttempts: number;
  /** Backoff ceiling of the first retry; doubles with each further retry. */
  baseDelayMs: number;
  /** Backoff ceiling. */
  maxDelayMs: number;
  /** Longest `Retry-After` honoured; longer ones are cut to this. */
  maxRetryAfterMs: number;
}

/** A retry decision: wait `delayMs`; `pausesEveryone` when the server asked the whole client to back off. */
export interface RetryDecision {
  delayMs: number;
  pausesEveryone: boolean;
}

/** Statuses worth another attempt of an idempotent request. */
const RETRYABLE_STATUSES = new Set([429, 500, 502, 503, 504]);
/** The guide's wait when a 429 carries no `Retry-After`. */
const DEFAULT_RATE_LIMIT_WAIT_MS = 60_000;

/**
 * Milliseconds a `Retry-After` header asks for, in either form: delta seconds (`120`) or an
 * HTTP date (`Wed, 21 Oct 2026 07:28:00 GMT`, relative to `now`). `undefined` if unreadable.
 */
export function parseRetryAfter(value: string | undefined, now: Date): number | undefined {
  if (value === undefined) return undefined;
  const text = value.trim();
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  const date = Date.parse(text);
  if (Number.isNaN(date)) return undefined;
  return Math.max(0, date - now.getTime());
}

/**
 * Decides whether a failed attempt is retried, and after how long: exponential backoff
 * with full jitter for 500/502/503/504, network errors and unreadable bodies on idempotent requests;
 * `Retry-After` honoured exactly (up to `maxRetryAfterMs`) on 429 and 503. 400, 401, 403,
 * 404 and everything that is not a {@link HealthConnectError} are never retried.
 */
export class RetryPolicy {
  constructor(
    private readonly options: RetryOptions,
    private readonly clock: Clock,
    private readonly random: () => number = Math.random,
  ) {}

  /** The decision after `attempt` (1-based) failed with `error`; `undefined` means give up. */
  decide(error: unknown, attempt: number, isIdempotent: boolean): RetryDecision | undefined {
    if (attempt >= this.options.maxAttempts) return undefined;
    if (!(error instanceof HealthConnectError)) return undefined;
    const status = error.status;
    // A 429 means the request was not processed, so even a POST may be sent again.
    if (status === 429) {
      const asked = parseRetryAfter(error.retryAfter, this.clock.now());
      return {
        delayMs: this.#capRetryAfter(asked ?? DEFAULT_RATE_LIMIT_WAIT_MS),
        pausesEveryone: true,
      };
    }
    if (!isIdempotent) return undefined;
    // An unreadable body on a 2xx (cut off or garbled on the way) is as transient as a reset.
    const isGarbled = error.remoteCode === 'invalid_json';
    if (
      error.isNetworkError ||
      isGarbled ||
      (status !== undefined && RETRYABLE_STATUSES.has(status))
    ) {
      const asked = parseRetryAfter(error.retryAfter, this.clock.now());
      if (asked !== undefined)
        return { delayMs: this.#capRetryAfter(asked), pausesEveryone: false };
      return { delayMs: this.backoffMs(attempt), pausesEveryone: false };
    }
    return undefined;
  }

  /** Full jitter: a random wait between 0 and min(maxDelay, base · 2^(attempt−1)). */
  backoffMs(attempt: number): number {
    const ceiling = Math.min(
      this.options.maxDelayMs,
      this.options.baseDelayMs * 2 ** (attempt - 1),
    );
    return Math.floor(this.random() * ceiling);
  }

  #capRetryAfter(ms: number): number {
    return Math.min(ms, this.options.maxRetryAfterMs);
  }
}
