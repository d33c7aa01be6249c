import { parseWith } from '@pmsbridge/core';
import { ProviderSchema, type Provider } from '@pmsbridge/healthconnect-contract';
import {
  ProviderGenerator,
  formatInstant,
  providerIdOf,
  providerNumberOf,
  type ProviderTraits,
} from './provider-generator.js';
import { CITIES, INSURANCES, SANDBOX_SPECIALTIES } from './reference-data.js';

/** Search filters of `GET /providers`; all optional, combined with AND. */
export interface ProviderFilters {
  specialty?: string;
  /** `City, ST` */
  location?: string;
  acceptingNewPatients?: boolean;
  insurance?: string;
  /** Case-insensitive substring of first or last name. */
  name?: string;
  npi?: string;
}

/** One entry of the mutation log (generated providers are not in it). */
export interface LoggedChange {
  type: 'created' | 'updated' | 'deactivated';
  providerId: string;
  changedAtMs: number;
  /** Snapshot after the change (absent for deactivations). */
  provider?: Provider;
}

/** A change feed entry as served, before corruption and serialisation. */
export interface FeedEntry {
  type: 'created' | 'updated' | 'deactivated';
  provider_id: string;
  changed_at: string;
  provider?: Provider;
}

/** Compact per-provider columns used to filter the generated population without building it. */
interface SearchIndex {
  specialties: Uint32Array;
  cities: Uint32Array;
  accepting: Uint8Array;
  insurance: Uint16Array;
  first: string[];
  last: string[];
  npi: string[];
}

/**
 * The sandbox's provider data: the generated population plus admin mutations (kept in
 * a small map), and the changes feed over both.
 */
export class ProviderDirectory {
  private readonly overrides = new Map<number, Provider>();
  private readonly log: LoggedChange[] = [];
  private created = 0;
  private index?: SearchIndex;
  private lastStampMs = 0;

  constructor(
    readonly generator: ProviderGenerator,
    private readonly now: () => Date,
  ) {
    this.lastStampMs = generator.generatedAtMs(generator.count - 1);
  }

  /** Number of providers (generated + created). */
  get size(): number {
    return this.generator.count + this.created;
  }

  /** Provider at 0-based `index`, as currently stored. */
  at(index: number): Provider {
    return this.overrides.get(index) ?? this.generator.provider(index);
  }

  /** Provider by id, or undefined. */
  get(id: string): Provider | undefined {
    const number = providerNumberOf(id);
    if (number === undefined || number < 1 || number > this.size) return undefined;
    return this.at(number - 1);
  }

  /** All provider ids, in order. */
  *ids(): Iterable<string> {
    for (let i = 0; i < this.size; i++) yield providerIdOf(i + 1);
  }

  /** One page of providers matching `filters`, ordered by id. */
  search(
    filters: ProviderFilters,
    page: number,
    perPage: number,
  ): { providers: Provider[]; total: number } {
    const from = (page - 1) * perPage;
    if (!hasFilters(filters)) {
      const providers: Provider[] = [];
      for (let i = from; i < Math.min(this.size, from + perPage); i++) providers.push(this.at(i));
      return { providers, total: this.size };
    }
    const matcher = this.matcher(filters);
    const providers: Provider[] = [];
    let total = 0;
    for (let i = 0; i < this.size; i++) {
      if (!matcher(i)) continue;
      if (total >= from && providers.length < perPage) providers.push(this.at(i));
      total++;
    }
    return { providers, total };
  }

  /** Adds a provider, filling what `input` leaves out from the generator. */
  create(input: Partial<Provider> = {}): Provider {
    const index = this.size;
    const changedAtMs = this.stamp();
    const provider = parseWith(
      ProviderSchema,
      {
        ...this.generator.provider(index),
        ...input,
        id: providerIdOf(index + 1),
        updated_at: formatInstant(changedAtMs),
      },
      'provider',
    );
    this.created++;
    this.overrides.set(index, provider);
    this.log.push({ type: 'created', providerId: provider.id, changedAtMs, provider });
    return provider;
  }

