import type {
  ChangesOptions,
  ChangesPageRead,
  Lifecycle,
  ListProvidersOptions,
  ListingShard,
  Provider,
  ProviderPageRead,
  ProviderSearch,
  ProviderSearchCriteria,
  ProviderSearchResult,
  ProviderSource,
  ScheduleWatch,
  ShardedListing,
  ScheduleWindow,
  Slot,
  SlotSource,
} from '@pmsbridge/core';
import { ProviderIdSchema } from '@pmsbridge/healthconnect-contract';
import type { HealthConnectClient, ProviderSearchPage } from './healthconnect-client.js';

/**
 * HealthConnect as core's {@link ProviderSource}, {@link SlotSource} and
 * {@link ProviderSearch}. Full listings bypass the search cache (a sync wants current data);
 * resuming after a provider id finds the right page by binary search over the id-ordered
 * pages. Directory searches go through the client's 5-minute search cache.
 */
export class HealthConnectSource
  implements ProviderSource, SlotSource, ProviderSearch, ShardedListing, Lifecycle
{
  /**
   * Subscribes a provider's `schedule.updated` webhooks (core's `ScheduleWatch`); present
   * only when the source is given its subscriptions (option `scheduleWebhooks`).
   */
  readonly watchSchedule?: ScheduleWatch['watchSchedule'];

  constructor(
    readonly client: HealthConnectClient,
    subscriptions?: ScheduleWatch,
  ) {
    if (subscriptions !== undefined) {
      this.watchSchedule = subscriptions.watchSchedule.bind(subscriptions);
    }
  }

  /** Every provider, page by page, ordered by id; after `startAfterId` when given. */
  async *listProviders(options: ListProvidersOptions = {}): AsyncGenerator<ProviderPageRead> {
    const { signal, startAfterId } = options;
    const read = (page: number): Promise<ProviderSearchPage> =>
      this.client.searchPage({}, page, { signal, useCache: false });
    const first = await read(1);
    const startPage =
      startAfterId === undefined ? 1 : await this.#findStartPage(first, startAfterId, signal);
    let page = startPage === 1 ? first : await read(startPage);
    for (;;) {
      yield startAfterId === undefined ? toRead(page) : after(page, startAfterId);
      if (!page.hasNextPage) return;
      page = await read(page.page + 1);
    }
  }

  /**
   * Splits the listing into at most `count` shards of whole pages (core's `ShardedListing`):
   * reads the first page for the total, then the last page of each shard but the last for
   * the id it ends with — `count` requests in all.
   */
  async planShards(count: number, signal?: AbortSignal): Promise<ListingShard[]> {
    const read = (page: number): Promise<ProviderSearchPage> =>
      this.client.searchPage({}, page, { signal, useCache: false });
    const first = await read(1);
    const pages = Math.max(1, Math.ceil(first.total / first.perPage));
    const shardCount = Math.max(1, Math.min(Math.floor(count), pages));
    const ends: string[] = [];
    for (let shard = 1; shard < shardCount; shard += 1) {
      const lastPage = Math.round((shard * pages) / shardCount);
      const page = lastPage === 1 ? first : await read(lastPage);
      const end = page.providers.at(-1)?.id;
      const previous = ends.at(-1);
      // A page emptied by providers gone since the total was read ends no shard.
      if (end !== undefined && (previous === undefined || end > previous)) ends.push(end);
    }
    return [...ends, undefined].map((throughId, index) => {
      const afterId = index === 0 ? undefined : ends[index - 1];
      return {
        ...(afterId === undefined ? {} : { afterId }),
        ...(throughId === undefined ? {} : { throughId }),
      };
    });
  }

  /** One page of `GET /providers` with the directory's criteria. */
  async searchProviders(
    criteria: ProviderSearchCriteria,
    { page, perPage }: { page: number; perPage: number },
    signal?: AbortSignal,
  ): Promise<ProviderSearchResult> {
    const found = await this.client.searchPage(criteria, page, { signal, perPage });
    return {
      providers: found.providers,
      page: found.page,
      perPage: found.perPage,
      total: found.total,
      hasNextPage: found.hasNextPage,
    };
  }

  /**
   * One provider, or `undefined` when there is none: read afresh (a sync, a replay or a
   * webhook's re-read wants current data; the directory keeps its own hour-long cache).
   */
  getProvider(id: string, signal?: AbortSignal): Promise<Provider | undefined> {
    return this.client.getProvider(id, { signal, useCache: false });
  }

  /** HealthConnect provider ids are `PRV` and 10 digits; other keys are positions. */
  isProviderId(key: string): boolean {
    return ProviderIdSchema.safeParse(key).success;
  }

  /** Changes after `since`, resumable at `cursor`. */
  changes(options: ChangesOptions): AsyncIterable<ChangesPageRead> {
    return this.client.changes(options);
  }

  /** Every slot of the provider in the window. */
  getSchedule(providerId: string, window: ScheduleWindow, signal?: AbortSignal): Promise<Slot[]> {
    return this.client.getSchedule(providerId, window, signal);
  }

  /** Closes the client's connections. */
  async stop(): Promise<void> {
    await this.client.close();
  }

  /** The first page whose last id sorts after `afterId` (pages are ordered by id). */
  async #findStartPage(
    first: ProviderSearchPage,
    afterId: string,
    signal?: AbortSignal,
  ): Promise<number> {
    const pages = Math.max(1, Math.ceil(first.total / first.perPage));
    let low = 1;
    let high = pages;
    while (low < high) {
      const middle = Math.floor((low + high) / 2);
      const probe = await this.client.searchPage({}, middle, {
        signal,
        useCache: false,
        fields: ['id'],
      });
      const ids = [...probe.providers.map((p) => p.id), ...probe.invalid.map((r) => r.key)].sort();
      const last = ids.at(-1);
      if (last === undefined || last > afterId) high = middle;
      else low = middle + 1;
    }
    return low;
  }
}

function toRead(page: ProviderSearchPage): ProviderPageRead {
  return { providers: page.providers, invalid: page.invalid, total: page.total };
}

function after(page: ProviderSearchPage, afterId: string): ProviderPageRead {
  return {
    providers: page.providers.filter((provider) => provider.id > afterId),
    invalid: page.invalid.filter((record) => record.key > afterId),
    total: page.total,
  };
}
