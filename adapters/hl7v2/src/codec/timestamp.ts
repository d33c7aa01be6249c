import { ValidationError } from '@pmsbridge/core';
import { zonedEpochMs, zoneOffsetMinutes } from '@pmsbridge/core';

const MINUTE_MS = 60_000;

/**
 * An instant as an HL7 TS/DTM in the zone's local time with that instant's UTC offset:
 * `YYYYMMDDHHMMSS±HHMM`, e.g. `20260309090000-0500`.
 */
export function formatHl7Timestamp(epochMs: number, timeZone: string): string {
  const offset = zoneOffsetMinutes(epochMs, timeZone);
  const local = new Date(epochMs + offset * MINUTE_MS).toISOString();
  const digits = local.slice(0, 19).replace(/[-T:]/g, '');
  return digits + formatOffset(offset);
}

/** The start of a slot: wall-clock `date` and `time` at a location in `timeZone`, as epoch ms. */
export function slotStartEpochMs(date: string, time: string, timeZone: string): number {
  return zonedEpochMs(date, time, timeZone);
}

/**
 * An RFC 3339 date-time (`2026-03-01T10:00:00.5-05:00`, `…Z`) as an HL7 TS keeping its own
 * offset: `20260301100000-0500`. Fractions of a second are dropped.
 */
export function rfc3339ToHl7(dateTime: string): string {
  const match =
    /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.\d+)?(Z|[+-]\d{2}:\d{2})$/i.exec(
      dateTime,
    );
  if (match === null) {
    throw new ValidationError(
      `"${dateTime}" is not an RFC 3339 date-time with an offset`,
      { dateTime },
      'PMS_RECORD_UNMAPPABLE',
    );
  }
  const [, year, month, day, hour, minute, second, zone = 'Z'] = match;
  const offset = zone.toUpperCase() === 'Z' ? '+0000' : zone.replace(':', '');
  return `${year}${month}${day}${hour}${minute}${second}${offset}`;
}

function formatOffset(offsetMinutes: number): string {
  const sign = offsetMinutes < 0 ? '-' : '+';
  const abs = Math.abs(offsetMinutes);
  return `${sign}${String(Math.floor(abs / 60)).padStart(2, '0')}${String(abs % 60).padStart(2, '0')}`;
}
