import type { ResourceCounts } from './sink.js';
import { createToken } from './token.js';

/** One HTTP attempt (a retry is another attempt), as an {@link HttpObserver} hears of it. */
export interface HttpAttempt {
  method: string;
  /** The path as a template, ids replaced: `/providers/{id}`, never a URL with ids in it. */
  route: string;
  /** The response's status; `undefined` when none arrived (refused, reset, timed out). */
  status: number | undefined;
  durationMs: number;
}

/** A retry about to be waited for. */
export interface HttpRetry {
  method: string;
  route: string;
  /** The attempt that failed, 1-based. */
  attempt: number;
  delayMs: number;
}

/** The state of a circuit breaker. */
export type CircuitState = 'closed' | 'open' | 'half-open';

/** Hears of the calls of one HTTP client, for metrics. Calls must not throw. */
export interface HttpObserver {
  /** After every attempt that was sent (cancelled ones are not reported). */
  onAttempt(attempt: HttpAttempt): void;
  /** Before the wait of every retry. */
  onRetry(retry: HttpRetry): void;
  /** Called once by a client with a circuit breaker: `read` tells its state whenever asked. */
  watchCircuit(read: () => CircuitState): void;
}

/** What one acknowledged batch of a sync run added to the run's counts. */
export interface SyncBatchReport {
  pipeline: string;
  /** Items read from the source since the last report. */
  read: number;
  written: number;
  unchanged: number;
  filtered: number;
  deadLettered: number;
  /** Dead-lettered records by the stage or sink that failed them (`source`, `slot-source`, a stage's or sink's name). */
  deadLetteredBy: Record<string, number>;
  /** Per sink, per output type: created, updated, unchanged, deleted. */
  sinks: Record<string, Record<string, ResourceCounts>>;
}

/**
 * Where the sync engine, HTTP clients and listeners report what metrics count. The
 * application owns the implementation (`Metrics`, over a Prometheus registry); without one,
 * {@link noMetrics} discards everything.
 */
export interface MetricsRecorder {
  /** Told after every batch the sinks acknowledged; dry runs are not reported. */
  recordBatch(report: SyncBatchReport): void;
  /**
   * An observer for one HTTP client of `system` (`healthconnect`, `fhir`); `client` tells
   * apart several clients of one system (a sink's name), default `system`.
   */
  httpObserver(system: string, client?: string): HttpObserver;
  /** `depth` is read whenever metrics are collected, e.g. the webhook events waiting. */
  watchQueueDepth(queue: string, depth: () => number): void;
}

/** Service identifier of {@link MetricsRecorder}. */
export const MetricsRecorderToken = createToken<MetricsRecorder>('MetricsRecorder');

const ignoredHttp: HttpObserver = {
  onAttempt: () => undefined,
  onRetry: () => undefined,
  watchCircuit: () => undefined,
};

/** A {@link MetricsRecorder} that records nothing: what code gets when the process exposes no metrics. */
export const noMetrics: MetricsRecorder = {
  recordBatch: () => undefined,
  httpObserver: () => ignoredHttp,
  watchQueueDepth: () => undefined,
};
