/** Token-bucket settings: `requestsPerSecond` refill, `burst` capacity (default: the rate). */
export interface RateLimitOptions {
  requestsPerSecond: number;
  burst?: number;
}

/** The outcome of taking a token, with what the X-RateLimit headers report. */
export interface RateDecision {
  allowed: boolean;
  limit: number;
  remaining: number;
  /** Epoch seconds when the bucket is full again. */
  resetEpochSeconds: number;
  /** Seconds until a request would be allowed (only when not allowed). */
  retryAfterSeconds: number;
}

interface Bucket {
  tokens: number;
  atMs: number;
}

/** One token bucket per client. */
export class RateLimiter {
  private readonly buckets = new Map<string, Bucket>();
  private readonly capacity: number;

  constructor(
    private readonly options: RateLimitOptions,
    private readonly now: () => Date,
  ) {
    this.capacity = Math.max(1, Math.floor(options.burst ?? options.requestsPerSecond));
  }

  /** Takes one token from `key`'s bucket if there is one. */
  take(key: string): RateDecision {
    const nowMs = this.now().getTime();
    const rate = this.options.requestsPerSecond;
    const bucket = this.buckets.get(key) ?? { tokens: this.capacity, atMs: nowMs };
    bucket.tokens = Math.min(this.capacity, bucket.tokens + ((nowMs - bucket.atMs) / 1000) * rate);
    bucket.atMs = nowMs;
    const allowed = bucket.tokens >= 1;
    if (allowed) bucket.tokens -= 1;
    this.buckets.set(key, bucket);
    const untilFullMs = ((this.capacity - bucket.tokens) / rate) * 1000;
    return {
      allowed,
      limit: this.capacity,
      remaining: Math.floor(bucket.tokens),
      resetEpochSeconds: Math.ceil((nowMs + untilFullMs) / 1000),
      retryAfterSeconds: allowed ? 0 : Math.max(1, Math.ceil((1 - bucket.tokens) / rate)),
    };
  }
}
