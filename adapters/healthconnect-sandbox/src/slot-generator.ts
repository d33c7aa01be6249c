import type { Provider, Slot } from '@pmsbridge/core';
import { hash32, unit } from './seeded-random.js';

const DAY_MS = 86_400_000;
const DURATIONS = [15, 20, 30, 45, 60] as const;

/** Days since 1970-01-01 of a `YYYY-MM-DD` date, or undefined when it is not a real date. */
export function dayNumberOf(date: string): number | undefined {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(date)) return undefined;
  const ms = Date.parse(`${date}T00:00:00Z`);
  if (Number.isNaN(ms) || new Date(ms).toISOString().slice(0, 10) !== date) return undefined;
  return ms / DAY_MS;
}

/** The `YYYY-MM-DD` date of a day number. */
export function dateOfDay(day: number): string {
  return new Date(day * DAY_MS).toISOString().slice(0, 10);
}

/** Parts of a slot id: `SLT` + provider digits + location index + YYYYMMDD + HHMM. */
export interface SlotIdParts {
  providerDigits: string;
  locationIndex: number;
  date: string;
  time: string;
}

/** Splits a slot id into its parts, or undefined when it is not one. */
export function parseSlotId(slotId: string): SlotIdParts | undefined {
  const m = /^SLT(\d{10})(\d)(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})$/.exec(slotId);
  if (!m) return undefined;
  const [, providerDigits = '', loc = '0', y, mo, d, h, mi] = m;
  return {
    providerDigits,
    locationIndex: Number(loc),
    date: `${y}-${mo}-${d}`,
    time: `${h}:${mi}`,
  };
}

/**
 * Computes a provider's slots from the seed: weekdays only, business hours local to each
 * location, one location per weekday, a per-provider slot length and a realistic share
 * (30–50 %) already booked. `availability` overrides the computed `available` by slot id.
 */
export class SlotGenerator {
  constructor(
    private readonly seed: number,
    private readonly availability: ReadonlyMap<string, boolean>,
  ) {}

  /** Slots of provider `providerNumber` (1-based) on days `fromDay`..`toDay` inclusive. */
  slots(provider: Provider, providerNumber: number, fromDay: number, toDay: number): Slot[] {
    const locations = provider.locations ?? [];
    if (provider.status !== 'active' || locations.length === 0) return [];
    const seed = this.seed;
    const duration = DURATIONS[hash32(seed, providerNumber, 1) % DURATIONS.length] ?? 30;
    const startMinute = (hash32(seed, providerNumber, 2) % 2 === 0 ? 8 : 9) * 60;
    const endMinute = (hash32(seed, providerNumber, 3) % 2 === 0 ? 16 : 17) * 60;
    const bookedShare = 0.3 + 0.2 * unit(seed, providerNumber, 4);
    const rotation = hash32(seed, providerNumber, 5);
    const usable = Math.min(locations.length, 10);
    const digits = provider.id.slice(3);
    const slots: Slot[] = [];
    for (let day = fromDay; day <= toDay; day++) {
      const weekday = (day + 4) % 7; // 1970-01-01 was a Thursday
      if (weekday === 0 || weekday === 6) continue;
      if (unit(seed, providerNumber, day, 6) < 0.08) continue; // a day off
      const k = (weekday + rotation) % usable;
      const location = locations[k];
      if (!location) continue;
      const date = dateOfDay(day);
      const compactDate = date.replaceAll('-', '');
      for (let m = startMinute; m + duration <= endMinute; m += duration) {
        if (m < 13 * 60 && m + duration > 12 * 60) continue; // lunch
        const hh = String(Math.floor(m / 60)).padStart(2, '0');
        const mm = String(m % 60).padStart(2, '0');
        const slotId = `SLT${digits}${k}${compactDate}${hh}${mm}`;
        const v = unit(seed, providerNumber, day, m, 7);
        const visit =
          v < 0.2
            ? 'telehealth'
            : v < 0.5 && provider.accepting_new_patients
              ? 'new_patient'
              : 'follow_up';
        slots.push({
          slot_id: slotId,
          date,
          time: `${hh}:${mm}`,
          duration_minutes: duration,
          available:
            this.availability.get(slotId) ?? unit(seed, providerNumber, day, m, 8) >= bookedShare,
          location_id: location.id,
          visit_type: visit,
        });
      }
    }
    return slots;
  }
}
