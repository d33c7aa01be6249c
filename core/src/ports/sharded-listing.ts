import type { ProviderSource } from './provider-source.js';

/**
 * A contiguous part of a source's full listing, in its order (by id): the providers after
 * `afterId` (from the first when absent) through `throughId` (to the last when absent).
 */
export interface ListingShard {
  afterId?: string;
  throughId?: string;
}

/**
 * A source whose full listing can be split into shards that separate processes read at the
 * same time (a distributed full run): an optional capability of a {@link ProviderSource}.
 */
export interface ShardedListing {
  /**
   * Splits the listing into at most `count` shards of about equal size that cover it in
   * order, without overlap: the first has no `afterId`, the last no `throughId`, and each
   * shard's `afterId` is the previous one's `throughId`. A provider added while the run goes
   * on falls into the shard of its id.
   */
  planShards(count: number, signal?: AbortSignal): Promise<ListingShard[]>;
}

/** Whether a source can split its listing into shards. */
export function hasShardedListing(
  source: ProviderSource,
): source is ProviderSource & ShardedListing {
  return typeof (source as Partial<ShardedListing>).planShards === 'function';
}