  /** Applies a shallow patch (id cannot change) and logs an `updated` change. */
  update(id: string, patch: Partial<Provider>): Provider {
    return this.replace(id, 'updated', (current) => ({ ...current, ...patch }));
  }

  /** Marks a provider inactive and logs a `deactivated` change. */
  deactivate(id: string): Provider {
    return this.replace(id, 'deactivated', (current) => ({ ...current, status: 'inactive' }));
  }

  /** Logs an `updated` change for a provider whose schedule changed. */
  touch(id: string): Provider {
    return this.replace(id, 'updated', (current) => current);
  }

  /** Number of entries in the whole changes feed. */
  get feedLength(): number {
    return this.generator.count + this.log.length;
  }

  /** `changed_at` (epoch ms) of feed position `position`. */
  feedTimeMs(position: number): number {
    if (position < this.generator.count) return this.generator.generatedAtMs(position);
    return this.log[position - this.generator.count]?.changedAtMs ?? Number.POSITIVE_INFINITY;
  }

  /** First feed position whose change happened strictly after `sinceMs`. */
  firstPositionAfter(sinceMs: number): number {
    let lo = 0;
    let hi = this.feedLength;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.feedTimeMs(mid) <= sinceMs) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** The feed entry at `position`. Generated providers appear as `created`, as generated. */
  feedEntry(position: number): FeedEntry {
    if (position < this.generator.count) {
      const provider = this.generator.provider(position);
      return {
        type: 'created',
        provider_id: provider.id,
        changed_at: provider.updated_at,
        provider,
      };
    }
    const entry = this.log[position - this.generator.count];
    if (!entry) throw new RangeError(`no change at feed position ${position}`);
    return {
      type: entry.type,
      provider_id: entry.providerId,
      changed_at: formatInstant(entry.changedAtMs),
      ...(entry.provider ? { provider: entry.provider } : {}),
    };
  }

  /**
   * The instant up to which the feed is complete, now; later changes are stamped after
   * it, so a client that stores it as `since` misses nothing.
   */
  watermarkMs(): number {
    this.lastStampMs = Math.max(this.lastStampMs, this.now().getTime());
    return this.lastStampMs;
  }

  private replace(
    id: string,
    type: 'updated' | 'deactivated',
    change: (current: Provider) => Provider,
  ): Provider {
    const number = providerNumberOf(id);
    const current = this.get(id);
    if (number === undefined || !current) throw new UnknownProviderError(id);
    const changedAtMs = this.stamp();
    const next = parseWith(
      ProviderSchema,
      { ...change(current), id: current.id, updated_at: formatInstant(changedAtMs) },
      'provider',
    );
    this.overrides.set(number - 1, next);
    this.log.push({
      type,
      providerId: id,
      changedAtMs,
      ...(type === 'deactivated' ? {} : { provider: next }),
    });
    return next;
  }

  /** A change time strictly after every earlier change and every `until` handed out. */
  private stamp(): number {
    // Whole seconds, like the generated data, keep the wire format simple and ordered.
    const next = Math.max(Math.floor(this.now().getTime() / 1000) * 1000, this.lastStampMs + 1000);
    this.lastStampMs = Math.floor(next / 1000) * 1000;
    return this.lastStampMs;
  }

