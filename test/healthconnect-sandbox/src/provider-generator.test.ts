import { describe, expect, it } from '@jest/globals';
import { ProviderSchema, SlotSchema } from '@pmsbridge/healthconnect-contract';
import { isValidNpi, npiCheckDigit } from './npi.js';
import { ProviderGenerator } from './provider-generator.js';
import { SANDBOX_SPECIALTIES } from './reference-data.js';
import { SlotGenerator, dayNumberOf, parseSlotId } from './slot-generator.js';

const TIME_ZONES = [
  'America/New_York',
  'America/Chicago',
  'America/Denver',
  'America/Phoenix',
  'America/Los_Angeles',
  'America/Anchorage',
  'Pacific/Honolulu',
];

describe('ProviderGenerator', () => {
  const generator = new ProviderGenerator(42, 1000);
  const all = Array.from({ length: 1000 }, (_, i) => generator.provider(i));

  it('computes the NPI check digit (Luhn over 80840 + nine digits)', () => {
    expect(npiCheckDigit('123456789')).toBe(3);
    expect(isValidNpi('1234567893')).toBe(true);
    expect(isValidNpi('1234567890')).toBe(false);
    expect(isValidNpi('NOT-AN-NPI')).toBe(false);
  });

  it('builds the same provider for the same seed and index, another for another seed', () => {
    expect(new ProviderGenerator(42, 1000).provider(517)).toEqual(all[517]);
    expect(new ProviderGenerator(7, 1000).provider(517)).not.toEqual(all[517]);
  });

  it('generates providers that parse, with valid unique NPIs and ids in order', () => {
    for (const provider of all) expect(ProviderSchema.safeParse(provider).error).toBeUndefined();
    expect(all.every((p) => isValidNpi(p.npi))).toBe(true);
    expect(new Set(all.map((p) => p.npi)).size).toBe(all.length);
    expect(all.map((p) => p.id)).toEqual(
      all.map((_, i) => `PRV${String(i + 1).padStart(10, '0')}`),
    );
    const locationIds = all.flatMap((p) => (p.locations ?? []).map((l) => l.id));
    expect(new Set(locationIds).size).toBe(locationIds.length);
    expect(
      all.every((p) => (p.locations?.length ?? 0) >= 1 && (p.locations?.length ?? 0) <= 3),
    ).toBe(true);
  });

  it('makes updated_at increase with id, in the past', () => {
    const times = all.map((p) => Date.parse(p.updated_at));
    expect(times.every((t, i) => i === 0 || t > (times[i - 1] ?? 0))).toBe(true);
    expect(times.at(-1)).toBeLessThan(Date.now());
  });

  it('covers all seven time zones and the ten most common specialties', () => {
    const zones = new Set(all.flatMap((p) => (p.locations ?? []).map((l) => l.timezone)));
    expect([...zones].sort()).toEqual([...TIME_ZONES].sort());
    const specialties = new Set(all.flatMap((p) => p.specialties));
    for (const s of SANDBOX_SPECIALTIES.slice(0, 10)) expect(specialties.has(s)).toBe(true);
    expect(all.every((p) => p.specialties.every((s) => /^[a-z_]+$/.test(s)))).toBe(true);
    expect(all.every((p) => /^\+1-\d{3}-555-01\d{2}$/.test(p.phone ?? ''))).toBe(true);
  });

  it('always has the two fixed test providers', () => {
    expect(all[0]).toMatchObject({
      id: 'PRV0000000001',
      name: { first: 'Test', last: 'Smith', title: 'MD' },
      specialties: ['cardiology'],
      accepting_new_patients: true,
      locations: [{ id: 'LOC0000000001', address: { city: 'New York', state: 'NY' } }],
    });
    expect(all[1]).toMatchObject({
      id: 'PRV0000000002',
      name: { first: 'Demo', last: 'Jones', title: 'MD' },
      specialties: ['pediatrics'],
      locations: [{ address: { city: 'New York', state: 'NY' } }],
    });
  });
});

describe('SlotGenerator', () => {
  const generator = new ProviderGenerator(42, 200);
  const slots = new SlotGenerator(42, new Map());
  const from = dayNumberOf('2026-12-01') ?? 0;
  const to = dayNumberOf('2026-12-14') ?? 0;

  it('computes valid weekday business-hour slots with stable ids and a realistic booked share', () => {
    let booked = 0;
    let total = 0;
    for (let i = 0; i < 200; i++) {
      const provider = generator.provider(i);
      const list = slots.slots(provider, i + 1, from, to);
      expect(slots.slots(provider, i + 1, from, to)).toEqual(list);
      const durations = new Set(list.map((s) => s.duration_minutes));
      expect(durations.size).toBeLessThanOrEqual(1);
      for (const slot of list) {
        expect(SlotSchema.safeParse(slot).error).toBeUndefined();
        const weekday = new Date(`${slot.date}T00:00:00Z`).getUTCDay();
        expect(weekday).toBeGreaterThanOrEqual(1);
        expect(weekday).toBeLessThanOrEqual(5);
        expect(slot.time >= '08:00' && slot.time < '17:00').toBe(true);
        expect(provider.locations?.some((l) => l.id === slot.location_id)).toBe(true);
        expect(parseSlotId(slot.slot_id)).toMatchObject({ date: slot.date, time: slot.time });
        if (!slot.available) booked++;
        total++;
      }
    }
    expect(total).toBeGreaterThan(200 * 50);
    expect(booked / total).toBeGreaterThan(0.3);
    expect(booked / total).toBeLessThan(0.5);
  });

  it('serialises slotsJson exactly as JSON.stringify of the slots, overrides included', () => {
    const provider = generator.provider(9);
    const overrides = new Map<string, boolean>();
    const withOverrides = new SlotGenerator(42, overrides);
    const first = withOverrides.slots(provider, 10, from, to)[0];
    if (!first) throw new Error('expected slots');
    overrides.set(first.slot_id, !first.available);
    expect(withOverrides.slots(provider, 10, from, to)[0]?.available).toBe(!first.available);
    expect(withOverrides.slotsJson(provider, 10, from, to)).toBe(
      JSON.stringify(withOverrides.slots(provider, 10, from, to)),
    );
  });

  it('uses every slot length the API describes', () => {
    const lengths = new Set<number>();
    for (let i = 0; i < 200; i++)
      for (const s of slots.slots(generator.provider(i), i + 1, from, to))
        lengths.add(s.duration_minutes);
    expect([...lengths].sort((a, b) => a - b)).toEqual([15, 20, 30, 45, 60]);
  });
});
