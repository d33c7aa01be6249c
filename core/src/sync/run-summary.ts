import type { SyncBatchReport } from '../ports/metrics-recorder.js';
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

/** The counts a {@link RunTally} reports to metrics. */
type ReportedCounts = Omit<SyncBatchReport, 'pipeline'>;

const copySinks = (sinks: ReportedCounts['sinks']): ReportedCounts['sinks'] =>
  Object.fromEntries(
    Object.entries(sinks).map(([sink, types]) => [
      sink,
      Object.fromEntries(Object.entries(types).map(([type, counts]) => [type, { ...counts }])),
    ]),
  );

/** `now - before`, key by key; keys missing from `before` count from 0. */
function subtractCounts(now: ReportedCounts, before: ReportedCounts): ReportedCounts {
  const sinks: ReportedCounts['sinks'] = {};
  for (const [sink, types] of Object.entries(now.sinks)) {
    for (const [type, counts] of Object.entries(types)) {
      const old = before.sinks[sink]?.[type] ?? emptyCounts();
      (sinks[sink] ??= {})[type] = {
        created: counts.created - old.created,
        updated: counts.updated - old.updated,
        unchanged: counts.unchanged - old.unchanged,
        deleted: counts.deleted - old.deleted,
      };
    }
  }
  return {
    read: now.read - before.read,
    written: now.written - before.written,
    unchanged: now.unchanged - before.unchanged,
    filtered: now.filtered - before.filtered,
    deadLettered: now.deadLettered - before.deadLettered,
    deadLetteredBy: Object.fromEntries(
      Object.entries(now.deadLetteredBy).map(([stage, n]) => [
        stage,
        n - (before.deadLetteredBy[stage] ?? 0),
      ]),
    ),
    sinks,
  };
}

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
  /** Dead-lettered records by the stage or sink that failed them. */
  readonly deadLetteredBy: Record<string, number> = {};
  #reported: ReportedCounts = {
    read: 0,
    written: 0,
    unchanged: 0,
    filtered: 0,
    deadLettered: 0,
    deadLetteredBy: {},
    sinks: {},
  };

  constructor(private readonly startedAt: number) {}

  /** Counts one dead-lettered record, failed by `stage` (a stage's or sink's name). */
  addDeadLetter(stage: string): void {
    this.deadLettered += 1;
    this.deadLetteredBy[stage] = (this.deadLetteredBy[stage] ?? 0) + 1;
  }

  /** What was counted since the last call (since the start, the first time): for metrics. */
  takeUnreported(): Omit<SyncBatchReport, 'pipeline'> {
    const now: ReportedCounts = {
      read: this.read,
      written: this.written,
      unchanged: this.unchanged,
      filtered: this.filtered,
      deadLettered: this.deadLettered,
      deadLetteredBy: { ...this.deadLetteredBy },
      sinks: copySinks(this.sinks),
    };
    const delta = subtractCounts(now, this.#reported);
    this.#reported = now;
    return delta;
  }

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
