#!/usr/bin/env node
// One sync in its own process: its wall time and peak RSS are its own.
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { loadConfig, openSyncApp, silentLogger, type SyncSummary } from '@pmsbridge/core';

/** Input of a sync step (JSON in argv[2]). */
export interface SyncStepInput {
  workDir: string;
  mode: 'full' | 'incremental';
  sink: { target: 'bulk' } | { target: 'server'; baseUrl: string };
  source: { baseUrl: string; tokenUrl: string; clientId: string; clientSecret: string };
  concurrency: number;
  horizonDays: number;
}

/** What a sync step prints. */
export interface SyncStepResult {
  durationMs: number;
  peakRssBytes: number;
  summary: SyncSummary;
}

const input = JSON.parse(process.argv[2] ?? '{}') as SyncStepInput;
await mkdir(input.workDir, { recursive: true });
const sink =
  input.sink.target === 'bulk'
    ? `{ use: '@pmsbridge/adapter-smart-scheduling-links', name: out, options: { outputDir: bulk, splitBy: state, baseUrl: 'http://localhost:8080' } }`
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
    concurrency: ${input.concurrency}
sinks:
  - ${sink}
sync: { horizonDays: ${input.horizonDays}, concurrency: ${input.concurrency}, batchSize: 50 }
`,
);
const app = await openSyncApp(await loadConfig(configPath), { logger: silentLogger });
const started = performance.now();
try {
  const summary = await app.engine.run({ ...app.syncOptions, mode: input.mode });
  const result: SyncStepResult = {
    durationMs: performance.now() - started,
    peakRssBytes: process.resourceUsage().maxRSS * 1024,
    summary,
  };
  process.stdout.write(`${JSON.stringify(result)}\n`);
} finally {
  await app.close();
}
