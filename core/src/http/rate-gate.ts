import type { Clock } from '../ports/clock.js';
import type { Sleep } from './sleep.js';

/**
 * One gate every request of a client passes before it is sent. A 429's `Retry-After`
 * closes the gate for everyone, not only for the caller that got it; an optional
 * requests-per-second limit spaces requests evenly.
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
  ) {}

  /** Closes the gate for `ms` from now (never shortens an earlier pause). */
  pause(ms: number): void {
    this.#closedUntil = Math.max(this.#closedUntil, this.clock.now().getTime() + ms);
  }

  /**
   * Closes the gate until `resetEpochMs` when the server reports no requests left in its
   * window, but for no longer than `maxResetWaitMs` (a reset far ahead, e.g. a wrong clock
   * or a daily quota, must not stall the client for hours).
   */
  observe(remaining: number | undefined, resetEpochMs: number | undefined): void {
    if (remaining === 0 && resetEpochMs !== undefined) {
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
