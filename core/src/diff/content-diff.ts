import type { Clock } from '../ports/clock.js';
import type { StateStore } from '../ports/state-store.js';

/** One piece of output a sink keeps track of between runs. */
export interface TrackedItem {
  /**
   * `<owner>/<rest>`: the owner (e.g. a provider id) and a key unique under it. Every key of
   * an owner starts with the owner and `/`, so its items can be listed together; an owner
   * holds no `/` (encode ids that may, e.g. with `encodeURIComponent`).
   */
  key: string;
  /** A hash of the item's content as the sink writes it (no spaces). */
  hash: string;
  /**
   * When the item becomes history (RFC 3339), e.g. a slot's start. An item that leaves after
   * that instant is only forgotten, not withdrawn: a past slot may be referenced by an
   * appointment and is not the sink's to delete.
   */
  endsAt?: string;
}

/** How an owner's items compare with what was recorded for it. */
export interface OwnerDiff<T extends TrackedItem> {
  /** Items never recorded. */
  created: T[];
  /** Items recorded with another hash. */
  updated: T[];
  /** Items recorded with this hash: nothing to write. */
  unchanged: T[];
  /** Keys recorded for the owner, gone from its items, not yet history: withdraw them. */
  withdrawn: string[];
  /** Keys recorded for the owner, gone from its items, already history: only forget them. */
  expired: string[];
}

/** What is stored per key: the hash, and the end instant when the item has one. */
function storedValue(item: TrackedItem): string {
  return item.endsAt === undefined ? item.hash : `${item.hash} ${item.endsAt}`;
}

function hashOf(stored: string): string {
  const space = stored.indexOf(' ');
  return space < 0 ? stored : stored.slice(0, space);
}

/** The end (epoch ms) of a stored value, or undefined when none was recorded. */
function endOf(stored: string): number | undefined {
  const space = stored.indexOf(' ');
  if (space < 0) return undefined;
  const end = Date.parse(stored.slice(space + 1));
  return Number.isNaN(end) ? undefined : end;
}

/**
 * The created / updated / unchanged / withdrawn diff every sink that writes to a store which
 * keeps its data needs: content hashes per key in the state store, compared per owner. A sink
 * plans its writes from {@link ContentDiff.compare} (or {@link ContentDiff.leave} when an owner
 * is gone), writes, and then calls {@link ContentDiff.record} with what the destination
 * acknowledged — never before, so a failed write is retried by the next run.
 */
export class ContentDiff {
  /**
   * @param namespace - keeps this sink's hashes apart from other sinks' (e.g. `fhir-server:fhir`).
   */
  constructor(
    private readonly store: StateStore,
    readonly namespace: string,
    private readonly clock: Clock,
  ) {}

  /** Compares the owner's current items with what was recorded for it. */
  async compare<T extends TrackedItem>(owner: string, items: readonly T[]): Promise<OwnerDiff<T>> {
    const recorded = await this.#recorded(owner);
    const diff: OwnerDiff<T> = {
      created: [],
      updated: [],
      unchanged: [],
      withdrawn: [],
      expired: [],
    };
    const current = new Set<string>();
    for (const item of items) {
      current.add(item.key);
      const before = recorded.get(item.key);
      if (before === undefined) diff.created.push(item);
      else if (hashOf(before) === item.hash) diff.unchanged.push(item);
      else diff.updated.push(item);
    }
    const now = this.clock.now().getTime();
    for (const [key, stored] of recorded) {
      if (current.has(key)) continue;
      const end = endOf(stored);
      if (end !== undefined && end <= now) diff.expired.push(key);
      else diff.withdrawn.push(key);
    }
    return diff;
  }

  /**
   * Sorts items into created, updated and unchanged with one read for all of them, without
   * looking for withdrawn keys: for a sink that tracks one item per owner and learns of an
   * owner's departure otherwise (see {@link ContentDiff.leave}).
   */
  async classify<T extends TrackedItem>(
    items: readonly T[],
  ): Promise<Pick<OwnerDiff<T>, 'created' | 'updated' | 'unchanged'>> {
    const result: Pick<OwnerDiff<T>, 'created' | 'updated' | 'unchanged'> = {
      created: [],
      updated: [],
      unchanged: [],
    };
    if (items.length === 0) return result;
    const recorded = await this.store.getHashes(
      this.namespace,
      items.map((item) => item.key),
    );
    for (const item of items) {
      const before = recorded.get(item.key);
      if (before === undefined) result.created.push(item);
      else if (hashOf(before) === item.hash) result.unchanged.push(item);
      else result.updated.push(item);
    }
    return result;
  }

  /** Everything recorded for an owner that left: withdrawn, or expired when already history. */
  async leave(owner: string): Promise<Pick<OwnerDiff<TrackedItem>, 'withdrawn' | 'expired'>> {
    const { withdrawn, expired } = await this.compare(owner, []);
    return { withdrawn, expired };
  }

  /** Records what the destination now holds: the hashes of `written`, and no trace of `gone`. */
  async record(written: readonly TrackedItem[], gone: readonly string[]): Promise<void> {
    if (written.length > 0) {
      await this.store.setHashes(
        this.namespace,
        written.map((item) => [item.key, storedValue(item)] as const),
      );
    }
    if (gone.length > 0) await this.store.deleteHashes(this.namespace, gone);
  }

  async #recorded(owner: string): Promise<Map<string, string>> {
    const keys = await this.store.listHashKeys(this.namespace, `${owner}/`);
    return keys.length === 0 ? new Map() : this.store.getHashes(this.namespace, keys);
  }
}
