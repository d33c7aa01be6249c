import { ErrorCode, PmsbridgeError, type Clock } from '@pmsbridge/core';

/** When the breaker opens and for how long. */
export interface CircuitBreakerOptions {
  /** Consecutive failed attempts (5xx, network) that open the circuit. */
  failureThreshold: number;
  /** How long it stays open before one probe is let through. */
  resetMs: number;
}

/** The FHIR server kept failing, so requests to it fail fast for a while. */
export class FhirCircuitOpenError extends PmsbridgeError {
  constructor(baseUrl: string, retryInMs: number) {
    super(
      ErrorCode.CircuitOpen,
      `The FHIR server at ${baseUrl} keeps failing (5xx or unreachable); requests are paused for another ${Math.ceil(retryInMs / 1000)} s. Check the server's health, then run the sync again: it resumes from its checkpoint.`,
      { details: { system: 'fhir', retryInMs } },
    );
  }
}

/**
 * Closed → open after `failureThreshold` consecutive failures → half-open after `resetMs`,
 * when exactly one probe goes through: its success closes the circuit, its failure reopens
 * it. (The HealthConnect client has its own; a shared one belongs in core's HTTP toolkit.)
 */
export class CircuitBreaker {
  #failures = 0;
  #openedAt: number | undefined;
  #isProbing = false;

  constructor(
    private readonly options: CircuitBreakerOptions,
    private readonly clock: Clock,
    private readonly baseUrl: string,
  ) {}

  /** Current state, for logs and tests. */
  get state(): 'closed' | 'open' | 'half-open' {
    if (this.#openedAt === undefined) return 'closed';
    return this.#elapsed() >= this.options.resetMs ? 'half-open' : 'open';
  }

  /**
   * Call right before sending. Throws a {@link FhirCircuitOpenError} unless an attempt may
   * go out now; an attempt let through while half-open is the probe.
   */
  admit(): void {
    if (this.#openedAt === undefined) return;
    const elapsed = this.#elapsed();
    if (elapsed < this.options.resetMs || this.#isProbing) {
      throw new FhirCircuitOpenError(this.baseUrl, Math.max(0, this.options.resetMs - elapsed));
    }
    this.#isProbing = true;
  }

  /** Throws a {@link FhirCircuitOpenError} while open, without claiming the probe. */
  check(): void {
    const elapsed = this.#elapsed();
    if (this.#openedAt !== undefined && elapsed < this.options.resetMs) {
      throw new FhirCircuitOpenError(this.baseUrl, this.options.resetMs - elapsed);
    }
  }

  /** Gives the probe's place back without a verdict (the attempt was cancelled). */
  release(): void {
    this.#isProbing = false;
  }

  /** Records an attempt that got an answer saying the server is well (2xx, 4xx). */
  recordSuccess(): void {
    this.#failures = 0;
    this.#openedAt = undefined;
    this.#isProbing = false;
  }

  /** Records an attempt that says the server is unwell (5xx, no answer). */
  recordFailure(): void {
    this.#failures += 1;
    if (this.#isProbing || this.#failures >= this.options.failureThreshold) {
      this.#openedAt = this.clock.now().getTime();
      this.#isProbing = false;
    }
  }

  #elapsed(): number {
    return this.clock.now().getTime() - (this.#openedAt ?? 0);
  }
}
