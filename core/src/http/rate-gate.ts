import type { Clock } from '../ports/clock.js';
import type { Sleep } from './sleep.js';

/**
 * One gate every request of a client passes before it is sent. A 429's `Retry-After`
 * closes the gate for everyone, not only for the caller that got it; an optional
 * requests-per-second limit spaces requests evenly. The server's `X-RateLimit-*` headers
 * close it before the limit is hit: once no more requests are left in the window than the
 * client may have in flight (the `reserve`), it waits for the window's reset, so requests
 * already sent do not run into 429s.
 */
export class RateGate {
  #closedUntil = 0;
  #nextSlot = 0;

  constructor(
    private readonly clock: Clock,
    private readonly sleep: Sleep,
    private readonly requestsPerSecond?: number,
    /** Longest pause an `X-RateLimit-Reset` may impose (the client's `retry.maxRetryAfterMs`). */
    private readonly maxResetWaitMs: number = Number.POSITIVE_INFINITY,
    /**
     * Requests left in the window below which the gate closes until the reset: the client's
     * requests in flight at most, so those already sent fit in what is left. It is kept to a
     * quarter of the window's limit when the server reports one. Default 0: close at 0 left.
     */
    private readonly reserve = 0,
  ) {}

  /** Closes the gate for `ms` from now (never shortens an earlier pause). */
  pause(ms: number): void {
    this.#closedUntil = Math.max(this.#closedUntil, this.clock.now().getTime() + ms);
  }

  /**
   * Closes the gate until `resetEpochMs` when the server reports no more requests left in
   * its window than the reserve, but for no longer than `maxResetWaitMs` (a reset far ahead,
   * e.g. a wrong clock or a daily quota, must not stall the client for hours).
   */
  observe(remaining: number | undefined, resetEpochMs: number | undefined, limit?: number): void {
    if (remaining === undefined || resetEpochMs === undefined) return;
    const reserve =
      limit === undefined ? this.reserve : Math.min(this.reserve, Math.floor(limit / 4));
    if (remaining <= reserve) {
      const untilReset = Math.max(0, resetEpochMs - this.clock.now().getTime());
      this.pause(Math.min(untilReset, this.maxResetWaitMs));
    }
  }

  /** True while a pause is in force. */
  get isPaused(): boolean {
    return this.#closedUntil > this.clock.now().getTime();
  }

  /** Resolves when this caller may send. */
  async wait(signal?: AbortSignal): Promise<void> {
    for (;;) {
      const remaining = this.#closedUntil - this.clock.now().getTime();
      if (remaining <= 0) break;
      await this.sleep(remaining, signal);
    }
    if (this.requestsPerSecond === undefined) return;
    const now = this.clock.now().getTime();
    const slot = Math.max(now, this.#nextSlot);
    this.#nextSlot = slot + 1000 / this.requestsPerSecond;
    if (slot > now) await this.sleep(slot - now, signal);
  }
}
