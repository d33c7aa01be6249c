import { describe, expect, it } from '@jest/globals';
import { splitScheduleWindow } from './schedule-chunks.js';

describe('splitScheduleWindow', () => {
  it('keeps a window of 31 days or less whole', () => {
    expect(splitScheduleWindow({ start_date: '2026-12-01', end_date: '2026-12-31' })).toEqual([
      { start_date: '2026-12-01', end_date: '2026-12-31' },
    ]);
    expect(splitScheduleWindow({ start_date: '2026-12-05', end_date: '2026-12-05' })).toEqual([
      { start_date: '2026-12-05', end_date: '2026-12-05' },
    ]);
  });

  it('splits a 90-day window into consecutive windows of at most 31 days covering it exactly', () => {
    expect(splitScheduleWindow({ start_date: '2027-01-01', end_date: '2027-03-31' })).toEqual([
      { start_date: '2027-01-01', end_date: '2027-01-31' },
      { start_date: '2027-02-01', end_date: '2027-03-03' },
      { start_date: '2027-03-04', end_date: '2027-03-31' },
    ]);
  });

  it('crosses a leap day', () => {
    expect(splitScheduleWindow({ start_date: '2028-02-01', end_date: '2028-03-05' }, 31)).toEqual([
      { start_date: '2028-02-01', end_date: '2028-03-02' },
      { start_date: '2028-03-03', end_date: '2028-03-05' },
    ]);
  });
});
