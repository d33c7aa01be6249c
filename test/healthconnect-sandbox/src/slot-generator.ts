import type { Provider, Slot } from '@pmsbridge/healthconnect-contract';
import { hash32, unit, unit5 } from './seeded-random.js';

const DAY_MS = 86_400_000;
const DURATIONS = [15, 20, 30, 45, 60] as const;
const TWO_DIGITS = Array.from({ length: 60 }, (_, i) => String(i).padStart(2, '0'));

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

type VisitType = Slot['visit_type'];
type SlotSink = (
  slotId: string,
  date: string,
  time: string,
  duration: number,
  available: boolean,
  locationId: string,
  visit: VisitType,
) => void;

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
    const slots: Slot[] = [];
    this.visit(
      provider,
      providerNumber,
      fromDay,
      toDay,
      (slot_id, date, time, duration, available, location_id, visit) =>
        slots.push({
          slot_id,
          date,
          time,
          duration_minutes: duration,
          available,
          location_id,
          visit_type: visit,
        }),
    );
    return slots;
  }

  /** The same slots as {@link SlotGenerator.slots}, serialised straight to a JSON array (hot path). */
  slotsJson(provider: Provider, providerNumber: number, fromDay: number, toDay: number): string {
    let json = '';
    this.visit(
      provider,
      providerNumber,
      fromDay,
      toDay,
      (slotId, date, time, duration, available, locationId, visit) => {
        json += `${json ? ',' : ''}{"slot_id":"${slotId}","date":"${date}","time":"${time}","duration_minutes":${duration},"available":${available},"location_id":${JSON.stringify(locationId)},"visit_type":"${visit}"}`;
      },
    );
    return `[${json}]`;
  }

  private visit(
    provider: Provider,
    providerNumber: number,
    fromDay: number,
    toDay: number,
    emit: SlotSink,
  ): void {
    const locations = provider.locations ?? [];
    if (provider.status !== 'active' || locations.length === 0) return;
    const seed = this.seed;
    const duration = DURATIONS[hash32(seed, providerNumber, 1) % DURATIONS.length] ?? 30;
    const startMinute = (hash32(seed, providerNumber, 2) % 2 === 0 ? 8 : 9) * 60;
    const endMinute = (hash32(seed, providerNumber, 3) % 2 === 0 ? 16 : 17) * 60;
    const bookedShare = 0.3 + 0.2 * unit(seed, providerNumber, 4);
    const rotation = hash32(seed, providerNumber, 5);
    const usable = Math.min(locations.length, 10);
    const digits = provider.id.slice(3);
    const accepting = provider.accepting_new_patients;
    const overrides = this.availability.size > 0 ? this.availability : undefined;
    for (let day = fromDay; day <= toDay; day++) {
      const weekday = (day + 4) % 7; // 1970-01-01 was a Thursday
      if (weekday === 0 || weekday === 6) continue;
      if (unit5(seed, providerNumber, day, 0, 6) < 0.08) continue; // a day off
      const k = (weekday + rotation) % usable;
      const location = locations[k];
      if (!location) continue;
      const date = dateOfDay(day);
      const idPrefix = `SLT${digits}${k}${date.slice(0, 4)}${date.slice(5, 7)}${date.slice(8, 10)}`;
      for (let m = startMinute; m + duration <= endMinute; m += duration) {
        if (m < 13 * 60 && m + duration > 12 * 60) continue; // lunch
        const hh = TWO_DIGITS[Math.floor(m / 60)] ?? '00';
        const mm = TWO_DIGITS[m % 60] ?? '00';
        const slotId = `${idPrefix}${hh}${mm}`;
        const v = unit5(seed, providerNumber, day, m, 7);
        const visit: VisitType =
          v < 0.2 ? 'telehealth' : v < 0.5 && accepting ? 'new_patient' : 'follow_up';
        const available =
          overrides?.get(slotId) ?? unit5(seed, providerNumber, day, m, 8) >= bookedShare;
        emit(slotId, date, `${hh}:${mm}`, duration, available, location.id, visit);
      }
    }
  }
}
