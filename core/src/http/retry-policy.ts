import type { Clock } from '../ports/clock.js';

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
  /**
   * `full` (default): a random wait between 0 and the backoff ceiling, so that callers
   * who failed together do not retry together; `none`: the ceiling itself.
   */
  jitter?: 'full' | 'none';
  /**
   * The wait after a 429 without `Retry-After`: milliseconds, or `backoff` for the
   * backoff of that attempt. Default 60 s (HealthConnect's guide).
   */
  rateLimitWaitMs?: number | 'backoff';
  /**
   * Statuses other than 429 that are retried on idempotent requests. Default 500, 502, 503
   * and 504.
   */
  isRetryableStatus?: (status: number) => boolean;
}

/** What a {@link RetryPolicy} needs to know about a failed attempt. */
export interface AttemptFailure {
  /** The HTTP status, when a response arrived. */
  status?: number;
  /** The raw `Retry-After` header, when the response carried one. */
  retryAfter?: string;
  /**
   * True when the attempt got no usable answer: no response (refused, reset, timed out) or
   * a body cut off or garbled on the way. As transient as a 503.
   */
  isTransient?: boolean;
}

/**
 * Reads a caller's error as an {@link AttemptFailure}; `undefined` for errors that are
 * never retried (a bug, a cancellation, a configuration problem).
 */
export type AttemptFailureReader = (error: unknown) => AttemptFailure | undefined;

/** A retry decision: wait `delayMs`; `pausesEveryone` when the server asked the whole client to back off. */
export interface RetryDecision {
  delayMs: number;
  pausesEveryone: boolean;
}

const DEFAULT_RETRYABLE_STATUSES = new Set([500, 502, 503, 504]);
/** HealthConnect's guide: the wait when a 429 carries no `Retry-After`. */
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
 * (full jitter unless turned off) for retryable statuses (by default 500/502/503/504) and
 * transient failures of idempotent requests; `Retry-After` honoured exactly (up to
 * `maxRetryAfterMs`) on 429 and on the retryable statuses. A 429 is retried even for a
 * request that is not idempotent (the server did not process it). Errors the
 * {@link AttemptFailureReader} does not recognise are never retried.
 */
export class RetryPolicy {
  readonly #isRetryableStatus: (status: number) => boolean;

  constructor(
    private readonly options: RetryOptions,
    private readonly clock: Clock,
    private readonly readFailure: AttemptFailureReader,
    private readonly random: () => number = Math.random,
  ) {
    this.#isRetryableStatus =
      options.isRetryableStatus ?? ((status) => DEFAULT_RETRYABLE_STATUSES.has(status));
  }

  /** The decision after `attempt` (1-based) failed with `error`; `undefined` means give up. */
  decide(error: unknown, attempt: number, isIdempotent: boolean): RetryDecision | undefined {
    if (attempt >= this.options.maxAttempts) return undefined;
    const failure = this.readFailure(error);
    if (failure === undefined) return undefined;
    const { status } = failure;
    const asked = parseRetryAfter(failure.retryAfter, this.clock.now());
    // A 429 means the request was not processed, so even a POST may be sent again.
    if (status === 429) {
      const wait = this.options.rateLimitWaitMs ?? DEFAULT_RATE_LIMIT_WAIT_MS;
      return {
        delayMs: this.#capRetryAfter(
          asked ?? (wait === 'backoff' ? this.backoffMs(attempt) : wait),
        ),
        pausesEveryone: true,
      };
    }
    if (!isIdempotent) return undefined;
    if (failure.isTransient === true || (status !== undefined && this.#isRetryableStatus(status))) {
      if (asked !== undefined)
        return { delayMs: this.#capRetryAfter(asked), pausesEveryone: false };
      return { delayMs: this.backoffMs(attempt), pausesEveryone: false };
    }
    return undefined;
  }

  /** The backoff after `attempt` failed: up to (or, without jitter, exactly) min(maxDelay, base · 2^(attempt−1)). */
  backoffMs(attempt: number): number {
    const ceiling = Math.min(
      this.options.maxDelayMs,
      this.options.baseDelayMs * 2 ** (attempt - 1),
    );
    return this.options.jitter === 'none' ? ceiling : Math.floor(this.random() * ceiling);
  }

  #capRetryAfter(ms: number): number {
    return Math.min(ms, this.options.maxRetryAfterMs);
  }
}
