#!/usr/bin/env node
/**
 * `npm run bench`: full sync, FHIR sync, raw floor, incremental and memory scenarios, the
 * HL7 v2 sink over MLLP and into files, the CSV sink and source over 1 000 000 slot rows, the
 * PostgreSQL state store's checkpoint and content-hash throughput against SQLite's, a
 * distributed full sync with one worker and with two (worker-bench.ts), and the performance
 * targets (performance-bench.ts), each measured beside its target.
 * JSON on stdout, a readable table on stderr. The sandbox (and the FHIR server) run in
 * their own processes; each sync runs in its own process so its peak RSS is its own.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { HealthConnectOptionsSchema } from '@pmsbridge/adapter-healthconnect';
import { bookingScenarios } from './booking-bench.js';
import { csvScenarios } from './csv-bench.js';
import { hl7Scenarios } from './hl7-bench.js';
import {
  changeProviders,
  runStep,
  startFhirServerProcess,
  startSandboxProcess,
} from './processes.js';
import {
  PERFORMANCE_SCENARIOS,
  performanceScenarios,
  type PerformanceOptions,
  type PerformanceScenarioName,
} from './performance-bench.js';
import { stateScenarios } from './state-bench.js';
import { workerScenarios } from './worker-bench.js';
import type { SyncStepInput, SyncStepResult } from './sync-step.js';

const { values } = parseArgs({
  options: {
    providers: { type: 'string', default: '10000' },
    'large-providers': { type: 'string', default: '50000' },
    'fhir-providers': { type: 'string', default: '1000' },
    days: { type: 'string', default: '14' },
    concurrency: { type: 'string', default: '16' },
    'skip-large': { type: 'boolean', default: false },
    'skip-fhir': { type: 'boolean', default: false },
    'hl7-providers': { type: 'string', default: '2000' },
    'skip-hl7': { type: 'boolean', default: false },
    'skip-csv': { type: 'boolean', default: false },
    'skip-booking': { type: 'boolean', default: false },
    'skip-state': { type: 'boolean', default: false },
    'skip-workers': { type: 'boolean', default: false },
    'skip-performance': { type: 'boolean', default: false },
    'only-performance': { type: 'boolean', default: false },
    'performance-scenarios': { type: 'string', default: PERFORMANCE_SCENARIOS.join(',') },
  },
});
const providers = Number(values.providers);
const largeProviders = Number(values['large-providers']);
const fhirProviders = Number(values['fhir-providers']);
const hl7Providers = Number(values['hl7-providers']);
const horizonDays = Number(values.days);
const concurrency = Number(values.concurrency);
const onlyPerformance = values['only-performance'];
const chosenPerformance = values['performance-scenarios'].split(',').map((name) => name.trim());
for (const name of chosenPerformance) {
  if (!(PERFORMANCE_SCENARIOS as readonly string[]).includes(name))
    throw new Error(
      `--performance-scenarios: unknown "${name}"; use ${PERFORMANCE_SCENARIOS.join(',')}`,
    );
}
const credentials = { clientId: 'bench', clientSecret: randomBytes(12).toString('hex') };
const step = (name: string) => fileURLToPath(new URL(`./${name}.js`, import.meta.url));
const mb = (bytes: number) => Math.round((bytes / 1024 / 1024) * 10) / 10;

interface Scenario {
  name: string;
  providers: number;
  durationMs: number;
  [figure: string]: number | string | boolean;
}

function syncFigures(name: string, count: number, result: SyncStepResult): Scenario {
  const sink = result.summary.sinks.out ?? {};
  const slots = (sink.Slot?.created ?? 0) + (sink.Slot?.updated ?? 0) + (sink.Slot?.unchanged ?? 0);
  const seconds = result.durationMs / 1000;
  return {
    name,
    providers: count,
    durationMs: Math.round(result.durationMs),
    recordsRead: result.summary.read,
    slots,
    providersPerSecond: Math.round(result.summary.read / seconds),
    slotsPerSecond: Math.round(slots / seconds),
    peakRssMB: mb(result.peakRssBytes),
    deadLettered: result.summary.deadLettered,
  };
}

async function withSandbox<T>(
  count: number,
  run: (source: SyncStepInput['source'], origin: string) => Promise<T>,
): Promise<T> {
  const sandbox = await startSandboxProcess(count, credentials);
  try {
    return await run(
      { baseUrl: sandbox.baseUrl, tokenUrl: sandbox.tokenUrl, ...credentials },
      sandbox.origin,
    );
  } finally {
    await sandbox.stop();
  }
}

async function sync(
  input: Omit<SyncStepInput, 'concurrency' | 'horizonDays'>,
): Promise<SyncStepResult> {
  return runStep<SyncStepResult>(step('sync-step'), { ...input, concurrency, horizonDays });
}

/** The performance targets (performance-bench.ts). */
const performanceSettings: PerformanceOptions = {
  credentials,
  horizonDays,
  // The HealthConnect source's default: requests in flight, in the sync and the floor.
  requestConcurrency: HealthConnectOptionsSchema.parse({}).concurrency,
  // examples/data-sync/sandbox-to-bulk.yaml, the configuration the targets are set for.
  recordConcurrency: 16,
  batchSize: 200,
  latencyProviders: 1000,
  latencyMs: 30,
  cpuProviders: 5000,
  memoryProviders: values['skip-large'] ? [1000, 10_000] : [1000, 10_000, largeProviders],
  rateLimitProviders: 1500,
  rateLimit: 50,
  incrementalProviders: 10_000,
  only: chosenPerformance as PerformanceScenarioName[],
};

