import type {
  ChangesPageRead,
  InvalidRecord,
  ProviderPageRead,
  ProviderSource,
} from '../ports/provider-source.js';
import type { Location, Provider } from '../domain/provider.js';
import type { ProviderChange } from '../domain/change.js';
import type { ListingShard } from '../ports/sharded-listing.js';
import type { SlotSource } from '../ports/slot-source.js';
import type { Slot } from '../domain/slot.js';

/** A valid location with the given sequence number (`LOC0000000001`, a Chicago clinic). */
export function makeLocation(n = 1, patch: Partial<Location> = {}): Location {
  return {
    id: `LOC${String(n).padStart(10, '0')}`,
    name: `Lakeview Clinic ${n}`,
    address: {
      lines: [`${n} Main St`],
      city: 'Chicago',
      state: 'IL',
      postalCode: '60601',
      country: 'US',
    },
    timezone: 'America/Chicago',
    ...patch,
  };
}

/** A valid provider with the given sequence number. */
export function makeProvider(n: number, patch: Partial<Provider> = {}): Provider {
  return {
    id: `PRV${String(n).padStart(10, '0')}`,
    npi: '1234567893',
    name: { first: 'Ada', last: `Doe${n}`, title: 'MD' },
    specialties: [n % 2 === 0 ? 'cardiology' : 'pediatrics'],
    acceptingNewPatients: true,
    status: 'active',
    updatedAt: '2026-11-01T00:00:00Z',
    ...patch,
  };
}

/**
 * An in-memory provider source with pages of `pageSize`, counting what it handed out.
 * Incremental runs read `changeLog`, entries after the `since` they are asked for.
 */
export class MemorySource implements ProviderSource {
  /** Providers handed out by `listProviders` so far. */
  pulled = 0;
  /** Changes served to incremental runs, each with the time it happened. */
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

  /** Splits the providers (sorted by id) into at most `count` shards of about equal size. */
  async planShards(count: number): Promise<ListingShard[]> {
    const ids = this.providers.map((p) => p.id).sort();
    const size = Math.max(1, Math.ceil(ids.length / Math.max(1, count)));
    const shards: ListingShard[] = [];
    for (let start = 0; start < ids.length || shards.length === 0; start += size) {
      const isLast = start + size >= ids.length;
      shards.push({
        ...(start === 0 ? {} : { afterId: ids[start - 1] }),
        ...(isLast ? {} : { throughId: ids[start + size - 1] }),
      });
      if (isLast) break;
    }
    return shards;
  }

  /** Keys in {@link makeProvider}'s id form (`PRV` and 10 digits) name providers. */
  isProviderId(key: string): boolean {
    return /^PRV\d{10}$/.test(key);
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
      yield {
        cursor,
        invalid: [],
        changes: slice.map((entry) => entry.change),
        until: pending.at(-1)?.at ?? options.since,
      };
    } while (offset < pending.length);
  }
}

/** A slot source that answers two slots (09:00 available, 10:00 booked) per provider on the window's first day. */
export const twoSlots: SlotSource = {
  async getSchedule(providerId, window): Promise<Slot[]> {
    return [0, 1].map((i) => ({
      id: `SLT-${providerId}-${i}`,
      date: window.startDate,
      time: `${String(9 + i).padStart(2, '0')}:00`,
      durationMinutes: 30,
      available: i === 0,
      locationId: 'LOC0000000001',
      visitType: 'follow_up',
    }));
  },
};
