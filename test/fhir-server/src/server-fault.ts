/**
 * An outage to simulate: every request (`/metadata` included) after the first `after` ones is
 * answered with `status` (an OperationOutcome, and `Retry-After` when set), or, with
 * `reset`, has its connection destroyed before any response.
 */
export type FhirServerFault =
  { status: number; retryAfterSeconds?: number; after?: number } | { reset: true; after?: number };

/** Decides, request by request, whether the configured fault applies. */
export class FaultSwitch {
  #fault: FhirServerFault | undefined;
  #passed = 0;

  /** Starts a fault (replacing any other), or ends it with `undefined`. */
  set(fault: FhirServerFault | undefined): void {
    if (fault !== undefined && 'status' in fault && (fault.status < 400 || fault.status > 599)) {
      throw new RangeError(`a fault status must be 4xx or 5xx, got ${fault.status}`);
    }
    this.#fault = fault;
    this.#passed = 0;
  }

  /** The fault to apply to the request arriving now, if any; counts the requests let through. */
  next(): FhirServerFault | undefined {
    const fault = this.#fault;
    if (fault === undefined) return undefined;
    if (this.#passed < (fault.after ?? 0)) {
      this.#passed += 1;
      return undefined;
    }
    return fault;
  }
}
