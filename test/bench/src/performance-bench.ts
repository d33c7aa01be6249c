/**
 * The performance targets, each measured in the same run as the figure it is
 * compared with and reported as `measured` beside its `target`:
 *
 * 1. latency-bound (every request 30 ms late): full sync → bulk NDJSON against the raw floor
 *    and against the integration guide's sequential pattern, and requests in flight while
 *    batches are written;
 * 2. CPU-bound (loopback): CPU per slot of the whole sync process, and the sync against the
 *    guide's pattern;
 * 3. memory: peak RSS of a full sync at several populations;
 * 4. rate-limited (the sandbox's `--rate-limit`): wall time against requests ÷ rate, and 429s;
 * 5. incremental into the bulk publication: time against the full sync, files in the manifest.
 *
 * The sandbox runs in its own process per scenario; every sync, floor and guide run is a
 * process of its own, timed whole (start-up included) by the parent, as `time` would.
 */
import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { GuidePatternInput, GuidePatternResult } from './guide-pattern-step.js';
import {
  changeProviders,
  runStep,
  startSandboxProcess,
  type SandboxProcessOptions,
} from './processes.js';
import type { RawFloorInput } from './raw-floor-step.js';
import type { SyncObservation, SyncStepInput, SyncStepResult } from './sync-step.js';

/** The scenarios {@link performanceScenarios} can run. */
export const PERFORMANCE_SCENARIOS = ['latency', 'cpu', 'memory', 'rate', 'incremental'] as const;
export type PerformanceScenarioName = (typeof PERFORMANCE_SCENARIOS)[number];

/** Settings of the performance scenarios. */
export interface PerformanceOptions {
  credentials: { clientId: string; clientSecret: string };
  horizonDays: number;
  /**
   * Requests in flight, in the sync (the HealthConnect source's `concurrency`) and in the raw
   * floor alike.
   */
  requestConcurrency: number;
  /** `sync.concurrency`, records in flight (examples/data-sync/sandbox-to-bulk.yaml: 16). */
  recordConcurrency: number;
  /** `sync.batchSize` (the example: 200). */
  batchSize: number;
  latencyProviders: number;
  /** Delay the sandbox adds to every request in the latency scenario. */
  latencyMs: number;
  cpuProviders: number;
  memoryProviders: readonly number[];
  rateLimitProviders: number;
  /** The sandbox's requests per second per client. */
  rateLimit: number;
  incrementalProviders: number;
  only: readonly PerformanceScenarioName[];
}

/** One line of the report: a figure measured against its target, with what explains it. */
export interface PerformanceScenario {
  name: string;
  providers: number;
  durationMs: number;
  measured: number;
  target: string;
  meetsTarget: boolean;
  [figure: string]: number | string | boolean;
}

const MB = 1024 * 1024;
const step = (name: string) => fileURLToPath(new URL(`./${name}.js`, import.meta.url));
const round = (value: number, digits = 2) => Math.round(value * 10 ** digits) / 10 ** digits;
const mb = (bytes: number) => round(bytes / MB, 1);

const COMPARISONS = {
  '≤': (measured: number, bound: number) => measured <= bound,
  '≥': (measured: number, bound: number) => measured >= bound,
  '<': (measured: number, bound: number) => measured < bound,
};

/** A figure against a bound: `≤ 1.3`, `≥ 10`, `< 0.01`. */
function judge(
  measured: number,
  comparison: keyof typeof COMPARISONS,
  bound: number,
): Pick<PerformanceScenario, 'measured' | 'target' | 'meetsTarget'> {
  return {
    measured: round(measured, 3),
    target: `${comparison} ${bound}`,
    meetsTarget: COMPARISONS[comparison](measured, bound),
  };
}

/** Runs a step in its own process and times the whole process. */
async function timed<T>(name: string, input: unknown): Promise<T & { processMs: number }> {
  const started = performance.now();
  const result = await runStep<T>(step(name), input);
  return { ...result, processMs: performance.now() - started };
}

type Source = SyncStepInput['source'];

async function withSandbox<T>(
  providers: number,
  options: PerformanceOptions,
  sandboxOptions: SandboxProcessOptions,
  run: (source: Source, origin: string) => Promise<T>,
): Promise<T> {
  const sandbox = await startSandboxProcess(providers, options.credentials, sandboxOptions);
  try {
    return await run(
      { baseUrl: sandbox.baseUrl, tokenUrl: sandbox.tokenUrl, ...options.credentials },
      sandbox.origin,
    );
  } finally {
    await sandbox.stop();
  }
}

