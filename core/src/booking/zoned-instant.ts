import type { Location } from '../domain/provider.js';
import type { Slot } from '../domain/slot.js';
import { formatInstant, zonedEpochMs } from '../domain/zoned-time.js';

const MINUTE_MS = 60_000;

/** A slot's start and end as RFC 3339 instants with its location's UTC offset. */
export function zonedInstant(
  slot: Pick<Slot, 'date' | 'time' | 'durationMinutes'>,
  location: Pick<Location, 'timezone'>,
): { start: string; end: string } {
  const startMs = zonedEpochMs(slot.date, slot.time, location.timezone);
  return {
    start: formatInstant(startMs, location.timezone),
    end: formatInstant(startMs + slot.durationMinutes * MINUTE_MS, location.timezone),
  };
}

/** A slot's start as epoch milliseconds. */
export function slotStartMs(
  slot: Pick<Slot, 'date' | 'time'>,
  location: Pick<Location, 'timezone'>,
): number {
  return zonedEpochMs(slot.date, slot.time, location.timezone);
}
