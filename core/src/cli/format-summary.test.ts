import { describe, expect, it } from '@jest/globals';
import type { SyncSummary } from '../sync/run-summary.js';
import { formatSummary } from './format-summary.js';

const summary: SyncSummary = {
  pipeline: 'p',
  mode: 'incremental',
  dryRun: false,
  resumed: false,
  read: 7,
  written: 5,
  unchanged: 0,
  filtered: 0,
  deadLettered: 0,
  coalesced: 2,
  deadLetterShare: 0,
  durationMs: 1200,
  sinks: {},
};

describe('formatSummary', () => {
  it('says how many changes were folded into later changes of the same provider', () => {
    expect(formatSummary(summary)).toContain(
      '2 change(s) folded into a later change of the same provider',
    );
    expect(formatSummary({ ...summary, coalesced: 0 })).not.toContain('folded');
  });

  it('ends with the reason of a run judged failed', () => {
    const text = formatSummary({
      ...summary,
      failure: { code: 'PMS_DEAD_LETTER_THRESHOLD', message: '3 of 5 records were dead-lettered' },
    });
    expect(text.split('\n').at(-1)).toBe(
      '  FAILED [PMS_DEAD_LETTER_THRESHOLD]: 3 of 5 records were dead-lettered',
    );
  });
});
