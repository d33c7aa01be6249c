import { describe, expect, it } from '@jest/globals';
import { SlotSchema } from '@pmsbridge/healthconnect-contract';
import { wellFormedSlot } from './slot-guard.js';

const valid = {
  slot_id: 'SLT0000000001',
  date: '2026-03-09',
  time: '09:30',
  duration_minutes: 30,
  available: true,
  location_id: 'LOC0000000001',
  visit_type: 'new_patient',
};

/** Every slot here differs from `valid` in one field. */
const variants: Array<Record<string, unknown>> = [
  ...[undefined, '', 7, null].map((slot_id) => ({ slot_id })),
  ...[
    undefined,
    '2026-02-30',
    '2026-2-09',
    '2026-03-09T00:00',
    '2024-02-29',
    '2023-02-29',
    20260309,
  ].map((date) => ({ date })),
  ...[undefined, '24:00', '9:30', '09:60', '23:59', '00:00', '09:30:00'].map((time) => ({ time })),
  ...[undefined, 0, -30, 30.5, '30', 2 ** 60, 1].map((duration_minutes) => ({ duration_minutes })),
  ...[undefined, 'true', 1, false].map((available) => ({ available })),
  ...[undefined, '', 3].map((location_id) => ({ location_id })),
  ...[undefined, 'walk_in', 'telehealth', 'follow_up'].map((visit_type) => ({ visit_type })),
  { extra: 'ignored' },
];

describe('wellFormedSlot', () => {
  it('accepts exactly what SlotSchema accepts, and returns what parsing it returns', () => {
    for (const change of variants) {
      const slot = { ...valid, ...change };
      const parsed = SlotSchema.safeParse(slot);
      const fast = wellFormedSlot(slot);
      expect({ slot, accepted: fast !== undefined }).toEqual({ slot, accepted: parsed.success });
      if (parsed.success) expect(fast).toEqual(parsed.data);
    }
    expect(wellFormedSlot(null)).toBeUndefined();
    expect(wellFormedSlot('slot')).toBeUndefined();
  });
});
