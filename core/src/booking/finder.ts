import type { Location, Provider } from '../domain/provider.js';
import type { Slot, VisitType } from '../domain/slot.js';
import type { Clock } from '../ports/clock.js';
import type { ProviderSearchCriteria } from '../ports/provider-search.js';
import { mapBounded } from './bounded-map.js';
import type { Directory } from './directory.js';
import { freeSlotsAhead, type BookableSchedules } from './schedules.js';
import { zonedInstant } from './zoned-instant.js';

/** Local wall-clock ranges of the named times of day, `[from, to)`. */
export const TIMES_OF_DAY = {
  morning: ['06:00', '12:00'],
  afternoon: ['12:00', '17:00'],
  evening: ['17:00', '21:00'],
} as const;

/** A named time of day (see {@link TIMES_OF_DAY}). */
export type TimeOfDay = keyof typeof TIMES_OF_DAY;

/** What the finder looks for: the directory's criteria, a date range and what the slot is. */
export interface AppointmentCriteria extends ProviderSearchCriteria {
  /** Local dates at the slots' locations, inclusive; at most 31 days. */
  readonly startDate: string;
  readonly endDate: string;
  readonly visitType?: VisitType;
  /** Only slots starting within this part of the local day. */
  readonly timeOfDay?: TimeOfDay;
  /** How many of the matching providers' schedules are read: the guide's top 10. */
  readonly providers?: number;
}

/** A free slot the finder found, with its provider and location. */
export interface FoundSlot {
  readonly provider: Pick<Provider, 'id' | 'npi' | 'name' | 'specialties'>;
  readonly location: Location;
  readonly slot: Slot;
  /** RFC 3339 with the location's UTC offset. */
  readonly start: string;
  readonly end: string;
}

/** A page of found slots. */
export interface FoundSlotsPage {
  readonly slots: readonly FoundSlot[];
  readonly page: number;
  readonly perPage: number;
  readonly total: number;
  readonly hasNextPage: boolean;
}

/**
 * The guide's `find_appointment`: the top providers matching the criteria (from the
 * directory's cached search), each one's schedule for the date range (never cached, a few
 * at a time), the free slots still ahead that match the visit type and time of day, sorted
 * by start and paged.
 */
export class AppointmentFinder {
  constructor(
    private readonly deps: { directory: Directory; schedules: BookableSchedules; clock: Clock },
    private readonly options: { concurrency: number } = { concurrency: 4 },
  ) {}

  async find(
    criteria: AppointmentCriteria,
    page: { page: number; perPage: number },
    signal?: AbortSignal,
  ): Promise<FoundSlotsPage> {
    const { startDate, endDate, visitType, timeOfDay, providers: top = 10, ...search } = criteria;
    const { providers } = await this.deps.directory.providers(
      search,
      { page: 1, perPage: top },
      signal,
    );
    const nowMs = this.deps.clock.now().getTime();
    const [from, to] = timeOfDay === undefined ? ['00:00', '24:00'] : TIMES_OF_DAY[timeOfDay];
    const perProvider = await mapBounded(providers, this.options.concurrency, async (provider) => {
      const slots = await this.deps.schedules.getSchedule(
        provider.id,
        { startDate, endDate },
        signal,
      );
      const locations = new Map((provider.locations ?? []).map((l) => [l.id, l]));
      return freeSlotsAhead(slots, locations, nowMs)
        .filter(({ slot }) => visitType === undefined || slot.visitType === visitType)
        .filter(({ slot }) => slot.time >= from && slot.time < to)
        .map((found) => ({ ...found, provider }));
    });
    const all = perProvider
      .flat()
      .sort(
        (a, b) =>
          a.startMs - b.startMs ||
          (a.provider.id < b.provider.id ? -1 : a.provider.id > b.provider.id ? 1 : 0),
      );
    const first = (page.page - 1) * page.perPage;
    const slots = all.slice(first, first + page.perPage).map(({ provider, location, slot }) => ({
      provider: {
        id: provider.id,
        npi: provider.npi,
        name: provider.name,
        specialties: provider.specialties,
      },
      location,
      slot,
      ...zonedInstant(slot, location),
    }));
    return {
      slots,
      page: page.page,
      perPage: page.perPage,
      total: all.length,
      hasNextPage: first + page.perPage < all.length,
    };
  }
}