/** A sync → bulk NDJSON with the example's settings; full and unobserved unless told. */
function syncToBulk(
  options: PerformanceOptions,
  source: Source,
  workDir: string,
  run: Partial<Pick<SyncStepInput, 'mode' | 'observe' | 'sourceRequestsPerSecond'>> = {},
) {
  const input: SyncStepInput = {
    workDir,
    mode: run.mode ?? 'full',
    sink: { target: 'bulk' },
    source,
    concurrency: options.recordConcurrency,
    sourceConcurrency: options.requestConcurrency,
    batchSize: options.batchSize,
    // As examples/data-sync/sandbox-to-bulk.yaml publishes.
    splitBy: 'provider-group',
    providerGroups: 1600,
    horizonDays: options.horizonDays,
    observe: run.observe ?? false,
    ...(run.sourceRequestsPerSecond === undefined
      ? {}
      : { sourceRequestsPerSecond: run.sourceRequestsPerSecond }),
  };
  return timed<SyncStepResult>('sync-step', input);
}

function rawFloor(
  options: PerformanceOptions,
  source: Source,
  concurrency = options.requestConcurrency,
) {
  const input: RawFloorInput = {
    ...source,
    concurrency,
    horizonDays: options.horizonDays,
    perPage: 100,
  };
  return timed<{ durationMs: number; requests: number; peakRssBytes: number }>(
    'raw-floor-step',
    input,
  );
}

function guidePattern(options: PerformanceOptions, source: Source, workDir: string) {
  const input: GuidePatternInput = {
    ...source,
    horizonDays: options.horizonDays,
    outputFile: join(workDir, 'guide-slots.jsonl'),
  };
  return timed<GuidePatternResult>('guide-pattern-step', input);
}

function slotsWritten(result: SyncStepResult): number {
  const slot = result.summary.sinks.out?.Slot;
  return (slot?.created ?? 0) + (slot?.updated ?? 0) + (slot?.unchanged ?? 0);
}

function cpuMicros(result: { cpuUserMicros: number; cpuSystemMicros: number }): number {
  return result.cpuUserMicros + result.cpuSystemMicros;
}

/** The figures every sync line carries. */
function syncFigures(result: SyncStepResult & { processMs: number }) {
  return {
    syncProcessMs: Math.round(result.processMs),
    syncRunMs: Math.round(result.durationMs),
    slots: slotsWritten(result),
    cpuUserS: round(result.cpuUserMicros / 1e6),
    cpuSystemS: round(result.cpuSystemMicros / 1e6),
    peakRssMB: mb(result.peakRssBytes),
    deadLettered: result.summary.deadLettered,
  };
}

/**
 * Requests in flight over time, from the start and end of every request: a step function.
 * `levels[i]` holds on `[times[i], times[i + 1])`.
 */
class InFlight {
  readonly times: number[] = [];
  readonly levels: number[] = [];

  constructor(observation: SyncObservation) {
    const events: Array<[number, number]> = [];
    observation.requestStartMs.forEach((start, i) => {
      events.push([start, 1]);
      const end = observation.requestEndMs[i] ?? -1;
      if (end >= 0) events.push([end, -1]);
    });
    events.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
    let level = 0;
    for (const [time, change] of events) {
      level += change;
      if (this.times.at(-1) === time) this.levels[this.levels.length - 1] = level;
      else {
        this.times.push(time);
        this.levels.push(level);
      }
    }
  }

  /** Time-weighted mean level on [from, to). */
  over(from: number, to: number): number {
    if (to <= from) return 0;
    let area = 0;
    let i = this.#indexAt(from);
    let at = from;
    while (at < to) {
      const level = i < 0 ? 0 : (this.levels[i] ?? 0);
      const next = Math.min(to, this.times[i + 1] ?? to);
      area += level * (next - at);
      at = next;
      i += 1;
    }
    return area / (to - from);
  }

  /** Index of the last change at or before `time` (-1 before the first). */
  #indexAt(time: number): number {
    let low = 0;
    let high = this.times.length - 1;
    let found = -1;
    while (low <= high) {
      const middle = (low + high) >> 1;
      if ((this.times[middle] ?? 0) <= time) {
        found = middle;
        low = middle + 1;
      } else high = middle - 1;
    }
    return found;
  }
}

