import type { SyncRecord } from '../domain/sync-record.js';
import { recordKey } from '../domain/sync-record.js';
import type { RecordOutcome, Sink, SinkOpenContext } from '../ports/sink.js';

/**
 * A recording, append-only sink (like a file): each record it accepts becomes a line
 * `kind:key`. Its checkpoint state is its line count, and it truncates to the resumed
 * count on open, so a resumed run that the engine checkpoints correctly never duplicates
 * a line. `failOnBatch` makes one write throw, as a crash would.
 */
export class AppendSink implements Sink {
  readonly name: string;
  /** One `kind:key` line per record accepted, in write order. */
  lines: string[] = [];
  /** Calls to `write`, including the one that failed. */
  writes = 0;
  /** Records acknowledged. */
  acked = 0;
  /** The 1-based write call that throws `sink crashed`. */
  failOnBatch?: number;
  /** When true, each write yields to the event loop a few times before it records. */
  slow = false;

  constructor(name = 'append') {
    this.name = name;
  }

  async open(context: SinkOpenContext): Promise<void> {
    if (typeof context.resumeState === 'number') this.lines.length = context.resumeState;
  }

  async write(batch: readonly SyncRecord[]): Promise<RecordOutcome[]> {
    this.writes += 1;
    if (this.failOnBatch === this.writes) throw new Error('sink crashed');
    if (this.slow)
      for (let i = 0; i < 5; i += 1) await new Promise((resolve) => setImmediate(resolve));
    for (const record of batch) this.lines.push(`${record.kind}:${recordKey(record)}`);
    this.acked += batch.length;
    return batch.map((record) => ({
      key: recordKey(record),
      ok: true,
      counts: { Line: { created: 1, updated: 0, unchanged: 0, deleted: 0 } },
    }));
  }

  close?(context: { completed: boolean }): Promise<void>;

  checkpointState(): number {
    return this.lines.length;
  }
}
