import type { SourceItem } from './source-reader.js';

/** A source item together with how many earlier changes of the same provider it replaces. */
export type CoalescedItem = SourceItem & {
  /** Changes of the same provider, read earlier in this run, that this one made obsolete. */
  superseded: number;
};

/** Default of {@link coalesceChanges}' bound: distinct providers held back at once. */
export const DEFAULT_MAX_COALESCED_PROVIDERS = 10_000;

/**
 * Folds the changes of one provider within a run into its last state, so that every sink
 * receives each provider once per run. Every booking is a change of its provider, so a
 * provider changing several times between two runs is the normal case; without this, a
 * bulk publication would hold its resources once per change and a FHIR transaction would
 * carry the same resource several times (which FHIR R4 forbids).
 *
 * The last change wins: a deactivation after an update is a deactivation, an update after
 * a deactivation is a reactivation. Items are held back until the feed ends (or until
 * `maxProviders` distinct keys are held) and then emitted in the order of their last
 * occurrence, each with the position of that occurrence. That order keeps the checkpoint
 * sound: once the sinks acknowledged everything up to position `p`, every change at or
 * before `p` is either covered by an acknowledged record or superseded by a change after
 * `p`, which a resumed run reads again.
 *
 * Why over the run and not per changes-feed page: a provider that changes on two pages
 * (a feed page holds up to 500 changes) would otherwise still reach the sinks twice. The
 * bound keeps memory in check on very large feeds: one held change costs about one
 * provider object, so the default of 10 000 is a few megabytes. A run whose feed holds
 * more distinct providers than the bound emits one window at a time, and a provider
 * changed in two windows then reaches the sinks once per window, which idempotent sinks
 * absorb.
 *
 * Invalid records are never folded: each keeps its own place.
 */
export async function* coalesceChanges(
  items: AsyncIterable<SourceItem>,
  maxProviders = DEFAULT_MAX_COALESCED_PROVIDERS,
): AsyncGenerator<CoalescedItem> {
  if (!Number.isInteger(maxProviders) || maxProviders < 1) {
    throw new RangeError(`maxProviders must be a positive integer, got ${maxProviders}`);
  }
  // A Map iterates in insertion order; deleting before re-inserting moves a key to the end,
  // so iteration order is the order of last occurrence.
  const held = new Map<string | symbol, CoalescedItem>();
  for await (const item of items) {
    const key = coalescingKey(item);
    const previous = held.get(key);
    if (previous !== undefined) held.delete(key);
    held.set(key, { ...item, superseded: previous === undefined ? 0 : previous.superseded + 1 });
    if (held.size >= maxProviders) yield* release(held);
  }
  yield* release(held);
}

function coalescingKey(item: SourceItem): string | symbol {
  switch (item.kind) {
    case 'provider':
      return item.provider.id;
    case 'deactivation':
      return item.providerId;
    case 'invalid':
      return Symbol('invalid record');
  }
}

function release(held: Map<string | symbol, CoalescedItem>): CoalescedItem[] {
  const items = [...held.values()];
  held.clear();
  return items;
}
