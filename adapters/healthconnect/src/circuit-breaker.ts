import type { Clock } from '@pmsbridge/core';
import { CircuitOpenError } from './remote-errors.js';

/** When the breaker opens and for how long. */
export interface CircuitBreakerOptions {
  /** Consecutive failed attempts that open the circuit. */
  failureThreshold: number;
  /** How long it stays open before one probe is let through. */
  resetMs: number;
}

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
  ) {}

  /** Current state, for logs and tests. */
  get state(): 'closed' | 'open' | 'half-open' {
    if (this.#openedAt === undefined) return 'closed';
    return this.clock.now().getTime() - this.#openedAt >= this.options.resetMs
      ? 'half-open'
      : 'open';
  }

  /** Throws a {@link CircuitOpenError} unless an attempt may go out now. */
  admit(): void {
    if (this.#openedAt === undefined) return;
    const elapsed = this.clock.now().getTime() - this.#openedAt;
    if (elapsed < this.options.resetMs || this.#isProbing) {
      throw new CircuitOpenError(Math.max(0, this.options.resetMs - elapsed));
    }
    this.#isProbing = true;
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
