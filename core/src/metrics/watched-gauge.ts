import { Gauge, type Registry } from 'prom-client';

/**
 * A gauge whose series are read from functions whenever the registry is collected: for
 * values some other object keeps (a queue's length, a breaker's state), so they are never
 * stale and nobody has to remember to update them.
 */
export class WatchedGauge<Label extends string> {
  readonly #reads = new Map<string, { labels: Record<Label, string>; read: () => number }>();

  constructor(
    registry: Registry,
    config: { name: string; help: string; labelNames: readonly Label[] },
  ) {
    const reads = this.#reads;
    new Gauge<Label>({
      ...config,
      registers: [registry],
      collect() {
        this.reset();
        for (const { labels, read } of reads.values()) this.set(labels, read());
      },
    });
  }

  /** Reads the series `labels` from `read` from now on, replacing an earlier watch of them. */
  watch(labels: Record<Label, string>, read: () => number): void {
    this.#reads.set(JSON.stringify(labels), { labels, read });
  }
}
