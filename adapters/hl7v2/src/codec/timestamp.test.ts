import { describe, expect, it } from '@jest/globals';
import { formatHl7Timestamp, rfc3339ToHl7, slotStartEpochMs } from './timestamp.js';

describe('formatHl7Timestamp', () => {
  it('writes local time with the offset in force at that instant', () => {
    // US daylight saving time starts on 2026-03-08.
    const beforeChange = slotStartEpochMs('2026-03-06', '09:00', 'America/Chicago');
    const afterChange = slotStartEpochMs('2026-03-09', '09:00', 'America/Chicago');
    expect(formatHl7Timestamp(beforeChange, 'America/Chicago')).toBe('20260306090000-0600');
    expect(formatHl7Timestamp(afterChange, 'America/Chicago')).toBe('20260309090000-0500');
  });

  it('writes half-hour offsets and UTC', () => {
    const instant = Date.parse('2026-01-15T12:00:00Z');
    expect(formatHl7Timestamp(instant, 'Asia/Kolkata')).toBe('20260115173000+0530');
    expect(formatHl7Timestamp(instant, 'UTC')).toBe('20260115120000+0000');
  });
});

describe('rfc3339ToHl7', () => {
  it('keeps the date-time and its own offset, without separators or fractions', () => {
    expect(rfc3339ToHl7('2026-03-01T10:15:00-06:00')).toBe('20260301101500-0600');
    expect(rfc3339ToHl7('2026-03-01T10:15:00.123Z')).toBe('20260301101500+0000');
  });

  it('refuses a date-time without an offset', () => {
    expect(() => rfc3339ToHl7('2026-03-01T10:15:00')).toThrow(/not an RFC 3339 date-time/);
  });
});
