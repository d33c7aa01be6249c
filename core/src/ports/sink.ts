import type { SyncRecord } from '../domain/sync-record.js';
import { createToken } from './token.js';

/** What happened to the resources of one output type while writing one record. */
export interface ResourceCounts {
  created: number;
  updated: number;
  unchanged: number;
  deleted: number;
}

/** The result of writing one record. */
export interface RecordOutcome {
  /** The record's key (see `recordKey`). */
  key: string;
  ok: boolean;
  /** Per output type (e.g. `Practitioner`, `Slot`), what the write did. */
  counts?: Record<string, ResourceCounts>;
  /** Why the record failed; it goes to the dead-letter store with this reason. */
  error?: { code: string; message: string; details?: unknown };
}

/** Passed to {@link Sink.open}. */
export interface SinkOpenContext {
  /** The sink's state saved with the checkpoint this run resumes from, if any. */
  resumeState?: unknown;
  /** Report what would change without changing anything. */
  dryRun: boolean;
  mode: 'full' | 'incremental';
  signal: AbortSignal;
  /**
   * Set when this process writes one shard of a distributed full run (see
   * {@link Sink.shardable}): other processes write the run's other shards at the same time,
   * and {@link Sink.finishRun} follows once every shard has completed. `close({ completed })`
   * then ends only this shard's part.
   */
  shard?: ShardContext;
}

/** Which part of a distributed full run a sink is opened for. */
export interface ShardContext {
  /** The distributed run's id, the same in every process. */
  run: string;
  /** The shard's id, unique in the run (e.g. `007`). */
  id: string;
}

/** Passed to {@link Sink.finishRun}. */
export interface FinishRunContext {
  /** The distributed run's id. */
  run: string;
  /** Every shard of the run, each completed. */
  shards: readonly string[];
  signal: AbortSignal;
}

/**
 * A destination. Writes are batched and idempotent: writing the same record twice
 * leaves the destination as after one write.
 */
export interface Sink {
  /** A name for logs, summaries and dead letters. */
  readonly name: string;
  /**
   * Whether the sink honours {@link SinkOpenContext.dryRun}: changes nothing and reports what
   * it would change. A sink that does not say so is not opened, written or closed during a
   * dry run, so a dry run cannot write through a sink that forgot the flag.
   */
  readonly supportsDryRun?: boolean;
  /**
   * Whether several processes may write the shards of one full run at the same time (each
   * opened with {@link SinkOpenContext.shard}). True for a sink whose writes are per record and
   * idempotent (a FHIR server); a sink that assembles one output from the whole run (a bulk
   * publication) also implements {@link Sink.finishRun}. A distributed run refuses a sink
   * that does not say so.
   */
  readonly shardable?: boolean;
  open?(context: SinkOpenContext): Promise<void>;
  /** Writes a batch; returns one outcome per record, in order. Throws only when the whole sink is unusable. */
  write(batch: readonly SyncRecord[], signal: AbortSignal): Promise<RecordOutcome[]>;
  /** State to store atomically with the checkpoint after a batch was acknowledged. */
  checkpointState?(): unknown;
  /** Called once at the end; `completed` is false after a failure or cancellation. */
  close?(context: { completed: boolean }): Promise<void>;
  /**
   * The final step of a distributed full run, called once (in one process, on an unopened
   * sink) after every shard completed: e.g. publishing a manifest over every shard's files.
   * Called again with the same arguments if the run stops before recording it as done, so
   * it must be idempotent.
   */
  finishRun?(context: FinishRunContext): Promise<void>;
}

/** Service identifier of {@link Sink}. */
export const SinkToken = createToken<Sink>('Sink');
