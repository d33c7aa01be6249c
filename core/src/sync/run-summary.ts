import type { RecordOutcome, ResourceCounts } from '../ports/sink.js';
import type { RunFailure } from './dead-letter-threshold.js';

/** Live counters of a run, passed to progress listeners. */
export interface SyncProgress {
  /** Items read from the source (records and invalid records). */
  read: number;
  /** Items fully handled: written, unchanged, filtered or dead-lettered, and checkpointed. */
  done: number;
  written: number;
  unchanged: number;
  filtered: number;
  deadLettered: number;
  /** Items read but not yet acknowledged by the sinks. */
  inFlight: number;
  /** Total items the source announced, when it knows. */
  total?: number;
  elapsedMs: number;
  /** Items done per second since the start. */
  ratePerSecond: number;
  /** Seconds left at the current rate, when the total is known. */
  etaSeconds?: number;
}

/** What a run did, printed by the CLI and returned to embedders. */
export interface SyncSummary {
  pipeline: string;
  mode: 'full' | 'incremental';
  dryRun: boolean;
  /** Whether the run resumed from a checkpoint left by an interrupted run. */
  resumed: boolean;
  read: number;
  written: number;
  unchanged: number;
  filtered: number;
  deadLettered: number;
  /**
   * Changes read that a later change of the same provider in this run made obsolete: each
   * provider reaches the sinks once per run, in its last state.
   */
  coalesced: number;
  /** Dead-lettered records as a share (0–1) of the records handled (`read - coalesced`). */
  deadLetterShare: number;
  /**
   * Present when the run completed but is judged failed: more records were dead-lettered
   * than `deadLetterThreshold` allows. Checkpoints moved and the records wait in the
   * dead-letter store; the CLI exits 1.
   */
  failure?: RunFailure;
  durationMs: number;
  /** Per sink, per output type: created, updated, unchanged, deleted. */
  sinks: Record<string, Record<string, ResourceCounts>>;
}

const emptyCounts = (): ResourceCounts => ({ created: 0, updated: 0, unchanged: 0, deleted: 0 });

/** Accumulates counts during a run and derives progress and the summary from them. */
export class RunTally {
  read = 0;
  done = 0;
  written = 0;
  unchanged = 0;
  filtered = 0;
  deadLettered = 0;
  coalesced = 0;
  total?: number;
  readonly sinks: Record<string, Record<string, ResourceCounts>> = {};

  constructor(private readonly startedAt: number) {}

  /** Adds one sink's outcomes; returns whether each record changed anything. */
  addOutcomes(sink: string, outcomes: readonly RecordOutcome[]): void {
    const bySink = (this.sinks[sink] ??= {});
    for (const outcome of outcomes) {
      for (const [type, counts] of Object.entries(outcome.counts ?? {})) {
        const sum = (bySink[type] ??= emptyCounts());
        sum.created += counts.created;
        sum.updated += counts.updated;
        sum.unchanged += counts.unchanged;
        sum.deleted += counts.deleted;
      }
    }
  }

  progress(now: number): SyncProgress {
    const elapsedMs = now - this.startedAt;
    const ratePerSecond = elapsedMs > 0 ? (this.done * 1000) / elapsedMs : 0;
    const remaining = this.total === undefined ? undefined : Math.max(0, this.total - this.done);
    return {
      read: this.read,
      done: this.done,
      written: this.written,
      unchanged: this.unchanged,
      filtered: this.filtered,
      deadLettered: this.deadLettered,
      inFlight: this.read - this.done,
      total: this.total,
      elapsedMs,
      ratePerSecond,
      etaSeconds:
        remaining === undefined || ratePerSecond === 0 ? undefined : remaining / ratePerSecond,
    };
  }
}

/** Whether an outcome's counts show any change at the destination. */
export function isChange(outcome: RecordOutcome): boolean {
  return Object.values(outcome.counts ?? {}).some(
    (counts) => counts.created + counts.updated + counts.deleted > 0,
  );
}
