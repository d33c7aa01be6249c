import { describe, expect, it } from '@jest/globals';
import {
  groupPartOf,
  groupRangeOfFile,
  isRangeTouched,
  layoutOf,
  providerGroupOf,
} from './provider-groups.js';

describe('provider groups', () => {
  it('hashes a provider to the same group in every process and version (SHA-256, not a JS string hash)', () => {
    // Pinned: a publication's files are named by these groups, and the next run must agree.
    expect(providerGroupOf('PRV0000000001', 1600)).toBe(427);
    expect(providerGroupOf('PRV0000000002', 1600)).toBe(1002);
    expect(providerGroupOf('PRV0000000001', 64)).toBe(43);
    expect(providerGroupOf('PRV0000000001', 1)).toBe(0);
  });

  it('spreads providers evenly over the groups', () => {
    const counts = new Array<number>(16).fill(0);
    for (let n = 1; n <= 16_000; n++) {
      const group = providerGroupOf(`PRV${String(n).padStart(10, '0')}`, 16);
      counts[group] = (counts[group] ?? 0) + 1;
    }
    for (const count of counts) expect(Math.abs(count - 1000)).toBeLessThan(120);
  });

  it('names a Slot file by its group and the other files by a range of 16 groups', () => {
    expect(groupPartOf('Slot', 42, 1600)).toBe('g0042');
    expect(groupPartOf('Schedule', 42, 1600)).toBe('g0032-0047');
    expect(groupPartOf('PractitionerRole', 1599, 1600)).toBe('g1584-1599');
    // The last range stops at the last group.
    expect(groupPartOf('Schedule', 1000, 1001)).toBe('g0992-1000');
    expect(groupPartOf('Schedule', 3, 10)).toBe('g0000-0009');
  });

  it('reads the groups back from a file name', () => {
    expect(groupRangeOfFile('Slot-g0042.ndjson')).toEqual({ first: 42, last: 42 });
    expect(groupRangeOfFile('Schedule-g0032-0047.ndjson')).toEqual({ first: 32, last: 47 });
    expect(groupRangeOfFile('Location-MA.ndjson')).toBeUndefined();
    expect(groupRangeOfFile('Slot-MA-2026-W49.ndjson')).toBeUndefined();
    expect(isRangeTouched({ first: 32, last: 47 }, new Set([5, 47]))).toBe(true);
    expect(isRangeTouched({ first: 32, last: 47 }, new Set([5, 48]))).toBe(false);
  });

  it('records the number of groups in the layout, which files can only be reused under', () => {
    expect(layoutOf('provider-group', 1600)).toBe('provider-group/1600');
    expect(layoutOf('state-week', 1600)).toBe('state-week');
  });
});