const workRoot = await mkdtemp(join(tmpdir(), 'pmsbridge-bench-'));
const scenarios: Scenario[] = [];
try {
  if (!onlyPerformance)
    await withSandbox(providers, async (source, origin) => {
      const full = await sync({
        workDir: join(workRoot, 'bulk'),
        mode: 'full',
        sink: { target: 'bulk' },
        source,
      });
      scenarios.push(syncFigures('full sync → bulk NDJSON', providers, full));

      const floor = await runStep<{ durationMs: number; requests: number; peakRssBytes: number }>(
        step('raw-floor-step'),
        {
          ...source,
          concurrency,
          horizonDays,
          perPage: 100,
        },
      );
      scenarios.push({
        name: 'raw floor (same requests, bodies discarded)',
        providers,
        durationMs: Math.round(floor.durationMs),
        requests: floor.requests,
        requestsPerSecond: Math.round(floor.requests / (floor.durationMs / 1000)),
        peakRssMB: mb(floor.peakRssBytes),
        fullSyncToFloorRatio: Math.round((full.durationMs / floor.durationMs) * 100) / 100,
      });

      const changed = await changeProviders(origin, providers, 0.01);
      const incremental = await sync({
        workDir: join(workRoot, 'bulk'),
        mode: 'incremental',
        sink: { target: 'bulk' },
        source,
      });
      scenarios.push({
        ...syncFigures('incremental sync after 1 % changed → bulk', providers, incremental),
        changedProviders: changed,
        fractionOfFullSync: Math.round((incremental.durationMs / full.durationMs) * 1000) / 1000,
      });
    });

  if (!onlyPerformance && !values['skip-fhir']) {
    await withSandbox(fhirProviders, async (source, origin) => {
      const fhir = await startFhirServerProcess();
      try {
        const sink = { target: 'server', baseUrl: fhir.baseUrl } as const;
        const workDir = join(workRoot, 'fhir');
        const full = await sync({ workDir, mode: 'full', sink, source });
        scenarios.push(syncFigures('full sync → test FHIR server', fhirProviders, full));
        const changed = await changeProviders(origin, fhirProviders, 0.01);
        const incremental = await sync({ workDir, mode: 'incremental', sink, source });
        scenarios.push({
          ...syncFigures(
            'incremental sync after 1 % changed → test FHIR server',
            fhirProviders,
            incremental,
          ),
          changedProviders: changed,
          fractionOfFullSync: Math.round((incremental.durationMs / full.durationMs) * 1000) / 1000,
        });
      } finally {
        await fhir.stop();
      }
    });
  }

  if (!onlyPerformance && !values['skip-hl7'])
    scenarios.push(...(await hl7Scenarios(workRoot, hl7Providers)));
  if (!onlyPerformance && !values['skip-csv']) scenarios.push(...(await csvScenarios(workRoot)));
  if (!onlyPerformance && !values['skip-booking'])
    scenarios.push(...(await bookingScenarios(workRoot)));
  if (!onlyPerformance && !values['skip-state'])
    scenarios.push(...(await stateScenarios(workRoot)));
  if (!onlyPerformance && !values['skip-workers'])
    scenarios.push(...(await workerScenarios(workRoot)));

  if (!onlyPerformance && !values['skip-large']) {
    await withSandbox(largeProviders, async (source) => {
      const large = await sync({
        workDir: join(workRoot, 'large'),
        mode: 'full',
        sink: { target: 'bulk' },
        source,
      });
      const base = scenarios[0];
      scenarios.push({
        ...syncFigures('full sync → bulk NDJSON, large population', largeProviders, large),
        rssRatioToBase:
          typeof base?.peakRssMB === 'number'
            ? Math.round((mb(large.peakRssBytes) / base.peakRssMB) * 100) / 100
            : 'n/a',
      });
    });
  }

  if (!values['skip-performance']) {
    scenarios.push(...(await performanceScenarios(workRoot, performanceSettings)));
  }
} finally {
  await rm(workRoot, { recursive: true, force: true });
}

const report = {
  date: new Date().toISOString(),
  node: process.version,
  cpus: (await import('node:os')).cpus().length,
  settings: {
    providers,
    largeProviders,
    fhirProviders,
    hl7Providers,
    horizonDays,
    concurrency,
    ...(values['skip-performance']
      ? {}
      : { performance: { ...performanceSettings, credentials: undefined } }),
  },
  scenarios,
};
process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
for (const scenario of scenarios) {
  const { name, ...figures } = scenario;
  process.stderr.write(`\n${name}\n`);
  for (const [key, value] of Object.entries(figures))
    process.stderr.write(`  ${key.padEnd(24)} ${value}\n`);
}
const targets = scenarios.filter((scenario) => typeof scenario.target === 'string');
if (targets.length > 0) {
  process.stderr.write('\nmeasured   target     met  scenario\n');
  for (const { name, measured, target, meetsTarget } of targets)
    process.stderr.write(
      `${String(measured).padEnd(10)} ${String(target).padEnd(10)} ${meetsTarget ? 'yes' : 'no '}  ${name}\n`,
    );
}
