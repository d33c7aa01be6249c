import type { Location, Provider } from '@pmsbridge/healthconnect-contract';
import { npiCheckDigit } from './npi.js';
import {
  CITIES,
  EXTRA_LANGUAGES,
  FEMALE_FIRST_NAMES,
  INSURANCES,
  LAST_NAMES,
  MALE_FIRST_NAMES,
  NEUTRAL_FIRST_NAMES,
  SANDBOX_SPECIALTIES,
  SITE_NAMES,
  STREETS,
  TITLES,
  pickCity,
} from './reference-data.js';
import { hash32, pick, unit } from './seeded-random.js';

/** `updated_at` of generated provider n is this instant plus n seconds: in the past, increasing with id. */
export const GENERATED_EPOCH_MS = Date.UTC(2025, 0, 1);

/** The compact facts a generated provider is built from; also what searches filter on. */
export interface ProviderTraits {
  gender: 'male' | 'female' | 'other' | 'unknown';
  first: string;
  last: string;
  title: string;
  /** Indexes into {@link SANDBOX_SPECIALTIES}; the first is primary. */
  specialties: number[];
  accepting: boolean;
  /** Indexes into {@link CITIES}, one per location. */
  cities: number[];
  /** Bit i set: accepts `INSURANCES[i]`. */
  insuranceMask: number;
  languages: string[];
  npi: string;
}

/** Formats provider number n (1-based) as its id, `PRV` + 10 digits. */
export function providerIdOf(number: number): string {
  return `PRV${String(number).padStart(10, '0')}`;
}

/** The 1-based number of a provider id, or undefined when it is not `PRV` + 10 digits. */
export function providerNumberOf(id: string): number | undefined {
  return /^PRV\d{10}$/.test(id) ? Number(id.slice(3)) : undefined;
}

/** Formats an instant the way the API does: RFC 3339, UTC, no milliseconds when zero. */
export function formatInstant(ms: number): string {
  return new Date(ms).toISOString().replace('.000Z', 'Z');
}

const S = (name: (typeof SANDBOX_SPECIALTIES)[number]): number => SANDBOX_SPECIALTIES.indexOf(name);
const NEW_YORK = CITIES.findIndex((c) => c.city === 'New York');

/** The two providers every sandbox contains, per the API's test-data promise. */
const FIXED_TRAITS: readonly ProviderTraits[] = [
  {
    gender: 'male',
    first: 'Test',
    last: 'Smith',
    title: 'MD',
    specialties: [S('cardiology')],
    accepting: true,
    cities: [NEW_YORK],
    insuranceMask: 0b11,
    languages: ['en', 'es'],
    npi: '1234567893',
  },
  {
    gender: 'female',
    first: 'Demo',
    last: 'Jones',
    title: 'MD',
    specialties: [S('pediatrics')],
    accepting: true,
    cities: [NEW_YORK],
    insuranceMask: 0b111,
    languages: ['en'],
    npi: '1245319599',
  },
];

/**
 * Builds generated providers on demand from (seed, index): O(1) per provider, nothing
 * stored. Index 0 is `PRV0000000001`.
 */
export class ProviderGenerator {
  private readonly npiOffset: number;

  constructor(
    readonly seed: number,
    readonly count: number,
  ) {
    this.npiOffset = hash32(seed, 0x6e7069) % 100_000_000;
  }

