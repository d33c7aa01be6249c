import type { ProviderChange } from '../domain/change.js';
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
  /**
   * A dry run: nothing read will be delivered, so a source that records what it hands out
   * (a baseline of an export) must record nothing.
   */
  dryRun?: boolean;
}

/**
 * Where a source is in its changes: an opaque string only the source reads (a feed cursor, a
 * file offset, a database sequence). pmsbridge stores it in checkpoints and hands it back.
 */
export type SourceCursor = string;

/** Where a changes read starts. */
export interface ChangesOptions {
  /** RFC 3339 instant: changes after it. */
  since: string;
  /** Resume inside a read, at the page this cursor fetched. */
  cursor?: SourceCursor;
  signal?: AbortSignal;
  /** A dry run: see {@link ListProvidersOptions.dryRun}. */
  dryRun?: boolean;
}

/** One page of changes, with the cursor that fetched it so a reader can resume there. */
export interface ChangesPageRead {
  /** The changes that validated, oldest first. */
  changes: ProviderChange[];
  /** Entries of this page that failed validation. */
  invalid: InvalidRecord[];
  /** The cursor this page was fetched with (undefined for the first page of a read). */
  cursor?: SourceCursor;
  /**
   * The instant the source has read up to once this page is handled (RFC 3339): the next
   * run's `since` after the last page.
   */
  until: string;
}

/** A source of provider-directory data. */
export interface ProviderSource {
  /** Every provider, page by page, ordered by id. */
  listProviders(options?: ListProvidersOptions): AsyncIterable<ProviderPageRead>;
  /** One provider, or `undefined` when there is no such provider. */
  getProvider(id: string, signal?: AbortSignal): Promise<Provider | undefined>;
  /** Changes after `since`, oldest first, page by page. */
  changes(options: ChangesOptions): AsyncIterable<ChangesPageRead>;
  /**
   * Whether `key` (a dead letter's key) can name one of this source's providers. An
   * {@link InvalidRecord} without a readable id is keyed by its position instead; replay
   * skips those keys rather than look them up. Sources whose ids have no recognisable form
   * leave it out, and replay looks every key up.
   */
  isProviderId?(key: string): boolean;
}

/** Service identifier of {@link ProviderSource}. */
export const ProviderSourceToken = createToken<ProviderSource>('ProviderSource');
