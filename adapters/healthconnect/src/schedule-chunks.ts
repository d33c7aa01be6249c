import type { ScheduleWindow } from '@pmsbridge/core';

/** The API's longest schedule request, in days (inclusive). */
export const MAX_SCHEDULE_DAYS = 31;

const DAY_MS = 86_400_000;

/**
 * Splits an inclusive window of local dates into consecutive windows of at most
 * `maxDays` days that together cover it exactly, in order.
 */
export function splitScheduleWindow(
  window: ScheduleWindow,
  maxDays = MAX_SCHEDULE_DAYS,
): ScheduleWindow[] {
  const start = Date.parse(`${window.startDate}T00:00:00Z`);
  const end = Date.parse(`${window.endDate}T00:00:00Z`);
  const chunks: ScheduleWindow[] = [];
  for (let from = start; from <= end; from += maxDays * DAY_MS) {
    const to = Math.min(end, from + (maxDays - 1) * DAY_MS);
    chunks.push({ startDate: isoDate(from), endDate: isoDate(to) });
  }
  return chunks;
}

function isoDate(epochMs: number): string {
  return new Date(epochMs).toISOString().slice(0, 10);
}