/**
 * Whether fetching waits on writing: how many requests start per second while the engine
 * writes a batch and saves its checkpoint (write start → batch acknowledged), against the
 * rest of the steady state (first request to the last batch's write start). In flight counts
 * requests sent whose end was not yet seen, and a loop busy writing sees ends late: starts
 * are the honest signal.
 */
function inFlightFigures(observation: SyncObservation, limit: number, binMs: number) {
  const curve = new InFlight(observation);
  const starts = observation.requestStartMs;
  const first = starts[0] ?? 0;
  const lastWrite = observation.batchWriteStartMs.at(-1) ?? first;
  const steady = curve.over(first, lastWrite);
  let writingMs = 0;
  let writingArea = 0;
  let longestWriteMs = 0;
  let startsWhileWriting = 0;
  // The last batch is written once every request is done: it says nothing about overlap.
  for (const start of observation.batchWriteStartMs.slice(0, -1)) {
    const done = observation.batchDoneMs.find((at) => at >= start);
    if (done === undefined) continue;
    writingMs += done - start;
    writingArea += curve.over(start, done) * (done - start);
    longestWriteMs = Math.max(longestWriteMs, done - start);
    startsWhileWriting += starts.filter((at) => at >= start && at < done).length;
  }
  const steadyMs = lastWrite - first;
  const startsOtherwise = starts.filter((at) => at < lastWrite).length - startsWhileWriting;
  const ratePerSecond = (count: number, ms: number) => (ms > 0 ? count / (ms / 1000) : 0);
  const whileWriting = ratePerSecond(startsWhileWriting, writingMs);
  const otherwise = ratePerSecond(startsOtherwise, steadyMs - writingMs);
  const end = observation.requestEndMs.reduce((latest, at) => Math.max(latest, at), 0);
  const inFlight: number[] = [];
  const started: number[] = [];
  for (let at = 0; at < end; at += binMs) {
    inFlight.push(round(curve.over(at, at + binMs), 1));
    started.push(starts.filter((time) => time >= at && time < at + binMs).length);
  }
  return {
    ratio: otherwise > 0 ? whileWriting / otherwise : 0,
    figures: {
      requestLimit: limit,
      batches: observation.batchWriteStartMs.length,
      writingMs: Math.round(writingMs),
      steadyStateMs: Math.round(steadyMs),
      longestBatchWriteMs: Math.round(longestWriteMs),
      startedPerSecondWhileWriting: Math.round(whileWriting),
      startedPerSecondOtherwise: Math.round(otherwise),
      meanInFlight: round(steady),
      meanInFlightWhileWriting: round(writingMs > 0 ? writingArea / writingMs : 0),
      [`startedPer${binMs}ms`]: started.join(' '),
      [`inFlightPer${binMs}ms`]: inFlight.join(' '),
    },
  };
}

async function latencyScenarios(
  workRoot: string,
  options: PerformanceOptions,
): Promise<PerformanceScenario[]> {
  const providers = options.latencyProviders;
  const faults = `*:slow=${options.latencyMs}@1`;
  return withSandbox(providers, options, { faults }, async (source) => {
    const floor = await rawFloor(options, source);
    const sync = await syncToBulk(options, source, join(workRoot, 'latency'), { observe: true });
    const guide = await guidePattern(options, source, join(workRoot, 'latency'));
    // What the requests alone allow at twice the concurrency: how guide ÷ sync scales with it.
    const doubled = options.requestConcurrency * 2;
    const floorDoubled = await rawFloor(options, source, doubled);
    const where = `every request ${options.latencyMs} ms, ${providers} providers`;
    const common = {
      providers,
      requestConcurrency: options.requestConcurrency,
      recordConcurrency: options.recordConcurrency,
    };
    const scenarios: PerformanceScenario[] = [
      {
        name: `1 latency: full sync ÷ raw floor (${where})`,
        durationMs: Math.round(sync.processMs),
        ...judge(sync.processMs / floor.processMs, '≤', 1.3),
        ...common,
        ...syncFigures(sync),
        floorProcessMs: Math.round(floor.processMs),
        floorRequests: floor.requests,
        runOnlyRatio: round(sync.durationMs / floor.durationMs),
      },
      {
        name: `1 latency: guide's sequential pattern ÷ full sync (${where})`,
        durationMs: Math.round(guide.processMs),
        ...judge(guide.processMs / sync.processMs, '≥', 10),
        ...common,
        guideProcessMs: Math.round(guide.processMs),
        guideRequests: guide.requests,
        guideSlots: guide.slots,
        syncProcessMs: Math.round(sync.processMs),
        // The requests alone bound this ratio: guide ÷ floor is the best a sync can reach.
        guideToFloor: round(guide.processMs / floor.processMs),
        [`floorAt${doubled}ProcessMs`]: Math.round(floorDoubled.processMs),
        [`guideToFloorAt${doubled}`]: round(guide.processMs / floorDoubled.processMs),
      },
    ];
    if (sync.observation !== undefined) {
      const flight = inFlightFigures(sync.observation, options.requestConcurrency, 250);
      scenarios.push({
        name: `1 latency: requests started per second while a batch is written ÷ otherwise (${where})`,
        durationMs: Math.round(sync.durationMs),
        ...judge(flight.ratio, '≥', 0.9),
        ...common,
        ...flight.figures,
      });
    }
    return scenarios;
  });
}

