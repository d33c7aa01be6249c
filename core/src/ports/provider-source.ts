import type { ChangesPage } from '../domain/change.js';
import type { Provider } from '../domain/provider.js';
import type { PmsbridgeError } from '../errors/errors.js';
import { createToken } from './token.js';

/**
 * A record the source received but could not validate. The pipeline dead-letters it with
 * `error` as the reason and goes on; it never passes through unvalidated.
 */
export interface InvalidRecord {
  /** The record's id when it could be read (e.g. the provider id), else a position such as `page 3 #17`. */
  key: string;
  raw: unknown;
  error: PmsbridgeError;
}

/** One page of a provider listing: the valid providers and the records that failed validation. */
export interface ProviderPageRead {
  providers: Provider[];
  invalid: InvalidRecord[];
  /** Total number of providers the source reports (for progress), if known. */
  total?: number;
}

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
  /** The page; `page.changes` holds only the entries that validated. */
  page: ChangesPage;
  /** Entries of this page that failed validation. */
  invalid: InvalidRecord[];
  /** The cursor this page was fetched with (undefined for the first page of a read). */
  cursor?: string;
}

/** A source of provider-directory data. */
export interface ProviderSource {
  /** Every provider, page by page, ordered by id. */
  listProviders(options?: ListProvidersOptions): AsyncIterable<ProviderPageRead>;
  /** One provider, or `undefined` when there is no such provider. */
  getProvider(id: string, signal?: AbortSignal): Promise<Provider | undefined>;
  /** Changes after `since`, oldest first, page by page. */
  changes(options: ChangesOptions): AsyncIterable<ChangesPageRead>;
}

/** Service identifier of {@link ProviderSource}. */
export const ProviderSourceToken = createToken<ProviderSource>('ProviderSource');
