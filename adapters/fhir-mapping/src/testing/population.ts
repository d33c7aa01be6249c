import type { Location, Provider, ProviderRecord, Slot } from '@pmsbridge/core';

/** Test fixture: a deterministic provider population (not part of the public API). */

const ZONES: ReadonlyArray<{ city: string; state: string; zone: string; zip: string }> = [
  { city: 'New York', state: 'NY', zone: 'America/New_York', zip: '10118' },
  { city: 'Chicago', state: 'IL', zone: 'America/Chicago', zip: '60601' },
  { city: 'Denver', state: 'CO', zone: 'America/Denver', zip: '80202' },
  { city: 'Phoenix', state: 'AZ', zone: 'America/Phoenix', zip: '85004' },
  { city: 'Los Angeles', state: 'CA', zone: 'America/Los_Angeles', zip: '90012' },
  { city: 'Anchorage', state: 'AK', zone: 'America/Anchorage', zip: '99501' },
  { city: 'Honolulu', state: 'HI', zone: 'Pacific/Honolulu', zip: '96813' },
];

const SPECIALTIES = [
  'cardiology',
  'pediatrics',
  'family_medicine',
  'internal_medicine',
  'dermatology',
  'orthopedics',
  'obstetrics_gynecology',
  'psychiatry',
  'neurology',
  'ophthalmology',
  'sleep_medicine',
];
const FIRST = ['Ana', 'Ben', 'Chloé', 'Dev', 'Eun-ji', 'Farid', 'Grace', 'Hiro'];
const LAST = ['Smith', 'Jones', "O'Neil", 'García', 'Nguyen', 'Kowalski', 'Okafor'];
const VISITS: Slot['visitType'][] = ['new_patient', 'follow_up', 'telehealth'];

/** A valid NPI (Luhn over `80840` + digits) from a 9-digit base. */
export function npiFor(base: number): string {
  const digits = `1${String(base).padStart(8, '0')}`;
  let sum = 24;
  for (let i = 0; i < 9; i++) {
    let d = Number(digits[8 - i]);
    if (i % 2 === 0) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
  }
  return `${digits}${(10 - (sum % 10)) % 10}`;
}

function pad(n: number): string {
  return String(n).padStart(10, '0');
}

/** Location number `n` (a stable function of `n`). */
export function buildLocation(n: number): Location {
  const z = ZONES[n % ZONES.length] ?? ZONES[0];
  if (z === undefined) throw new Error('no zones');
  return {
    id: `LOC${pad(n)}`,
    name: `HealthConnect Clinic ${n} - ${z.city}`,
    address: {
      lines: [`${100 + n} Main St`],
      city: z.city,
      state: z.state,
      postalCode: z.zip,
      country: 'US',
    },
    timezone: z.zone,
    phone: `+1-555-010-${String(n % 10000).padStart(4, '0')}`,
    ...(n % 3 === 0
      ? { position: { latitude: 40 + (n % 7) / 10, longitude: -100 + (n % 11) / 10 } }
      : {}),
  };
}

/** Provider number `n` with one or two locations. */
export function buildProvider(n: number): Provider {
  const pick = <T>(list: readonly T[], i: number): T => list[i % list.length] as T;
  const locations = [buildLocation(n % 400)];
  if (n % 4 === 0) locations.push(buildLocation((n * 7 + 1) % 400));
  return {
    id: `PRV${pad(n)}`,
    npi: npiFor(n),
    name: {
      first: pick(FIRST, n),
      last: pick(LAST, n * 3),
      ...(n % 5 === 0 ? {} : { title: 'MD' }),
    },
    ...(n % 6 === 0 ? {} : { gender: pick(['male', 'female', 'other', 'unknown'] as const, n) }),
    specialties:
      n % 9 === 0 ? [pick(SPECIALTIES, n), pick(SPECIALTIES, n + 1)] : [pick(SPECIALTIES, n)],
    acceptingNewPatients: n % 2 === 0,
    ...(n % 4 === 1 ? {} : { languages: n % 3 === 0 ? ['en', 'es'] : ['en'] }),
    locations,
    ...(n % 7 === 0 ? {} : { phone: `+1-555-020-${String(n % 10000).padStart(4, '0')}` }),
    status: 'active',
    updatedAt: '2026-11-02T14:03:11Z',
  };
}

/** Slots of provider `n`: `perDay` a day from `startDate` for `days` days, 30 minutes each. */
export function buildSlots(
  provider: Provider,
  startDate: string,
  days: number,
  perDay = 2,
): Slot[] {
  const slots: Slot[] = [];
  const locations = provider.locations ?? [];
  const base = new Date(`${startDate}T00:00:00Z`).getTime();
  for (let d = 0; d < days; d++) {
    const day = base / 86_400_000 + d; // absolute day: a slot's content does not depend on the window
    const date = new Date(day * 86_400_000).toISOString().slice(0, 10);
    for (let i = 0; i < perDay; i++) {
      const location = locations[(day + i) % locations.length];
      if (location === undefined) continue;
      slots.push({
        id: `SLT${provider.id.slice(3)}${date.replaceAll('-', '')}${String(i).padStart(2, '0')}`,
        date,
        time: `${String(9 + i).padStart(2, '0')}:${i % 2 === 0 ? '00' : '30'}`,
        durationMinutes: 30,
        available: (day + i) % 3 !== 0,
        locationId: location.id,
        visitType: VISITS[(day + i) % VISITS.length] ?? 'follow_up',
      });
    }
  }
  return slots;
}

/** A provider record of provider `n` over `days` days from `startDate`. */
export function buildRecord(
  n: number,
  startDate = '2026-12-01',
  days = 7,
  perDay = 2,
): ProviderRecord {
  const provider = buildProvider(n);
  const end = new Date(new Date(`${startDate}T00:00:00Z`).getTime() + (days - 1) * 86_400_000);
  return {
    kind: 'provider',
    provider,
    window: { startDate: startDate, endDate: end.toISOString().slice(0, 10) },
    slots: buildSlots(provider, startDate, days, perDay),
  };
}
