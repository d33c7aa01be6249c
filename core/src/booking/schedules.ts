import type { Location, Provider } from '../domain/provider.js';
import type { ScheduleWindow, Slot } from '../domain/slot.js';
import { slotStartMs } from './zoned-instant.js';

const DAY_MS = 86_400_000;

/** What the directory, the finder and the booking service read of providers and their schedules (a source does both). */
export interface BookableSchedules {
  getProvider(id: string, signal?: AbortSignal): Promise<Provider | undefined>;
  getSchedule(providerId: string, window: ScheduleWindow, signal?: AbortSignal): Promise<Slot[]>;
}

/**
 * The dates to read to see `days` days ahead from `now` at any location: from the day before
 * in UTC, since it is still that day west of Greenwich (slots already past are left out by
 * their start instant).
 */
export function lookaheadWindow(now: Date, days: number): { startDate: string; endDate: string } {
  const date = (ms: number) => new Date(ms).toISOString().slice(0, 10);
  return {
    startDate: date(now.getTime() - DAY_MS),
    endDate: date(now.getTime() + (days - 1) * DAY_MS),
  };
}

/** The free slots of `slots` that start after `nowMs`, earliest first. */
export function freeSlotsAhead(
  slots: readonly Slot[],
  locations: ReadonlyMap<string, Location>,
  nowMs: number,
): Array<{ slot: Slot; location: Location; startMs: number }> {
  const found: Array<{ slot: Slot; location: Location; startMs: number }> = [];
  for (const slot of slots) {
    const location = locations.get(slot.locationId);
    if (!slot.available || location === undefined) continue;
    const startMs = slotStartMs(slot, location);
    if (startMs > nowMs) found.push({ slot, location, startMs });
  }
  return found.sort((a, b) => a.startMs - b.startMs || (a.slot.id < b.slot.id ? -1 : 1));
}
