import { StateError } from '../errors/errors.js';

/** How often, in clock time, `markSeen` also deletes the seen ids that have expired. */
export const SEEN_PRUNE_INTERVAL_MS = 60_000;

/**
 * Decides when `markSeen` should prune expired ids: at most once per
 * {@link SEEN_PRUNE_INTERVAL_MS} of the store's clock, so pruning costs nothing per call
 * and the table never outgrows one interval's worth of expired rows by much.
 */
export class PruneSchedule {
  #lastPruneMs = Number.NEGATIVE_INFINITY;

  /** True (and remembers `nowMs`) when a prune is due. */
  isDue(nowMs: number): boolean {
    if (nowMs - this.#lastPruneMs < SEEN_PRUNE_INTERVAL_MS) return false;
    this.#lastPruneMs = nowMs;
    return true;
  }
}

/** Rejects a time to live that is not a positive, finite number of milliseconds. */
export function checkTtl(ttlMs: number, operation = 'markSeen'): void {
  if (!Number.isFinite(ttlMs) || ttlMs <= 0) {
    throw new StateError(
      `${operation} needs a positive time to live in milliseconds, got ${ttlMs}`,
    );
  }
}
