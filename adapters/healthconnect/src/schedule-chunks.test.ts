import { describe, expect, it } from '@jest/globals';
import { splitScheduleWindow } from './schedule-chunks.js';

describe('splitScheduleWindow', () => {
  it('keeps a window of 31 days or less whole', () => {
    expect(splitScheduleWindow({ startDate: '2026-12-01', endDate: '2026-12-31' })).toEqual([
      { startDate: '2026-12-01', endDate: '2026-12-31' },
    ]);
    expect(splitScheduleWindow({ startDate: '2026-12-05', endDate: '2026-12-05' })).toEqual([
      { startDate: '2026-12-05', endDate: '2026-12-05' },
    ]);
  });

  it('splits a 90-day window into consecutive windows of at most 31 days covering it exactly', () => {
    expect(splitScheduleWindow({ startDate: '2027-01-01', endDate: '2027-03-31' })).toEqual([
      { startDate: '2027-01-01', endDate: '2027-01-31' },
      { startDate: '2027-02-01', endDate: '2027-03-03' },
      { startDate: '2027-03-04', endDate: '2027-03-31' },
    ]);
  });

  it('crosses a leap day', () => {
    expect(splitScheduleWindow({ startDate: '2028-02-01', endDate: '2028-03-05' }, 31)).toEqual([
      { startDate: '2028-02-01', endDate: '2028-03-02' },
      { startDate: '2028-03-03', endDate: '2028-03-05' },
    ]);
  });
});
