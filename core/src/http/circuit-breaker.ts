import type { Clock } from '../ports/clock.js';

/** When the breaker opens and for how long. */
export interface CircuitBreakerOptions {
  /** Consecutive failed attempts that open the circuit. */
  failureThreshold: number;
  /** How long it stays open before one probe is let through. */
  resetMs: number;
}

/**
 * Makes the error a refused attempt throws, given the milliseconds until the next probe may
 * go out; each caller names its remote system and what to do, under its own error code.
 */
export type CircuitOpenErrorFactory = (retryInMs: number) => Error;

/**
 * Closed → open after `failureThreshold` consecutive failures → half-open after `resetMs`,
 * when exactly one probe goes through: its success closes the circuit, its failure reopens it.
 */
export class CircuitBreaker {
  #failures = 0;
  #openedAt: number | undefined;
  #isProbing = false;

  constructor(
    private readonly options: CircuitBreakerOptions,
    private readonly clock: Clock,
    private readonly openError: CircuitOpenErrorFactory,
  ) {}

  /** Current state, for logs and tests. */
  get state(): 'closed' | 'open' | 'half-open' {
    if (this.#openedAt === undefined) return 'closed';
    return this.clock.now().getTime() - this.#openedAt >= this.options.resetMs
      ? 'half-open'
      : 'open';
  }

  /**
   * Throws the factory's error when no attempt could go out now (open, or half-open
   * with the probe already out), without claiming anything: a cheap check before queueing.
   */
  check(): void {
    if (this.#openedAt === undefined) return;
    const elapsed = this.clock.now().getTime() - this.#openedAt;
    if (elapsed < this.options.resetMs || this.#isProbing) {
      throw this.openError(Math.max(0, this.options.resetMs - elapsed));
    }
  }

  /**
   * Call right before sending. Throws the factory's error unless an attempt may go
   * out now. Returns true when this attempt is the half-open probe: its caller must then
   * settle it with {@link recordSuccess}, {@link recordFailure} or, when the attempt
   * produced no verdict (cancelled), {@link releaseProbe}.
   */
  admit(): boolean {
    this.check();
    if (this.#openedAt === undefined) return false;
    this.#isProbing = true;
    return true;
  }

  /** Gives the probe's place back without a verdict, so that the next attempt may probe. */
  releaseProbe(): void {
    this.#isProbing = false;
  }

  /** Records an attempt that got a usable answer. */
  recordSuccess(): void {
    this.#failures = 0;
    this.#openedAt = undefined;
    this.#isProbing = false;
  }

  /** Records an attempt that failed in a way that says the remote side is unwell. */
  recordFailure(): void {
    this.#failures += 1;
    if (this.#isProbing || this.#failures >= this.options.failureThreshold) {
      this.#openedAt = this.clock.now().getTime();
      this.#isProbing = false;
    }
  }
}
