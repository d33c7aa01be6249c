/**
 * How long a Slot file an incremental run reuses as it is may keep slots that have ended:
 * once its earliest slot ended longer ago than this, the run rewrites the file (dropping
 * the ended slots) although none of its providers changed. A day: a slot that ended an hour
 * ago is as stale as the rest of a snapshot polled every few minutes, while rewriting files
 * as their slots end (every half hour in business hours) would rewrite most files every run.
 */
export const ENDED_SLOT_GRACE_MS = 24 * 60 * 60 * 1000;

const HOUR_MS = 60 * 60 * 1000;

/**
 * A date (`YYYY-MM-DD`) after which any slot's local end date means an end later than
 * `ms`: UTC offsets go up to +14:00, so a local midnight is never more than 14 hours before
 * the UTC one.
 */
function laterDateThan(ms: number): string {
  return new Date(ms + 15 * HOUR_MS).toISOString().slice(0, 10);
}

/** What is kept per file: the earliest end of its slots, in epoch milliseconds. */
export interface SlotEndMeta {
  earliestEnd?: number;
}

/**
 * Keeps each Slot file's earliest slot end up to date as lines are written. Most slots end
 * days after a file's earliest one: their local end date (the instant's first ten
 * characters, as written) shows it without parsing the instant.
 */
export class EarliestSlotEnds {
  private readonly cutoffs = new Map<string, string>();

  /** Lowers `meta.earliestEnd` to a slot's end when it is earlier. */
  note(file: string, meta: SlotEndMeta, endDate: string, endMs: () => number): void {
    const current = meta.earliestEnd;
    if (current !== undefined) {
      let cutoff = this.cutoffs.get(file);
      if (cutoff === undefined) this.cutoffs.set(file, (cutoff = laterDateThan(current)));
      if (endDate > cutoff) return;
    }
    const ms = endMs();
    if (Number.isNaN(ms) || (current !== undefined && ms >= current)) return;
    meta.earliestEnd = ms;
    this.cutoffs.set(file, laterDateThan(ms));
  }
}

/** Whether a file whose earliest slot ends at `earliestEnd` holds slots ended too long ago. */
export function holdsLongEndedSlots(earliestEnd: string | undefined, now: number): boolean {
  return earliestEnd !== undefined && Date.parse(earliestEnd) < now - ENDED_SLOT_GRACE_MS;
}