async function cpuScenarios(
  workRoot: string,
  options: PerformanceOptions,
): Promise<PerformanceScenario[]> {
  const providers = options.cpuProviders;
  return withSandbox(providers, options, {}, async (source) => {
    const floor = await rawFloor(options, source);
    const sync = await syncToBulk(options, source, join(workRoot, 'cpu'));
    const guide = await guidePattern(options, source, join(workRoot, 'cpu'));
    const slots = slotsWritten(sync);
    return [
      {
        name: `2 cpu: CPU µs per slot, whole sync process (loopback, ${providers} providers)`,
        providers,
        durationMs: Math.round(sync.processMs),
        ...judge(cpuMicros(sync) / Math.max(1, slots), '≤', 5),
        ...syncFigures(sync),
        runCpuMicrosPerSlot: round(
          (sync.runCpuUserMicros + sync.runCpuSystemMicros) / Math.max(1, slots),
        ),
        systemShare: round(sync.cpuSystemMicros / cpuMicros(sync)),
        floorProcessMs: Math.round(floor.processMs),
        guideCpuMicrosPerSlot: round(cpuMicros(guide) / Math.max(1, guide.slots)),
      },
      {
        name: `2 cpu: full sync ÷ guide's sequential pattern, wall time (loopback, ${providers} providers)`,
        providers,
        durationMs: Math.round(sync.processMs),
        ...judge(sync.processMs / guide.processMs, '<', 1),
        syncProcessMs: Math.round(sync.processMs),
        guideProcessMs: Math.round(guide.processMs),
        guideSlots: guide.slots,
        guideCpuS: round(cpuMicros(guide) / 1e6),
        guidePeakRssMB: mb(guide.peakRssBytes),
      },
    ];
  });
}

async function memoryScenarios(
  workRoot: string,
  options: PerformanceOptions,
): Promise<PerformanceScenario[]> {
  const scenarios: PerformanceScenario[] = [];
  for (const providers of options.memoryProviders) {
    const workDir = join(workRoot, `memory-${providers}`);
    const sync = await withSandbox(providers, options, {}, (source) =>
      syncToBulk(options, source, workDir),
    );
    // A large population's publication takes gigabytes: gone before the next one.
    await rm(workDir, { recursive: true, force: true });
    scenarios.push({
      name: `3 memory: peak RSS MB of full sync → bulk (${providers} providers)`,
      providers,
      durationMs: Math.round(sync.processMs),
      ...judge(mb(sync.peakRssBytes), '≤', 200),
      ...syncFigures(sync),
    });
  }
  return scenarios;
}

