import type { ProviderSource, InvalidRecord } from '../ports/provider-source.js';
import type { Provider } from '../domain/provider.js';

/** Where a full run stands: after `afterId`, in a run that started at `startedAt`. */
export interface FullPosition {
  mode: 'full';
  startedAt: string;
  afterId?: string;
  /** The last id of a shard of a distributed run: the listing ends after it. */
  throughId?: string;
  /** Set once a shard of a distributed run has been read and acknowledged to its end. */
  shardComplete?: boolean;
}

/** Where an incremental run stands inside the changes feed. */
export interface IncrementalPosition {
  mode: 'incremental';
  since: string;
  /** Cursor of the page being read; absent for the first page. */
  cursor?: string;
  /** Index (among the page's valid changes) of the last change handled. */
  index?: number;
}

export type SourcePosition = FullPosition | IncrementalPosition;

/** One unit of work read from the source, with the position just after it. */
export type SourceItem =
  | { kind: 'provider'; provider: Provider; position: SourcePosition }
  | { kind: 'deactivation'; providerId: string; changedAt: string; position: SourcePosition }
  | { kind: 'invalid'; invalid: InvalidRecord; position: SourcePosition };

/**
 * Reads a full listing, resuming after `from.afterId`. Only valid provider ids move the
 * position: an invalid record's key may be anything (a position such as `page 3 #17`, a
 * malformed id), and resuming after it could skip providers for good. A page's invalid
 * records come first, at the position before the page; after a crash they are read again
 * and their dead letters count one more attempt. With `from.throughId` (a shard of a
 * distributed run), the listing ends after that id.
 */
export async function* readFull(
  source: ProviderSource,
  from: FullPosition,
  signal: AbortSignal,
  onTotal?: (total: number) => void,
  dryRun = false,
): AsyncGenerator<SourceItem> {
  let afterId = from.afterId;
  const { throughId } = from;
  const at = (): FullPosition => ({
    mode: 'full',
    startedAt: from.startedAt,
    afterId,
    ...(throughId === undefined ? {} : { throughId }),
  });
  for await (const page of source.listProviders({
    signal,
    startAfterId: from.afterId,
    ...(dryRun ? { dryRun } : {}),
  })) {
    if (page.total !== undefined) onTotal?.(page.total);
    for (const invalid of page.invalid) yield { kind: 'invalid', invalid, position: at() };
    for (const provider of page.providers) {
      // Leaving the loop ends the listing: the source's iterator is closed.
      if (throughId !== undefined && provider.id > throughId) return;
      if (afterId === undefined || provider.id > afterId) afterId = provider.id;
      yield { kind: 'provider', provider, position: at() };
    }
  }
}

/**
 * Reads the changes feed from `from`, skipping what the checkpoint says was handled.
 * `onComplete` receives the position to store once everything read was acknowledged:
 * the feed's last `until`, the next run's `since`.
 */
export async function* readChanges(
  source: ProviderSource,
  from: IncrementalPosition,
  signal: AbortSignal,
  onComplete: (next: IncrementalPosition) => void,
  dryRun = false,
): AsyncGenerator<SourceItem> {
  let until = from.since;
  let isFirstPage = true;
  for await (const read of source.changes({
    since: from.since,
    cursor: from.cursor,
    signal,
    ...(dryRun ? { dryRun } : {}),
  })) {
    const skip = isFirstPage && read.cursor === from.cursor ? (from.index ?? -1) + 1 : 0;
    isFirstPage = false;
    const position = (index: number): IncrementalPosition => ({
      mode: 'incremental',
      since: from.since,
      cursor: read.cursor,
      index,
    });
    for (const invalid of read.invalid) {
      yield { kind: 'invalid', invalid, position: position(skip - 1) };
    }
    for (const [index, change] of read.changes.entries()) {
      if (index < skip) continue;
      yield change.type === 'deactivated'
        ? {
            kind: 'deactivation',
            providerId: change.providerId,
            changedAt: change.changedAt,
            position: position(index),
          }
        : { kind: 'provider', provider: change.provider, position: position(index) };
    }
    until = read.until;
  }
  onComplete({ mode: 'incremental', since: until });
}
