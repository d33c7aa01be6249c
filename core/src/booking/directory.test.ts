import { beforeEach, describe, expect, it } from '@jest/globals';
import { MemoryCache } from '../cache/memory-cache.js';
import type { Location, Provider } from '../domain/provider.js';
import type { ScheduleWindow, Slot } from '../domain/slot.js';
import type { ProviderSearchCriteria } from '../ports/provider-search.js';
import { ManualClock } from '../testing/manual-clock.js';
import { makeProvider } from '../testing/memory-source.js';
import { Directory } from './directory.js';
import { AppointmentFinder } from './finder.js';

const chicago: Location = {
  id: 'LOC-CHI',
  name: 'Chicago Clinic',
  address: {
    lines: ['1 Main St'],
    city: 'Chicago',
    state: 'IL',
    postalCode: '60601',
    country: 'US',
  },
  timezone: 'America/Chicago',
};
const newYork: Location = {
  ...chicago,
  id: 'LOC-NYC',
  name: 'New York Clinic',
  address: { ...chicago.address, city: 'New York', state: 'NY' },
  timezone: 'America/New_York',
};
const providers: Provider[] = [
  makeProvider(1, { locations: [chicago] }),
  makeProvider(2, { locations: [newYork] }),
  makeProvider(3, { locations: [chicago], specialties: ['dermatology'] }),
];

const slot = (
  id: string,
  locationId: string,
  date: string,
  time: string,
  patch: Partial<Slot> = {},
): Slot => ({
  id,
  date,
  time,
  durationMinutes: 30,
  available: true,
  locationId,
  visitType: 'follow_up',
  ...patch,
});

/** Clock: 2026-03-09 14:00 UTC = 09:00 in Chicago, 10:00 in New York. */
const schedules: Record<string, Slot[]> = {
  PRV0000000001: [
    slot('A-past', 'LOC-CHI', '2026-03-09', '08:30'),
    slot('A-taken', 'LOC-CHI', '2026-03-09', '09:30', { available: false }),
    slot('A-1', 'LOC-CHI', '2026-03-09', '10:00', { visitType: 'new_patient' }),
    slot('A-2', 'LOC-CHI', '2026-03-10', '14:00'),
  ],
  PRV0000000002: [
    // 10:30 in New York is 09:30 in Chicago: the earliest instant of all.
    slot('B-1', 'LOC-NYC', '2026-03-09', '10:30', { visitType: 'new_patient' }),
    slot('B-2', 'LOC-NYC', '2026-03-09', '18:00'),
  ],
  PRV0000000003: [],
};

/** A MemoryCache that also records each entry's time to live. */
function recordingCache() {
  const cache = new MemoryCache();
  const set = cache.set.bind(cache);
  cache.set = (key, value, ttlMs) => {
    ttls.set(key.split(':').slice(0, 2).join(':'), ttlMs);
    set(key, value, ttlMs);
  };
  return cache;
}

const ttls = new Map<string, number>();
let searches: Array<[ProviderSearchCriteria, { page: number; perPage: number }]>;
let providerReads: number;
let scheduleReads: ScheduleWindow[];
let directory: Directory;
let finder: AppointmentFinder;

beforeEach(() => {
  const clock = new ManualClock('2026-03-09T14:00:00.000Z');
  searches = [];
  providerReads = 0;
  scheduleReads = [];
  const deps = {
    search: {
      async searchProviders(
        criteria: ProviderSearchCriteria,
        page: { page: number; perPage: number },
      ) {
        searches.push([criteria, page]);
        const matching = providers.filter(
          (p) => criteria.specialty === undefined || p.specialties.includes(criteria.specialty),
        );
        const first = (page.page - 1) * page.perPage;
        return {
          providers: matching.slice(first, first + page.perPage),
          page: page.page,
          perPage: page.perPage,
          total: matching.length,
          hasNextPage: first + page.perPage < matching.length,
        };
      },
    },
    schedules: {
      getProvider: async (id: string) => {
        providerReads++;
        return providers.find((p) => p.id === id);
      },
      getSchedule: async (id: string, window: ScheduleWindow) => {
        scheduleReads.push(window);
        return schedules[id] ?? [];
      },
    },
    cache: recordingCache(),
    clock,
  };
  directory = new Directory(deps);
  finder = new AppointmentFinder({ directory, schedules: deps.schedules, clock });
});

