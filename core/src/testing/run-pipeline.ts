import type { SyncRecord } from '../domain/sync-record.js';
import type { Clock } from '../ports/clock.js';
import type { Logger } from '../ports/logger.js';
import type { MetricsRecorder } from '../ports/metrics-recorder.js';
import type { ProviderSource } from '../ports/provider-source.js';
import type { Sink } from '../ports/sink.js';
import type { SlotSource } from '../ports/slot-source.js';
import type { Stage } from '../ports/stage.js';
import type { StateStore } from '../ports/state-store.js';
import { MemoryStateStore } from '../state/memory-state-store.js';
import type { SyncSummary } from '../sync/run-summary.js';
import { SyncEngine, type SyncOptions } from '../sync/sync-engine.js';
import { ManualClock } from './manual-clock.js';
import { RecordingLogger } from './recording-logger.js';

/** What {@link runPipeline} runs: the ports, plus any of the engine's run options. */
export interface PipelineRunInput extends Partial<SyncOptions> {
  source: ProviderSource;
  /** Without a slot source, records carry no slots. */
  slots?: SlotSource;
  /** Run in order on each record, default none. */
  stages?: readonly Stage[];
  sinks: readonly Sink[];
  /** Default a fresh {@link MemoryStateStore}; pass one to run again over the same state. */
  state?: StateStore;
  /** Default a {@link ManualClock} at its start time. */
  clock?: Clock;
  /** Default a fresh {@link RecordingLogger}. */
  logger?: Logger;
  /** Where the engine reports what each batch counted, e.g. a `Metrics`; default nowhere. */
  metrics?: MetricsRecorder;
}

/** What one {@link runPipeline} call produced. */
export interface PipelineRun {
  summary: SyncSummary;
  /** Per sink name, every record handed to that sink's `write`, in order. */
  received: Record<string, SyncRecord[]>;
  /** The store the run used (its checkpoints, dead letters and content hashes). */
  state: StateStore;
  /** The logger the run used. */
  logger: Logger;
}

/**
 * Runs the real {@link SyncEngine} once over `source`, `stages` and `sinks`, with in-memory
 * state unless `state` is given, and returns the run's summary and what each sink
 * received. Pipeline name defaults to `test`, mode to `full`. The sinks themselves are
 * called as in production; the harness only watches their `write` calls.
 */
export async function runPipeline(input: PipelineRunInput): Promise<PipelineRun> {
  const { source, slots, stages = [], sinks, state = new MemoryStateStore(), ...rest } = input;
  const { clock = new ManualClock(), logger = new RecordingLogger(), metrics, ...options } = rest;
  const received: Record<string, SyncRecord[]> = {};
  const watched = sinks.map((sink) => watchWrites(sink, (received[sink.name] = [])));
  const engine = SyncEngine.of({
    source,
    slots,
    stages,
    sinks: watched,
    state,
    logger,
    clock,
    metrics,
  });
  const summary = await engine.run({ pipeline: 'test', mode: 'full', ...options });
  return { summary, received, state, logger };
}

/** `sink`, with every record passed to `write` also pushed onto `into`. */
function watchWrites(sink: Sink, into: SyncRecord[]): Sink {
  return {
    name: sink.name,
    ...(sink.supportsDryRun !== undefined && { supportsDryRun: sink.supportsDryRun }),
    ...(sink.open && { open: sink.open.bind(sink) }),
    ...(sink.checkpointState && { checkpointState: sink.checkpointState.bind(sink) }),
    ...(sink.close && { close: sink.close.bind(sink) }),
    write(batch, signal) {
      into.push(...batch);
      return sink.write(batch, signal);
    },
  };
}
