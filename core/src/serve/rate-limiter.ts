import type { Clock } from '../ports/clock.js';

/**
 * Per-client token buckets: `perMinute` requests a minute, in bursts of up to `perMinute`.
 * `take` answers how long to wait when the bucket is empty.
 */
export class RateLimiter {
  readonly #buckets = new Map<string, { tokens: number; atMs: number }>();

  constructor(
    private readonly perMinute: number,
    private readonly clock: Clock,
  ) {}

  /** Takes one request's token; undefined when allowed, else the seconds until one is free. */
  take(client: string): number | undefined {
    const nowMs = this.clock.now().getTime();
    const perMs = this.perMinute / 60_000;
    const bucket = this.#buckets.get(client) ?? { tokens: this.perMinute, atMs: nowMs };
    bucket.tokens = Math.min(this.perMinute, bucket.tokens + (nowMs - bucket.atMs) * perMs);
    bucket.atMs = nowMs;
    this.#buckets.set(client, bucket);
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      return undefined;
    }
    return Math.max(1, Math.ceil((1 - bucket.tokens) / perMs / 1000));
  }
}
