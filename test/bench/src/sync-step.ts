#!/usr/bin/env node
// One sync in its own process: its wall time and peak RSS are its own.
import { subscribe } from 'node:diagnostics_channel';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { loadConfig, openSyncApp, silentLogger, type SyncSummary } from '@pmsbridge/core';

/** Input of a sync step (JSON in argv[2]). */
export interface SyncStepInput {
  workDir: string;
  mode: 'full' | 'incremental';
  sink: { target: 'bulk' } | { target: 'server'; baseUrl: string };
  source: { baseUrl: string; tokenUrl: string; clientId: string; clientSecret: string };
  /** `sync.concurrency` (records in flight); also the source's unless `sourceConcurrency` is set. */
  concurrency: number;
  horizonDays: number;
  /** The HealthConnect client's `concurrency` (requests in flight); default `concurrency`. */
  sourceConcurrency?: number;
  /** The HealthConnect client's `requestsPerSecond` (client-side pacing); none by default. */
  sourceRequestsPerSecond?: number;
  /** `sync.batchSize`; default 50. */
  batchSize?: number;
  /** The bulk sink's `splitBy`; default `state`. */
  splitBy?: 'none' | 'state' | 'week' | 'state-week' | 'provider-group';
  /** The bulk sink's `providerGroups`, with `splitBy: provider-group`. */
  providerGroups?: number;
  /** Record every HTTP request's start and end, and every batch's write, for timelines. */
  observe?: boolean;
}

/** Times (ms since the run started) of what `observe` records. */
export interface SyncObservation {
  /** Start and end of each HTTP request, in the order they started (end -1: never ended). */
  requestStartMs: number[];
  requestEndMs: number[];
  /** Responses per HTTP status (`error` for requests that got none). */
  statuses: Record<string, number>;
  /** Per batch: when the first sink's write began, and when the batch was acknowledged (checkpoint saved). */
  batchWriteStartMs: number[];
  batchDoneMs: number[];
}

/** What a sync step prints. */
export interface SyncStepResult {
  durationMs: number;
  peakRssBytes: number;
  summary: SyncSummary;
  /** CPU time of the whole process (start-up included) when the step ended, in µs. */
  cpuUserMicros: number;
  cpuSystemMicros: number;
  /** CPU time of the run alone (`engine.run`), in µs. */
  runCpuUserMicros: number;
  runCpuSystemMicros: number;
  observation?: SyncObservation;
}

/** Records request starts/ends and statuses through undici's diagnostics channels. */
function observeRequests(observation: SyncObservation, since: () => number): void {
  const index = new WeakMap<object, number>();
  subscribe('undici:request:create', (message) => {
    const { request } = message as { request: object };
    index.set(request, observation.requestStartMs.length);
    observation.requestStartMs.push(since());
    observation.requestEndMs.push(-1);
  });
  const end = (request: object): void => {
    const at = index.get(request);
    if (at !== undefined && observation.requestEndMs[at] === -1)
      observation.requestEndMs[at] = since();
  };
  subscribe('undici:request:headers', (message) => {
    const status = String((message as { response: { statusCode: number } }).response.statusCode);
    observation.statuses[status] = (observation.statuses[status] ?? 0) + 1;
  });
  subscribe('undici:request:trailers', (message) => end((message as { request: object }).request));
  subscribe('undici:request:error', (message) => {
    const { request } = message as { request: object };
    observation.statuses.error = (observation.statuses.error ?? 0) + 1;
    end(request);
  });
}

const input = JSON.parse(process.argv[2] ?? '{}') as SyncStepInput;
await mkdir(input.workDir, { recursive: true });
const sink =
  input.sink.target === 'bulk'
    ? `{ use: '@pmsbridge/adapter-smart-scheduling-links', name: out, options: { outputDir: bulk, splitBy: ${input.splitBy ?? 'state'},${input.providerGroups === undefined ? '' : ` providerGroups: ${input.providerGroups},`} baseUrl: 'http://localhost:8080' } }`
    : `{ use: '@pmsbridge/adapter-fhir', name: out, options: { baseUrl: '${input.sink.baseUrl}' } }`;
const configPath = join(input.workDir, 'pipeline.yaml');
await writeFile(
  configPath,
  `pipeline: bench
state: { path: state.sqlite }
source:
  use: '@pmsbridge/adapter-healthconnect'
  options:
    baseUrl: '${input.source.baseUrl}'
    tokenUrl: '${input.source.tokenUrl}'
    clientId: '${input.source.clientId}'
    clientSecret: '${input.source.clientSecret}'
    concurrency: ${input.sourceConcurrency ?? input.concurrency}${input.sourceRequestsPerSecond === undefined ? '' : `\n    requestsPerSecond: ${input.sourceRequestsPerSecond}`}
sinks:
  - ${sink}
sync: { horizonDays: ${input.horizonDays}, concurrency: ${input.concurrency}, batchSize: ${input.batchSize ?? 50} }
`,
);
const app = await openSyncApp(await loadConfig(configPath), { logger: silentLogger });
let observation: SyncObservation | undefined;
let onProgress: (() => void) | undefined;
const started = performance.now();
if (input.observe === true) {
  const seen: SyncObservation = {
    requestStartMs: [],
    requestEndMs: [],
    statuses: {},
    batchWriteStartMs: [],
    batchDoneMs: [],
  };
  const since = () => performance.now() - started;
  observeRequests(seen, since);
  // Only the first sink's write marks a batch's start (the pipelines here have one sink).
  const first = app.pipeline.sinks[0];
  if (first !== undefined) {
    const write = first.write.bind(first);
    first.write = (records, signal) => {
      seen.batchWriteStartMs.push(since());
      return write(records, signal);
    };
  }
  onProgress = () => seen.batchDoneMs.push(since());
  observation = seen;
}
const cpuBefore = process.cpuUsage();
try {
  const summary = await app.engine.run({
    ...app.syncOptions,
    mode: input.mode,
    ...(onProgress === undefined ? {} : { onProgress }),
  });
  const durationMs = performance.now() - started;
  const cpu = process.cpuUsage();
  const result: SyncStepResult = {
    durationMs,
    peakRssBytes: process.resourceUsage().maxRSS * 1024,
    summary,
    cpuUserMicros: cpu.user,
    cpuSystemMicros: cpu.system,
    runCpuUserMicros: cpu.user - cpuBefore.user,
    runCpuSystemMicros: cpu.system - cpuBefore.system,
    ...(observation === undefined ? {} : { observation }),
  };
  process.stdout.write(`${JSON.stringify(result)}\n`);
} finally {
  await app.close();
}
