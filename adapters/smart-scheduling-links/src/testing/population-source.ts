import type {
  ChangesPageRead,
  ListProvidersOptions,
  Provider,
  ProviderChange,
  ProviderPageRead,
  ProviderSource,
  ScheduleWindow,
  Slot,
  SlotSource,
} from '@pmsbridge/core';
import { buildProvider, buildSlots } from '@pmsbridge/fhir-mapping/testing';

/**
 * Test fixture: providers `1..count` of the deterministic population as a provider and
 * slot source for a real `SyncEngine` run, with a changes feed tests append to.
 */
export class PopulationSource implements ProviderSource, SlotSource {
  readonly providers = new Map<string, Provider>();
  private readonly changeLog: Array<{ at: string; change: ProviderChange }> = [];

  constructor(
    count: number,
    private readonly slotsPerDay = 3,
    private readonly pageSize = 5,
  ) {
    for (let n = 1; n <= count; n++) {
      const provider = buildProvider(n);
      this.providers.set(provider.id, provider);
    }
  }

  /** Records a change at `at` and applies it to the directory. */
  change(at: string, change: ProviderChange): void {
    this.changeLog.push({ at, change });
    if (change.type === 'deactivated') this.providers.delete(change.providerId);
    else this.providers.set(change.providerId, change.provider);
  }

  async *listProviders(options: ListProvidersOptions = {}): AsyncGenerator<ProviderPageRead> {
    const all = [...this.providers.values()]
      .filter((p) => options.startAfterId === undefined || p.id > options.startAfterId)
      .sort((a, b) => a.id.localeCompare(b.id));
    for (let start = 0; start < all.length; start += this.pageSize) {
      yield {
        providers: all.slice(start, start + this.pageSize),
        invalid: [],
        total: this.providers.size,
      };
    }
  }

  async getProvider(id: string): Promise<Provider | undefined> {
    return this.providers.get(id);
  }

  async *changes(options: { since: string; cursor?: string }): AsyncGenerator<ChangesPageRead> {
    const pending = this.changeLog.filter((entry) => entry.at > options.since);
    yield {
      invalid: [],
      changes: pending.map((entry) => entry.change),
      until: pending.at(-1)?.at ?? options.since,
    };
  }

  async getSchedule(providerId: string, window: ScheduleWindow): Promise<Slot[]> {
    const provider = this.providers.get(providerId);
    if (provider === undefined) return [];
    const days =
      (Date.parse(`${window.endDate}T00:00:00Z`) - Date.parse(`${window.startDate}T00:00:00Z`)) /
        86_400_000 +
      1;
    return buildSlots(provider, window.startDate, days, this.slotsPerDay);
  }
}
