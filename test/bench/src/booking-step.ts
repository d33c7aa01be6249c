#!/usr/bin/env node
// The booking API in its own process: availability queries (cold and warm cache) and bookings.
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { hashApiKey, loadConfig, newApiKey, openServeApp, silentLogger } from '@pmsbridge/core';

/** Input of the booking step (JSON in argv[2]). */
export interface BookingStepInput {
  workDir: string;
  source: { baseUrl: string; tokenUrl: string; clientId: string; clientSecret: string };
  fhirBaseUrl: string;
  queries: number;
  bookings: number;
  concurrency: number;
}

/** What the booking step prints. */
export interface BookingStepResult {
  coldQueries: number;
  coldMs: number;
  warmQueries: number;
  warmMs: number;
  bookings: number;
  bookingsMs: number;
  peakRssBytes: number;
}

const input = JSON.parse(process.argv[2] ?? '{}') as BookingStepInput;
await mkdir(input.workDir, { recursive: true });
const key = newApiKey();
const configPath = join(input.workDir, 'serve.yaml');
await writeFile(
  configPath,
  `pipeline: bench-booking
state: { path: state.sqlite }
source:
  use: '@pmsbridge/adapter-healthconnect'
  options:
    baseUrl: '${input.source.baseUrl}'
    tokenUrl: '${input.source.tokenUrl}'
    clientId: '${input.source.clientId}'
    clientSecret: '${input.source.clientSecret}'
    concurrency: 16
sinks:
  - use: '@pmsbridge/adapter-fhir'
    options: { baseUrl: '${input.fhirBaseUrl}' }
booking:
  use: '@pmsbridge/adapter-fhir/booking'
  options: { baseUrl: '${input.fhirBaseUrl}' }
serve:
  port: 0
  rateLimitPerMinute: 10000000
  apiKeys:
    - { id: bench, hash: '${hashApiKey(key)}', scopes: [read, book] }
`,
);
const app = await openServeApp(await loadConfig(configPath), { logger: silentLogger });

async function call(path: string, init: { body?: unknown; idempotencyKey?: string } = {}) {
  const response = await fetch(`${app.server.url}${path}`, {
    method: init.body === undefined ? 'GET' : 'POST',
    headers: {
      authorization: `Bearer ${key}`,
      'content-type': 'application/json',
      ...(init.idempotencyKey === undefined ? {} : { 'idempotency-key': init.idempotencyKey }),
    },
    ...(init.body === undefined ? {} : { body: JSON.stringify(init.body) }),
  });
  const body = (await response.json()) as Record<string, unknown>;
  if (response.status >= 300)
    throw new Error(`${path}: HTTP ${response.status} ${JSON.stringify(body)}`);
  return body;
}

/** Runs `work(i)` for i in [0, count) with `concurrency` in flight; resolves to the elapsed ms. */
async function timed(count: number, work: (i: number) => Promise<unknown>): Promise<number> {
  const started = performance.now();
  let next = 0;
  await Promise.all(
    Array.from({ length: input.concurrency }, async () => {
      while (next < count) await work(next++);
    }),
  );
  return performance.now() - started;
}

const day = (offset: number) =>
  new Date(Date.now() + offset * 86_400_000).toISOString().slice(0, 10);
const SPECIALTIES = ['cardiology', 'pediatrics', 'dermatology', 'family_medicine', 'orthopedics'];
const TIMES = ['morning', 'afternoon', 'evening'];
// Cold: every query asks for other criteria, so the directory's search cache never answers.
const coldMs = await timed(input.queries, (i) =>
  call(
    `/v1/availability?specialty=${SPECIALTIES[i % SPECIALTIES.length]}&timeOfDay=${TIMES[i % TIMES.length]}&providers=${1 + (i % 10)}&startDate=${day(0)}&endDate=${day(6)}`,
  ),
);
// Warm: one query again and again (its provider list cached; schedules are never cached).
const warmPath = `/v1/availability?specialty=cardiology&providers=10&startDate=${day(0)}&endDate=${day(6)}&perPage=100`;
await call(warmPath);
const warmMs = await timed(input.queries, () => call(warmPath));

// Bookings: distinct free slots, each booked once.
const found = (await call(
  `/v1/availability?providers=50&startDate=${day(0)}&endDate=${day(13)}&perPage=100`,
)) as {
  items: Array<{ provider: { id: string }; slot: { id: string } }>;
};
const slots = found.items.slice(0, input.bookings);
const bookingsMs = await timed(slots.length, (i) =>
  call('/v1/bookings', {
    idempotencyKey: `bench-${i}`,
    body: {
      providerId: slots[i]?.provider.id,
      slotId: slots[i]?.slot.id,
      patient: { firstName: 'Bench', lastName: 'Patient', birthDate: '1980-01-01' },
    },
  }),
);
await app.close();
const result: BookingStepResult = {
  coldQueries: input.queries,
  coldMs,
  warmQueries: input.queries,
  warmMs,
  bookings: slots.length,
  bookingsMs,
  peakRssBytes: process.resourceUsage().maxRSS * 1024,
};
process.stdout.write(`${JSON.stringify(result)}\n`);
