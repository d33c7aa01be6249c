import type { Provider } from '../domain/provider.js';
import type { ProviderSource } from './provider-source.js';

/** What a directory search filters on; every criterion is optional, all are combined. */
export interface ProviderSearchCriteria {
  /** A specialty slug, e.g. `cardiology`. */
  readonly specialty?: string;
  /** `City, ST`: providers with a location in that city and state. */
  readonly location?: string;
  /** An insurance plan slug, e.g. `aetna`. */
  readonly insurance?: string;
  readonly acceptingNewPatients?: boolean;
  /** A part of the first or last name. */
  readonly name?: string;
}

/** One page of a search. */
export interface ProviderSearchResult {
  readonly providers: readonly Provider[];
  /** 1-based. */
  readonly page: number;
  readonly perPage: number;
  readonly total: number;
  readonly hasNextPage: boolean;
}

/**
 * A source that can search its providers (HealthConnect's `GET /providers` does): an optional
 * capability of a {@link ProviderSource}, which the provider directory and the finder use.
 */
export interface ProviderSearch {
  searchProviders(
    criteria: ProviderSearchCriteria,
    page: { page: number; perPage: number },
    signal?: AbortSignal,
  ): Promise<ProviderSearchResult>;
}

/** Whether a source can search its providers. */
export function hasProviderSearch(
  source: ProviderSource,
): source is ProviderSource & ProviderSearch {
  return typeof (source as Partial<ProviderSearch>).searchProviders === 'function';
}
