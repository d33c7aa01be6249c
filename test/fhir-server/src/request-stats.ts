/** Counts of the HTTP requests a {@link FhirServer} received since start or the last reset. */
export interface FhirServerStats {
  /** Every request, including rejected ones (401, 404, 415, ...). */
  requests: number;
  /** Requests by HTTP method: `{ GET: 3, PUT: 2 }`. */
  byMethod: Record<string, number>;
  /**
   * Routed requests by FHIR interaction: `read`, `vread`, `search-type`, `search-system`,
   * `create`, `update`, `patch`, `delete`, `history-instance`, `batch` (a transaction or
   * batch bundle posted to the base) and `capabilities` (`GET /metadata`).
   */
  byInteraction: Record<string, number>;
}

/** Mutable counters behind `FhirServer.stats()`. */
export class RequestStats {
  #requests = 0;
  #byMethod: Record<string, number> = {};
  #byInteraction: Record<string, number> = {};

  recordRequest(method: string): void {
    this.#requests += 1;
    this.#byMethod[method] = (this.#byMethod[method] ?? 0) + 1;
  }

  recordInteraction(interaction: string): void {
    this.#byInteraction[interaction] = (this.#byInteraction[interaction] ?? 0) + 1;
  }

  snapshot(): FhirServerStats {
    return {
      requests: this.#requests,
      byMethod: { ...this.#byMethod },
      byInteraction: { ...this.#byInteraction },
    };
  }

  reset(): void {
    this.#requests = 0;
    this.#byMethod = {};
    this.#byInteraction = {};
  }
}
