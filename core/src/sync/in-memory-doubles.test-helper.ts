import type {
  ChangesPageRead,
  InvalidRecord,
  ProviderPageRead,
  ProviderSource,
} from '../ports/provider-source.js';
import type { Provider } from '../domain/provider.js';
import type { ProviderChange } from '../domain/change.js';
import type { RecordOutcome, Sink, SinkOpenContext } from '../ports/sink.js';
import type { SlotSource } from '../ports/slot-source.js';
import type { Slot } from '../domain/slot.js';
import type { SyncRecord } from '../domain/sync-record.js';
import { recordKey } from '../domain/sync-record.js';

/** A valid provider with the given sequence number. */
export function makeProvider(n: number, patch: Partial<Provider> = {}): Provider {
  return {
    id: `PRV${String(n).padStart(10, '0')}`,
    npi: '1234567893',
    name: { first: 'Ada', last: `Doe${n}`, title: 'MD' },
    specialties: [n % 2 === 0 ? 'cardiology' : 'pediatrics'],
    accepting_new_patients: true,
    status: 'active',
    updated_at: '2026-11-01T00:00:00Z',
    ...patch,
  };
}

/** An in-memory provider source with pages of `pageSize`, counting what it handed out. */
export class MemorySource implements ProviderSource {
  pulled = 0;
  changeLog: Array<{ change: ProviderChange; at: string }> = [];
  /** Invalid records served with the first page (as a client reports records it cannot read). */
  invalidOnFirstPage: InvalidRecord[] = [];
  /** Ids `getProvider` answers as unknown. */
  gone = new Set<string>();

  constructor(
    public providers: Provider[],
    private readonly pageSize = 10,
  ) {}

  async *listProviders(options: { startAfterId?: string } = {}): AsyncGenerator<ProviderPageRead> {
    const remaining = this.providers.filter(
      (p) => options.startAfterId === undefined || p.id > options.startAfterId,
    );
    for (let start = 0; start < remaining.length; start += this.pageSize) {
      const providers = remaining.slice(start, start + this.pageSize);
      this.pulled += providers.length;
      const invalid = start === 0 ? this.invalidOnFirstPage : [];
      yield { providers, invalid, total: this.providers.length };
    }
  }

  async getProvider(id: string): Promise<Provider | undefined> {
    if (this.gone.has(id)) return undefined;
    return this.providers.find((p) => p.id === id);
  }

  async *changes(options: { since: string; cursor?: string }): AsyncGenerator<ChangesPageRead> {
    const pending = this.changeLog.filter((entry) => entry.at > options.since);
    let offset = options.cursor === undefined ? 0 : Number(options.cursor);
    do {
      const slice = pending.slice(offset, offset + this.pageSize);
      const cursor = offset === 0 ? undefined : String(offset);
      offset += this.pageSize;
      const hasMore = offset < pending.length;
      yield {
        cursor,
        invalid: [],
        page: {
          changes: slice.map((entry) => entry.change),
          has_more: hasMore,
          next_cursor: hasMore ? String(offset) : null,
          until: pending.at(-1)?.at ?? options.since,
        },
      };
    } while (offset < pending.length);
  }
}

/** Two slots per provider per run. */
export const twoSlots: SlotSource = {
  async getSchedule(providerId, window): Promise<Slot[]> {
    return [0, 1].map((i) => ({
      slot_id: `SLT-${providerId}-${i}`,
      date: window.start_date,
      time: `0${9 + i}:00`,
      duration_minutes: 30,
      available: i === 0,
      location_id: 'LOC0000000001',
      visit_type: 'follow_up',
    }));
  },
};

/**
 * An append-only sink (like a file): without checkpoint truncation a resumed run would
 * duplicate lines. `failOnBatch` makes one write throw, as a crash would.
 */
export class AppendSink implements Sink {
  readonly name: string;
  lines: string[] = [];
  writes = 0;
  acked = 0;
  failOnBatch?: number;
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
