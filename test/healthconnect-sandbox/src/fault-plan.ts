import { ConfigError } from '@pmsbridge/core';
import { createRandom, hashString, unit } from './seeded-random.js';

/** Routes faults can target; `*` applies to every route without its own entry. */
export type FaultRoute = 'token' | 'providers' | 'provider' | 'schedule' | 'changes' | '*';

/** Fault shares (0..1) for one route. */
export interface RouteFaults {
  error500?: number;
  error502?: number;
  error503?: number;
  rateLimit429?: number;
  /** Connection reset without a response. */
  reset?: number;
  /** Delay added to `slowRate` of the requests. */
  slowMs?: number;
  slowRate?: number;
  /** A 200 whose body is not valid JSON. */
  malformedJson?: number;
  /** A 200 whose body stops half way (the connection closes early). */
  truncated?: number;
}

/** Seeded, reproducible fault injection. */
export interface FaultSpec {
  seed?: number;
  routes?: Partial<Record<FaultRoute, RouteFaults>>;
  /** Share of providers served with an invalid record (npi "NOT-AN-NPI"). */
  invalidRecords?: number;
}

/** What to do with one request. */
export type FaultOutcome =
  | { kind: 'none' }
  | { kind: 'status'; status: 500 | 502 | 503 | 429 }
  | { kind: 'reset' }
  | { kind: 'malformedJson' }
  | { kind: 'truncated' };

/** The decision for one request: an outcome plus an optional delay. */
export interface FaultDecision {
  outcome: FaultOutcome;
  delayMs: number;
}

const SHORT_KEYS: Record<string, keyof RouteFaults> = {
  '500': 'error500',
  '502': 'error502',
  '503': 'error503',
  '429': 'rateLimit429',
  reset: 'reset',
  malformed: 'malformedJson',
  truncated: 'truncated',
  slowms: 'slowMs',
  slowrate: 'slowRate',
  error500: 'error500',
  error502: 'error502',
  error503: 'error503',
  ratelimit429: 'rateLimit429',
  malformedjson: 'malformedJson',
};
const ROUTES: readonly FaultRoute[] = [
  'token',
  'providers',
  'provider',
  'schedule',
  'changes',
  '*',
];

/**
 * Parses the CLI form of a {@link FaultSpec}:
 * `section;section;...` where a section is `ROUTE:KEY=VALUE,KEY=VALUE`, `invalidRecords=SHARE`
 * or `seed=N`. Keys: `500`, `502`, `503`, `429`, `reset`, `malformed`, `truncated`
 * (shares 0..1), `slow=MS@SHARE` (or `slowMs=`, `slowRate=`), and the long names of
 * {@link RouteFaults}. Example: `*:500=0.1,429=0.05,reset=0.02;schedule:slow=200@0.1;invalidRecords=0.01`.
 */
export function parseFaultSpec(text: string): FaultSpec {
  const spec: FaultSpec = {};
  const routes: Partial<Record<FaultRoute, RouteFaults>> = {};
  for (const raw of text.split(';')) {
    const section = raw.trim();
    if (!section) continue;
    const colon = section.indexOf(':');
    if (colon < 0) {
      const [key, value] = splitPair(section);
      if (key === 'invalidrecords') spec.invalidRecords = share(value, section);
      else if (key === 'seed') spec.seed = integer(value, section);
      else
        throw new ConfigError(
          `Unknown fault setting "${section}"; expected invalidRecords=SHARE or seed=N`,
        );
      continue;
    }
    const route = section.slice(0, colon).trim() as FaultRoute;
    if (!ROUTES.includes(route))
      throw new ConfigError(`Unknown fault route "${route}"; use one of ${ROUTES.join(', ')}`);
    const faults: RouteFaults = routes[route] ?? {};
    for (const pair of section.slice(colon + 1).split(',')) {
      if (!pair.trim()) continue;
      const [key, value] = splitPair(pair);
      if (key === 'slow') {
        const [ms = '', rate = '1'] = value.split('@');
        faults.slowMs = integer(ms, pair);
        faults.slowRate = share(rate, pair);
        continue;
      }
      const field = SHORT_KEYS[key];
      if (!field) throw new ConfigError(`Unknown fault "${pair.trim()}" for route ${route}`);
      faults[field] = field === 'slowMs' ? integer(value, pair) : share(value, pair);
    }
    routes[route] = faults;
  }
  if (Object.keys(routes).length > 0) spec.routes = routes;
  return spec;
}

function splitPair(pair: string): [string, string] {
  const eq = pair.indexOf('=');
  if (eq < 0) throw new ConfigError(`Expected KEY=VALUE in fault spec, got "${pair.trim()}"`);
  return [pair.slice(0, eq).trim().toLowerCase(), pair.slice(eq + 1).trim()];
}

function share(value: string, where: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0 || n > 1)
    throw new ConfigError(`Fault share must be 0..1 in "${where.trim()}"`);
  return n;
}

function integer(value: string, where: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0)
    throw new ConfigError(`Expected a non-negative integer in "${where.trim()}"`);
  return n;
}

/**
 * Draws faults per request from one seeded generator per route, so the same seed and
 * the same sequence of requests to a route give the same faults; decides which
 * providers are served corrupted from a hash of (seed, id), the same on every request.
 */
export class FaultPlan {
  private readonly randoms = new Map<FaultRoute, () => number>();
  private readonly seed: number;

  constructor(private readonly spec: FaultSpec) {
    this.seed = spec.seed ?? 1;
  }

  /** Whether any transport fault is configured for `route`. */
  private faultsFor(route: FaultRoute): RouteFaults | undefined {
    return this.spec.routes?.[route] ?? this.spec.routes?.['*'];
  }

  /** Decides the fault for the next request to `route`. */
  next(route: Exclude<FaultRoute, '*'>): FaultDecision {
    const faults = this.faultsFor(route);
    if (!faults) return { outcome: { kind: 'none' }, delayMs: 0 };
    let random = this.randoms.get(route);
    if (!random) {
      random = createRandom(this.seed ^ hashString(route));
      this.randoms.set(route, random);
    }
    // Always two draws per request, so one fault kind never shifts another's sequence.
    const u = random();
    const s = random();
    const delayMs = faults.slowMs && s < (faults.slowRate ?? 1) ? faults.slowMs : 0;
    const table: Array<[number | undefined, FaultOutcome]> = [
      [faults.error500, { kind: 'status', status: 500 }],
      [faults.error502, { kind: 'status', status: 502 }],
      [faults.error503, { kind: 'status', status: 503 }],
      [faults.rateLimit429, { kind: 'status', status: 429 }],
      [faults.reset, { kind: 'reset' }],
      [faults.malformedJson, { kind: 'malformedJson' }],
      [faults.truncated, { kind: 'truncated' }],
    ];
    let threshold = 0;
    for (const [p, outcome] of table) {
      threshold += p ?? 0;
      if (u < threshold) return { outcome, delayMs };
    }
    return { outcome: { kind: 'none' }, delayMs };
  }

  /** Whether provider `id` is served corrupted. The two fixed test providers never are. */
  isCorrupted(id: string): boolean {
    const share = this.spec.invalidRecords ?? 0;
    if (share <= 0 || id === 'PRV0000000001' || id === 'PRV0000000002') return false;
    return unit(this.seed, hashString(id), 0x1badd00d) < share;
  }
}
