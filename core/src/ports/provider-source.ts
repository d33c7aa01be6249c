import type { ChangesPage } from '../domain/change.js';
import type { Provider } from '../domain/provider.js';
import { createToken } from './token.js';

/** Where a full listing starts: after the given provider id (pages are ordered by id). */
export interface ListProvidersOptions {
  signal?: AbortSignal;
  /** Skip providers whose id sorts at or before this one (resume after a checkpoint). */
  startAfterId?: string;
}

/** Where a changes read starts. */
export interface ChangesOptions {
  /** RFC 3339 instant: changes after it. */
  since: string;
  /** Opaque cursor of the page to start from (resume inside a read). */
  cursor?: string;
  signal?: AbortSignal;
}

/** A changes page together with the cursor that fetched it, so a reader can resume there. */
export interface ChangesPageRead {
  page: ChangesPage;
  cursor?: string;
}

/** A source of provider-directory data. */
export interface ProviderSource {
  /** Every provider, page by page, ordered by id. */
  listProviders(options?: ListProvidersOptions): AsyncIterable<Provider[]>;
  /** Total number of providers, when the source knows it cheaply (for progress). */
  countProviders?(signal?: AbortSignal): Promise<number | undefined>;
  /** One provider, or `undefined` when there is no such provider. */
  getProvider(id: string, signal?: AbortSignal): Promise<Provider | undefined>;
  /** Changes after `since`, oldest first, page by page. */
  changes(options: ChangesOptions): AsyncIterable<ChangesPageRead>;
}

/** Service identifier of {@link ProviderSource}. */
export const ProviderSourceToken = createToken<ProviderSource>('ProviderSource');