describe('Directory', () => {
  it('shows each provider with its locations and its next free slot still ahead', async () => {
    const page = await directory.search({ specialty: 'pediatrics' }, { page: 1, perPage: 10 });
    expect(page).toMatchObject({ page: 1, perPage: 10, total: 1, hasNextPage: false });
    const [entry] = page.entries;
    expect(entry?.provider.id).toBe('PRV0000000001');
    expect(entry?.locations).toEqual([chicago]);
    expect(entry?.nextAvailable).toEqual({
      slotId: 'A-1',
      locationId: 'LOC-CHI',
      visitType: 'new_patient',
      start: '2026-03-09T10:00:00-05:00',
      end: '2026-03-09T10:30:00-05:00',
    });
    // From the day before in UTC (still that day west of Greenwich), 14 days ahead.
    expect(scheduleReads).toEqual([{ startDate: '2026-03-08', endDate: '2026-03-22' }]);
  });

  it('keeps a search for 5 minutes and a provider for an hour, but never a schedule', async () => {
    await directory.search({ specialty: 'pediatrics' }, { page: 1, perPage: 10 });
    await directory.search({ specialty: 'pediatrics' }, { page: 1, perPage: 10 });
    expect(searches).toHaveLength(1);
    expect(scheduleReads).toHaveLength(2);
    await directory.search({ specialty: 'cardiology' }, { page: 1, perPage: 10 });
    expect(searches).toHaveLength(2);

    expect((await directory.provider('PRV0000000003'))?.nextAvailable).toBeUndefined();
    await directory.provider('PRV0000000003');
    expect(providerReads).toBe(1);
    expect(await directory.provider('PRV9')).toBeUndefined();
    expect(Object.fromEntries(ttls)).toEqual({
      'directory:search': 300_000,
      'directory:provider': 3_600_000,
    });
  });
});

describe('AppointmentFinder', () => {
  const range = { startDate: '2026-03-09', endDate: '2026-03-10' };

  it('lists the free slots ahead of the top providers, earliest instant first', async () => {
    const found = await finder.find(range, { page: 1, perPage: 10 });
    expect(found.slots.map((s) => [s.slot.id, s.start])).toEqual([
      ['B-1', '2026-03-09T10:30:00-04:00'],
      ['A-1', '2026-03-09T10:00:00-05:00'],
      ['B-2', '2026-03-09T18:00:00-04:00'],
      ['A-2', '2026-03-10T14:00:00-05:00'],
    ]);
    expect(found).toMatchObject({ total: 4, hasNextPage: false });
    expect(found.slots[0]?.provider).toEqual({
      id: 'PRV0000000002',
      npi: providers[1]?.npi,
      name: providers[1]?.name,
      specialties: providers[1]?.specialties,
    });
    expect(scheduleReads).toContainEqual(range);
  });

  it('filters by visit type and time of day, and pages', async () => {
    const newPatients = await finder.find(
      { ...range, visitType: 'new_patient' },
      { page: 1, perPage: 10 },
    );
    expect(newPatients.slots.map((s) => s.slot.id)).toEqual(['B-1', 'A-1']);
    const afternoon = await finder.find(
      { ...range, timeOfDay: 'afternoon' },
      { page: 1, perPage: 10 },
    );
    expect(afternoon.slots.map((s) => s.slot.id)).toEqual(['A-2']);
    const second = await finder.find(range, { page: 2, perPage: 3 });
    expect(second).toMatchObject({ page: 2, perPage: 3, total: 4, hasNextPage: false });
    expect(second.slots.map((s) => s.slot.id)).toEqual(['A-2']);
  });

  it('reads the schedules of the top N providers only', async () => {
    await finder.find({ ...range, providers: 1 }, { page: 1, perPage: 10 });
    expect(searches.at(-1)?.[1]).toEqual({ page: 1, perPage: 1 });
    expect(scheduleReads).toHaveLength(1);
  });
});