  /** The facts provider `index` is built from. */
  traits(index: number): ProviderTraits {
    const fixed = FIXED_TRAITS[index];
    if (fixed) return fixed;
    const r = (salt: number, ...more: number[]): number => unit(this.seed, index, salt, ...more);
    const g = r(1);
    const gender = g < 0.48 ? 'female' : g < 0.96 ? 'male' : g < 0.98 ? 'other' : 'unknown';
    const names =
      gender === 'female'
        ? FEMALE_FIRST_NAMES
        : gender === 'male'
          ? MALE_FIRST_NAMES
          : NEUTRAL_FIRST_NAMES;
    // Three quarters of providers practise one of the ten most common specialties.
    const primary =
      r(4) < 0.75 ? Math.floor(r(5) * 10) : Math.floor(r(5) * SANDBOX_SPECIALTIES.length);
    const specialties = [primary];
    if (r(6) < 0.12) {
      const second = Math.floor(r(7) * SANDBOX_SPECIALTIES.length);
      if (second !== primary) specialties.push(second);
    }
    const locationCount = r(8) < 0.6 ? 1 : r(9) < 0.7 ? 2 : 3;
    const home = pickCity(r(10));
    const cities: number[] = [CITIES.indexOf(home)];
    for (let k = 1; k < locationCount; k++) {
      // Extra sites are in the same metro area most of the time.
      cities.push(r(11, k) < 0.7 ? (cities[0] as number) : CITIES.indexOf(pickCity(r(12, k))));
    }
    let insuranceMask = 0;
    for (let i = 0; i < INSURANCES.length; i++) if (r(13, i) < 0.45) insuranceMask |= 1 << i;
    const languages = ['en'];
    for (const [i, lang] of EXTRA_LANGUAGES.entries())
      if (r(14, i) < lang.share) languages.push(lang.tag);
    const firstNine = `1${String((index * 48271 + this.npiOffset) % 100_000_000).padStart(8, '0')}`;
    return {
      gender,
      first: pick(names, r(2)),
      last: pick(LAST_NAMES, r(3)),
      title: pick(TITLES, r(15)),
      specialties,
      accepting: r(16) < 0.7,
      cities,
      insuranceMask,
      languages,
      npi: `${firstNine}${npiCheckDigit(firstNine)}`,
    };
  }

  /** Generated provider `index` (0-based) as the API returns it. */
  provider(index: number): Provider {
    const t = this.traits(index);
    const number = index + 1;
    const locations = t.cities.map((city, k) =>
      this.location(index, k, city, t.specialties[0] ?? 0),
    );
    const provider: Provider = {
      id: providerIdOf(number),
      npi: t.npi,
      name: { first: t.first, last: t.last, title: t.title },
      gender: t.gender,
      specialties: t.specialties.map((s) => SANDBOX_SPECIALTIES[s] ?? 'family_medicine'),
      accepting_new_patients: t.accepting,
      languages: t.languages,
      insurance_accepted: INSURANCES.filter((_, i) => (t.insuranceMask & (1 << i)) !== 0),
      locations,
      phone: `+1-${CITIES[t.cities[0] ?? 0]?.areaCode ?? '212'}-555-01${String(index % 50).padStart(2, '0')}`,
      status: 'active',
      updated_at: formatInstant(this.generatedAtMs(index)),
    };
    return provider;
  }

  /** When generated provider `index` was last updated (epoch ms). */
  generatedAtMs(index: number): number {
    return GENERATED_EPOCH_MS + (index + 1) * 1000;
  }

  private location(index: number, k: number, cityIndex: number, specialty: number): Location {
    const city = CITIES[cityIndex] ?? (CITIES[0] as (typeof CITIES)[number]);
    const locationNumber = index * 3 + k + 1;
    const specialtyName = (SANDBOX_SPECIALTIES[specialty] ?? 'family_medicine')
      .split('_')
      .map((word) => word[0]?.toUpperCase() + word.slice(1))
      .join(' ');
    if (index === 0 && k === 0) {
      return {
        id: 'LOC0000000001',
        name: 'HealthConnect Cardiology - Midtown',
        address: {
          line: ['350 5th Ave', 'Suite 200'],
          city: 'New York',
          state: 'NY',
          postal_code: '10118',
          country: 'US',
        },
        timezone: 'America/New_York',
        phone: '+1-212-555-0101',
        position: { latitude: 40.7484, longitude: -73.9857 },
      };
    }
    const r = (salt: number): number => unit(this.seed, index, 100 + k, salt);
    const line = [`${1 + Math.floor(r(1) * 2400)} ${pick(STREETS, r(2))}`];
    if (r(3) < 0.5) line.push(`Suite ${100 + Math.floor(r(4) * 800)}`);
    return {
      id: `LOC${String(locationNumber).padStart(10, '0')}`,
      name: `HealthConnect ${specialtyName} - ${pick(SITE_NAMES, r(5))}`,
      address: {
        line,
        city: city.city,
        state: city.state,
        postal_code: city.postalCode,
        country: 'US',
      },
      timezone: city.timezone,
      phone: `+1-${city.areaCode}-555-01${String(50 + Math.floor(r(6) * 50)).padStart(2, '0')}`,
      position: {
        latitude: Math.round((city.latitude + (r(7) - 0.5) * 0.08) * 1e4) / 1e4,
        longitude: Math.round((city.longitude + (r(8) - 0.5) * 0.08) * 1e4) / 1e4,
      },
    };
  }
}
