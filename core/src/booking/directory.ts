import type { Location, Provider } from '../domain/provider.js';
import type { VisitType } from '../domain/slot.js';
import type { Cache } from '../ports/cache.js';
import type { Clock } from '../ports/clock.js';
import type {
  ProviderSearch,
  ProviderSearchCriteria,
  ProviderSearchResult,
} from '../ports/provider-search.js';
import { freeSlotsAhead, lookaheadWindow, type BookableSchedules } from './schedules.js';
import { mapBounded } from './bounded-map.js';
import { zonedInstant } from './zoned-instant.js';

/** A provider's next free slot. */
export interface NextSlot {
  readonly slotId: string;
  readonly locationId: string;
  readonly visitType: VisitType;
  /** RFC 3339 with the location's UTC offset. */
  readonly start: string;
  readonly end: string;
}

/** A provider as the directory shows it: with its locations and its next free slot. */
export interface DirectoryEntry {
  readonly provider: Provider;
  readonly locations: readonly Location[];
  /** Absent when the provider has no free slot in the look-ahead. */
  readonly nextAvailable?: NextSlot;
}

/** A page of directory results. */
export interface DirectoryPage {
  readonly entries: readonly DirectoryEntry[];
  readonly page: number;
  readonly perPage: number;
  readonly total: number;
  readonly hasNextPage: boolean;
}

/** Options of {@link Directory}; the defaults are the integration guide's. */
export interface DirectoryOptions {
  /** How long a search's provider list is kept: 5 minutes. */
  readonly searchTtlMs: number;
  /** How long a provider's details are kept: 1 hour. */
  readonly providerTtlMs: number;
  /** How many days ahead the next free slot is looked for. */
  readonly lookaheadDays: number;
  /** Schedules fetched at once for one page of results. */
  readonly concurrency: number;
}

export const DEFAULT_DIRECTORY_OPTIONS: DirectoryOptions = {
  searchTtlMs: 300_000,
  providerTtlMs: 3_600_000,
  lookaheadDays: 14,
  concurrency: 4,
};

/**
 * The provider directory of the integration guide: searches the source, keeps each search's
 * provider list for 5 minutes and each provider's details for an hour, and shows every
 * provider with its locations and its next free slot. Schedules are never kept: the next
 * free slot is read fresh, a few providers at a time.
 */
export class Directory {
  readonly #options: DirectoryOptions;

  constructor(
    private readonly deps: {
      search: ProviderSearch;
      schedules: BookableSchedules;
      cache: Cache;
      clock: Clock;
    },
    options: Partial<DirectoryOptions> = {},
  ) {
    this.#options = { ...DEFAULT_DIRECTORY_OPTIONS, ...options };
  }

  /** One page of providers matching `criteria`, each with its next free slot. */
  async search(
    criteria: ProviderSearchCriteria,
    page: { page: number; perPage: number },
    signal?: AbortSignal,
  ): Promise<DirectoryPage> {
    const result = await this.providers(criteria, page, signal);
    const entries = await mapBounded(result.providers, this.#options.concurrency, (provider) =>
      this.#entry(provider, signal),
    );
    const { page: number, perPage, total, hasNextPage } = result;
    return { entries, page: number, perPage, total, hasNextPage };
  }

  /** One provider with its next free slot, or undefined when the source has none of this id. */
  async provider(id: string, signal?: AbortSignal): Promise<DirectoryEntry | undefined> {
    const key = `directory:provider:${id}`;
    let provider = this.deps.cache.get<Provider>(key);
    if (provider === undefined) {
      provider = await this.deps.schedules.getProvider(id, signal);
      if (provider === undefined) return undefined;
      this.deps.cache.set(key, provider, this.#options.providerTtlMs);
    }
    return this.#entry(provider, signal);
  }

  /** A search's providers, from the 5-minute cache when it has them. */
  async providers(
    criteria: ProviderSearchCriteria,
    page: { page: number; perPage: number },
    signal?: AbortSignal,
  ): Promise<ProviderSearchResult> {
    const key = `directory:search:${JSON.stringify([criteria, page])}`;
    const cached = this.deps.cache.get<ProviderSearchResult>(key);
    if (cached !== undefined) return cached;
    const result = await this.deps.search.searchProviders(criteria, page, signal);
    this.deps.cache.set(key, result, this.#options.searchTtlMs);
    for (const provider of result.providers) {
      this.deps.cache.set(
        `directory:provider:${provider.id}`,
        provider,
        this.#options.providerTtlMs,
      );
    }
    return result;
  }

  async #entry(provider: Provider, signal?: AbortSignal): Promise<DirectoryEntry> {
    const locations = provider.locations ?? [];
    const now = this.deps.clock.now();
    const slots = await this.deps.schedules.getSchedule(
      provider.id,
      lookaheadWindow(now, this.#options.lookaheadDays),
      signal,
    );
    const [next] = freeSlotsAhead(slots, new Map(locations.map((l) => [l.id, l])), now.getTime());
    if (next === undefined) return { provider, locations };
    return {
      provider,
      locations,
      nextAvailable: {
        slotId: next.slot.id,
        locationId: next.location.id,
        visitType: next.slot.visitType,
        ...zonedInstant(next.slot, next.location),
      },
    };
  }
}
