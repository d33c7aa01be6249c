import { Registry, collectDefaultMetrics } from 'prom-client';
import type { HttpObserver, MetricsRecorder, SyncBatchReport } from '../ports/metrics-recorder.js';
import { HttpClientMetrics } from './http-client-metrics.js';
import { SyncMetrics } from './sync-metrics.js';
import { WatchedGauge } from './watched-gauge.js';

/** Options of {@link Metrics}. */
export interface MetricsOptions {
  /** Whether the registry also carries prom-client's process and Node.js metrics. Default true. */
  processMetrics?: boolean;
}

/**
 * The Prometheus metrics of one application, in a registry of its own (never prom-client's
 * global one, so that several applications in one process do not collide). Hand it to the
 * engine and plugins as their {@link MetricsRecorder}; answer `GET /metrics` from
 * {@link Metrics.registry} with `metricsResponse`. `docs/operations.md` lists every metric.
 */
export class Metrics implements MetricsRecorder {
  /** The registry every metric of this application is in. */
  readonly registry = new Registry();
  readonly #sync: SyncMetrics;
  readonly #http: HttpClientMetrics;
  readonly #queues: WatchedGauge<'queue'>;
  readonly #shards: WatchedGauge<'pipeline' | 'state'>;

  constructor(options: MetricsOptions = {}) {
    if (options.processMetrics !== false) collectDefaultMetrics({ register: this.registry });
    this.#sync = new SyncMetrics(this.registry);
    this.#http = new HttpClientMetrics(this.registry);
    this.#queues = new WatchedGauge(this.registry, {
      name: 'pmsbridge_queue_depth',
      help: 'Items waiting in a queue of this process, or being worked on (the webhook events not yet acted on)',
      labelNames: ['queue'],
    });
    this.#shards = new WatchedGauge(this.registry, {
      name: 'pmsbridge_sync_shards',
      help: 'Shards of the distributed run under way: planned, done and pending (pmsbridge distribute); running in this process (pmsbridge worker)',
      labelNames: ['pipeline', 'state'],
    });
  }

  recordBatch(report: SyncBatchReport): void {
    this.#sync.record(report);
  }

  httpObserver(system: string, client?: string): HttpObserver {
    return this.#http.observer(system, client);
  }

  watchQueueDepth(queue: string, depth: () => number): void {
    this.#queues.watch({ queue }, depth);
  }

  /** Reports `count()` as `pmsbridge_sync_shards{pipeline, state}` at each scrape. */
  watchShards(pipeline: string, state: string, count: () => number): void {
    this.#shards.watch({ pipeline, state }, count);
  }
}