  private matcher(filters: ProviderFilters): (index: number) => boolean {
    const index = this.searchIndex();
    const specialty = filters.specialty?.toLowerCase();
    const specialtyIndex =
      specialty === undefined ? -1 : SANDBOX_SPECIALTIES.indexOf(specialty as never);
    const where = filters.location ? parseCityState(filters.location) : undefined;
    const cityIndex = where
      ? CITIES.findIndex(
          (c) => c.city.toLowerCase() === where.city && c.state.toLowerCase() === where.state,
        )
      : -1;
    const insurance = filters.insurance?.toLowerCase();
    const insuranceIndex = insurance === undefined ? -1 : INSURANCES.indexOf(insurance as never);
    const name = filters.name?.toLowerCase();
    const generated = this.generator.count;
    const matchesGenerated = (i: number): boolean => {
      if (
        specialty !== undefined &&
        (specialtyIndex < 0 || ((index.specialties[i] ?? 0) & (1 << specialtyIndex)) === 0)
      )
        return false;
      if (
        filters.location !== undefined &&
        (cityIndex < 0 || ((index.cities[i] ?? 0) & (1 << cityIndex)) === 0)
      )
        return false;
      if (
        filters.acceptingNewPatients !== undefined &&
        (index.accepting[i] === 1) !== filters.acceptingNewPatients
      )
        return false;
      if (
        insurance !== undefined &&
        (insuranceIndex < 0 || ((index.insurance[i] ?? 0) & (1 << insuranceIndex)) === 0)
      )
        return false;
      if (name !== undefined && !(index.first[i]?.includes(name) || index.last[i]?.includes(name)))
        return false;
      if (filters.npi !== undefined && index.npi[i] !== filters.npi) return false;
      return true;
    };
    return (i) => {
      const stored = this.overrides.get(i);
      if (stored) return matchesProvider(stored, filters, where);
      return i < generated && matchesGenerated(i);
    };
  }

  /** Built on the first filtered search: a few bytes per generated provider. */
  private searchIndex(): SearchIndex {
    if (this.index) return this.index;
    const n = this.generator.count;
    const index: SearchIndex = {
      specialties: new Uint32Array(n),
      cities: new Uint32Array(n),
      accepting: new Uint8Array(n),
      insurance: new Uint16Array(n),
      first: new Array<string>(n),
      last: new Array<string>(n),
      npi: new Array<string>(n),
    };
    for (let i = 0; i < n; i++) {
      const t: ProviderTraits = this.generator.traits(i);
      index.specialties[i] = t.specialties.reduce((mask, s) => mask | (1 << s), 0);
      index.cities[i] = t.cities.reduce((mask, c) => mask | (1 << c), 0);
      index.accepting[i] = t.accepting ? 1 : 0;
      index.insurance[i] = t.insuranceMask;
      index.first[i] = t.first.toLowerCase();
      index.last[i] = t.last.toLowerCase();
      index.npi[i] = t.npi;
    }
    this.index = index;
    return index;
  }
}

/** Thrown by admin operations on an id the sandbox does not know. */
export class UnknownProviderError extends Error {
  readonly code = 'SANDBOX_UNKNOWN_PROVIDER';
  constructor(id: string) {
    super(`No provider ${id} in the sandbox`);
    this.name = 'UnknownProviderError';
  }
}

function hasFilters(f: ProviderFilters): boolean {
  return (
    f.specialty !== undefined ||
    f.location !== undefined ||
    f.acceptingNewPatients !== undefined ||
    f.insurance !== undefined ||
    f.name !== undefined ||
    f.npi !== undefined
  );
}

function parseCityState(location: string): { city: string; state: string } {
  const comma = location.lastIndexOf(',');
  if (comma < 0) return { city: location.trim().toLowerCase(), state: '' };
  return {
    city: location.slice(0, comma).trim().toLowerCase(),
    state: location
      .slice(comma + 1)
      .trim()
      .toLowerCase(),
  };
}

function matchesProvider(
  p: Provider,
  f: ProviderFilters,
  where: { city: string; state: string } | undefined,
): boolean {
  if (
    f.specialty !== undefined &&
    !p.specialties.some((s) => s.toLowerCase() === f.specialty?.toLowerCase())
  )
    return false;
  if (
    where &&
    !(p.locations ?? []).some(
      (l) =>
        l.address.city.toLowerCase() === where.city &&
        l.address.state.toLowerCase() === where.state,
    )
  )
    return false;
  if (f.acceptingNewPatients !== undefined && p.accepting_new_patients !== f.acceptingNewPatients)
    return false;
  if (
    f.insurance !== undefined &&
    !(p.insurance_accepted ?? []).some((i) => i.toLowerCase() === f.insurance?.toLowerCase())
  )
    return false;
  const name = f.name?.toLowerCase();
  if (
    name !== undefined &&
    !p.name.first.toLowerCase().includes(name) &&
    !p.name.last.toLowerCase().includes(name)
  )
    return false;
  if (f.npi !== undefined && p.npi !== f.npi) return false;
  return true;
}