async function rateScenarios(
  workRoot: string,
  options: PerformanceOptions,
): Promise<PerformanceScenario[]> {
  const providers = options.rateLimitProviders;
  const rate = options.rateLimit;
  const [sync, paced] = await withSandbox(
    providers,
    options,
    { rateLimit: rate },
    async (source) => {
      const unpaced = await syncToBulk(options, source, join(workRoot, 'rate'), {
        observe: true,
      });
      // The same sync told the rate (the source's requestsPerSecond): what pacing by config gives.
      const configured = await syncToBulk(options, source, join(workRoot, 'rate-paced'), {
        observe: true,
        sourceRequestsPerSecond: rate,
      });
      return [unpaced, configured] as const;
    },
  );
  const count = (result: SyncStepResult) => {
    const statuses = result.observation?.statuses ?? {};
    const sent = Object.values(statuses).reduce((sum, n) => sum + n, 0);
    return { statuses, sent, rejected: statuses['429'] ?? 0 };
  };
  const { statuses, sent, rejected } = count(sync);
  const needed = sent - rejected;
  const configured = count(paced);
  const pacedFigures = {
    pacedByConfigRatio: round(
      paced.processMs / (((configured.sent - configured.rejected) / rate) * 1000),
    ),
    pacedByConfig429: configured.rejected,
  };
  const where = `sandbox --rate-limit ${rate}, ${providers} providers`;
  const common = { providers, requestsSent: sent, requestsAnswered: needed, answered429: rejected };
  return [
    {
      name: `4 rate-limited: wall time ÷ (requests ÷ ${rate}/s) (${where})`,
      durationMs: Math.round(sync.processMs),
      ...judge(sync.processMs / ((needed / rate) * 1000), '≤', 1.1),
      ...common,
      idealMs: Math.round((needed / rate) * 1000),
      ...syncFigures(sync),
      ...pacedFigures,
    },
    {
      name: `4 rate-limited: 429 answers ÷ requests sent (${where})`,
      durationMs: Math.round(sync.processMs),
      ...judge(sent > 0 ? rejected / sent : 0, '<', 0.01),
      ...common,
      statuses: Object.entries(statuses)
        .map(([status, n]) => `${status}:${n}`)
        .join(' '),
      ...pacedFigures,
    },
  ];
}

/** Files the publication's `$bulk-publish` lists. */
async function manifestFiles(outputDir: string): Promise<number> {
  const text = await readFile(join(outputDir, '$bulk-publish'), 'utf8');
  return (JSON.parse(text) as { output: unknown[] }).output.length;
}

async function incrementalScenarios(
  workRoot: string,
  options: PerformanceOptions,
): Promise<PerformanceScenario[]> {
  const providers = options.incrementalProviders;
  const workDir = join(workRoot, 'incremental');
  return withSandbox(providers, options, {}, async (source, origin) => {
    const full = await syncToBulk(options, source, workDir);
    const filesAfterFull = await manifestFiles(join(workDir, 'bulk'));
    const changed = await changeProviders(origin, providers, 0.01);
    const incremental = await syncToBulk(options, source, workDir, { mode: 'incremental' });
    const files = await manifestFiles(join(workDir, 'bulk'));
    const where = `1 % changed, ${providers} providers`;
    return [
      {
        name: `5 incremental: incremental ÷ full sync, wall time (${where})`,
        providers,
        durationMs: Math.round(incremental.processMs),
        ...judge(incremental.processMs / full.processMs, '≤', 0.1),
        changedProviders: changed,
        fullProcessMs: Math.round(full.processMs),
        incrementalProcessMs: Math.round(incremental.processMs),
        incrementalRunMs: Math.round(incremental.durationMs),
        runOnlyRatio: round(incremental.durationMs / full.durationMs, 3),
        incrementalRead: incremental.summary.read,
        incrementalPeakRssMB: mb(incremental.peakRssBytes),
        fullPeakRssMB: mb(full.peakRssBytes),
      },
      {
        name: `5 incremental: files in the manifest after the incremental run (${where})`,
        providers,
        durationMs: Math.round(incremental.processMs),
        ...judge(files, '≤', 2000),
        filesAfterFullSync: filesAfterFull,
        splitBy: 'provider-group',
      },
    ];
  });
}

const RUNNERS: Record<
  PerformanceScenarioName,
  (workRoot: string, options: PerformanceOptions) => Promise<PerformanceScenario[]>
> = {
  latency: latencyScenarios,
  cpu: cpuScenarios,
  memory: memoryScenarios,
  rate: rateScenarios,
  incremental: incrementalScenarios,
};

/** Runs the chosen performance scenarios one after the other (each its own sandbox). */
export async function performanceScenarios(
  workRoot: string,
  options: PerformanceOptions,
): Promise<PerformanceScenario[]> {
  const scenarios: PerformanceScenario[] = [];
  for (const name of PERFORMANCE_SCENARIOS) {
    if (!options.only.includes(name)) continue;
    const dir = join(workRoot, `performance-${name}`);
    try {
      scenarios.push(...(await RUNNERS[name](dir, options)));
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }
  return scenarios;
}
