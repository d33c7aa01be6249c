import { ValidationError } from '../errors/errors.js';

const MINUTE_MS = 60_000;

/** `Intl.DateTimeFormat` instances are costly to build; one per zone is reused. */
const formatters = new Map<string, Intl.DateTimeFormat>();

function formatterFor(timeZone: string): Intl.DateTimeFormat {
  let formatter = formatters.get(timeZone);
  if (formatter === undefined) {
    try {
      formatter = new Intl.DateTimeFormat('en-US', {
        timeZone,
        hourCycle: 'h23',
        year: 'numeric',
        month: '2-digit',
        day: '2-digit',
        hour: '2-digit',
        minute: '2-digit',
        second: '2-digit',
      });
    } catch (error) {
      throw new ValidationError(
        `Unknown IANA time zone "${timeZone}"`,
        { timeZone, cause: String(error) },
        'PMS_RECORD_UNMAPPABLE',
      );
    }
    formatters.set(timeZone, formatter);
  }
  return formatter;
}

/**
 * Offsets by zone and quarter hour. Zone transitions happen at whole quarter hours of UTC
 * (offsets are multiples of 15 minutes and changes fall on the local hour), so one lookup
 * per quarter hour is exact; `formatToParts` is by far the costliest step of mapping a
 * slot, and a schedule has thousands of slots in a few dozen quarter hours per day.
 */
/** Results by time zone, then by a key within the zone. */
type ZoneCache<K, V> = Map<string, Map<K, V>>;

const offsetCache: ZoneCache<number, number> = new Map();
const epochCache: ZoneCache<string, number> = new Map();
const instantCache: ZoneCache<number, string> = new Map();
const weekCache: ZoneCache<string, string> = new Map();
const QUARTER_HOUR_MS = 15 * MINUTE_MS;
const CACHE_LIMIT = 100_000;

/**
 * Remembers results of a pure function per zone and key. Slots of different providers share
 * dates, times and zones, so the same conversions come back thousands of times in a run;
 * a zone's cache is dropped whole when it reaches its limit, which bounds memory.
 */
function remember<K, V>(cache: ZoneCache<K, V>, zone: string, key: K, compute: () => V): V {
  let byKey = cache.get(zone);
  if (byKey === undefined) cache.set(zone, (byKey = new Map()));
  const cached = byKey.get(key);
  if (cached !== undefined) return cached;
  const value = compute();
  if (byKey.size >= CACHE_LIMIT) byKey.clear();
  byKey.set(key, value);
  return value;
}

/** The zone's offset from UTC in minutes at the instant `epochMs` (e.g. -300 for EST). */
export function zoneOffsetMinutes(epochMs: number, timeZone: string): number {
  return remember(offsetCache, timeZone, Math.floor(epochMs / QUARTER_HOUR_MS), () =>
    computeOffsetMinutes(epochMs, timeZone),
  );
}

function computeOffsetMinutes(epochMs: number, timeZone: string): number {
  const parts: Record<string, number> = {};
  for (const part of formatterFor(timeZone).formatToParts(new Date(epochMs))) {
    if (part.type !== 'literal') parts[part.type] = Number(part.value);
  }
  const asUtc = Date.UTC(
    parts.year ?? 0,
    (parts.month ?? 1) - 1,
    parts.day ?? 1,
    parts.hour ?? 0,
    parts.minute ?? 0,
    parts.second ?? 0,
  );
  return Math.round((asUtc - Math.floor(epochMs / 1000) * 1000) / MINUTE_MS);
}

/**
 * The instant at which the wall clock in `timeZone` shows `date` `time` (`YYYY-MM-DD`,
 * `HH:MM`). A wall time skipped by a spring-forward change resolves to the instant after
 * the gap (02:30 → 03:30 daylight time); an ambiguous fall-back time resolves to the
 * earlier (daylight) instant.
 */
export function zonedEpochMs(date: string, time: string, timeZone: string): number {
  return remember(epochCache, timeZone, `${date}T${time}`, () =>
    computeZonedEpochMs(date, time, timeZone),
  );
}

function computeZonedEpochMs(date: string, time: string, timeZone: string): number {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(date);
  const clock = /^(\d{2}):(\d{2})$/.exec(time);
  if (match === null || clock === null) {
    throw new ValidationError(
      `Invalid local date/time "${date} ${time}"`,
      { date, time },
      'PMS_RECORD_UNMAPPABLE',
    );
  }
  const wall = Date.UTC(
    Number(match[1]),
    Number(match[2]) - 1,
    Number(match[3]),
    Number(clock[1]),
    Number(clock[2]),
  );
  // Try the offsets in force a day before and after; the first that round-trips wins.
  const before = zoneOffsetMinutes(wall - 24 * 60 * MINUTE_MS, timeZone);
  const after = zoneOffsetMinutes(wall + 24 * 60 * MINUTE_MS, timeZone);
  for (const offset of [Math.max(before, after), Math.min(before, after)]) {
    const candidate = wall - offset * MINUTE_MS;
    if (zoneOffsetMinutes(candidate, timeZone) === offset) return candidate;
  }
  // In a gap neither offset round-trips: read the wall time with the offset before the gap.
  return wall - before * MINUTE_MS;
}

/** Formats `epochMs` as a FHIR instant in the zone's local time: `2026-03-08T09:00:00-04:00`. */
export function formatInstant(epochMs: number, timeZone: string): string {
  return remember(instantCache, timeZone, epochMs, () => computeInstant(epochMs, timeZone));
}

function computeInstant(epochMs: number, timeZone: string): string {
  const offset = zoneOffsetMinutes(epochMs, timeZone);
  const local = new Date(epochMs + offset * MINUTE_MS).toISOString().slice(0, 19);
  const sign = offset < 0 ? '-' : '+';
  const abs = Math.abs(offset);
  const hh = String(Math.floor(abs / 60)).padStart(2, '0');
  const mm = String(abs % 60).padStart(2, '0');
  return `${local}${sign}${hh}:${mm}`;
}

/** The ISO 8601 week of a `YYYY-MM-DD` date, e.g. `2026-W49`. */
export function isoWeek(date: string): string {
  return remember(weekCache, '', date, () => computeIsoWeek(date));
}

function computeIsoWeek(date: string): string {
  const day = new Date(`${date}T00:00:00Z`);
  const weekday = (day.getUTCDay() + 6) % 7; // Monday = 0
  const thursday = new Date(day.getTime() + (3 - weekday) * 24 * 60 * MINUTE_MS);
  const year = thursday.getUTCFullYear();
  const firstThursday = new Date(Date.UTC(year, 0, 4));
  const firstWeekday = (firstThursday.getUTCDay() + 6) % 7;
  const week1Monday = firstThursday.getTime() - firstWeekday * 24 * 60 * MINUTE_MS;
  const week = Math.floor((thursday.getTime() - week1Monday) / (7 * 24 * 60 * MINUTE_MS)) + 1;
  return `${year}-W${String(week).padStart(2, '0')}`;
}
