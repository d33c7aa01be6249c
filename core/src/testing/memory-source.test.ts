import { describe, expect, it } from '@jest/globals';
import { ProviderSchema } from '../domain/provider.js';
import { SlotSchema } from '../domain/slot.js';
import { makeProvider, twoSlots } from './memory-source.js';

describe('the in-memory test data', () => {
  it('makes providers and slots the domain schemas accept', async () => {
    expect(ProviderSchema.safeParse(makeProvider(12)).success).toBe(true);
    const slots = await twoSlots.getSchedule('PRV0000000012', {
      startDate: '2026-12-01',
      endDate: '2026-12-01',
    });
    expect(slots.map((slot) => slot.time)).toEqual(['09:00', '10:00']);
    for (const slot of slots) expect(SlotSchema.parse(slot)).toEqual(slot);
  });
});
