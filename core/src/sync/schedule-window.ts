import type { ScheduleWindow } from '../domain/slot.js';

const DAY_MS = 24 * 60 * 60 * 1000;

/**
 * The rolling schedule horizon: `horizonDays` days starting today (UTC date of `now`).
 * Each run moves the window forward, adding new days and leaving past ones behind.
 */
export function rollingWindow(now: Date, horizonDays: number): ScheduleWindow {
  if (!Number.isInteger(horizonDays) || horizonDays < 1) {
    throw new RangeError(`horizonDays must be a positive integer, got ${horizonDays}`);
  }
  const start = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate()));
  const end = new Date(start.getTime() + (horizonDays - 1) * DAY_MS);
  return { startDate: toDate(start), endDate: toDate(end) };
}

function toDate(date: Date): string {
  return date.toISOString().slice(0, 10);
}
