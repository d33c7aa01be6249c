#!/usr/bin/env node
// Writes (phase "write") or reads (phase "read") a CSV export of `rows` slot rows in its own
// process: the wall time and peak RSS are the phase's own.
import { mkdir } from 'node:fs/promises';
import {
  ContentDiff,
  MemoryStateStore,
  silentLogger,
  systemClock,
  type Provider,
  type Slot,
} from '@pmsbridge/core';
import {
  CsvSink,
  CsvSinkOptionsSchema,
  CsvSource,
  CsvSourceOptionsSchema,
  ExportBaseline,
  columnsOf,
  fileNamesOf,
} from '@pmsbridge/adapter-csv';

/** Input of a CSV step (JSON in argv[2]). */
export interface CsvStepInput {
  phase: 'write' | 'read';
  dir: string;
  providers: number;
  slotsPerProvider: number;
}

/** What a CSV step prints. */
export interface CsvStepResult {
  phase: 'write' | 'read';
  rows: number;
  durationMs: number;
  peakRssBytes: number;
}

const input = JSON.parse(process.argv[2] ?? '{}') as CsvStepInput;
const START = '2026-01-05';

function provider(n: number): Provider {
  return {
    id: `PRV${String(n).padStart(10, '0')}`,
    npi: '1234567893',
    name: { first: 'Ada', last: `Doe ${n}`, title: 'MD' },
    specialties: ['cardiology'],
    acceptingNewPatients: true,
    status: 'active',
    updatedAt: '2026-01-01T00:00:00Z',
    locations: [
      {
        id: `LOC${n % 50}`,
        name: `Clinic ${n % 50}, North`,
        address: {
          lines: ['1 Main St'],
          city: 'Chicago',
          state: 'IL',
          postalCode: '60601',
          country: 'US',
        },
        timezone: 'America/Chicago',
      },
    ],
  };
}

function slots(p: Provider, count: number): Slot[] {
  const locationId = p.locations?.[0]?.id ?? '';
  return Array.from({ length: count }, (_, i) => {
    const day = Math.floor(i / 20);
    const minutes = 8 * 60 + (i % 20) * 30;
    return {
      id: `${p.id}-${i}`,
      date: new Date(Date.parse(`${START}T00:00:00Z`) + day * 86_400_000)
        .toISOString()
        .slice(0, 10),
      time: `${String(Math.floor(minutes / 60)).padStart(2, '0')}:${String(minutes % 60).padStart(2, '0')}`,
      durationMinutes: 30,
      available: i % 3 !== 0,
      locationId,
      visitType: 'follow_up',
    };
  });
}

async function write(): Promise<number> {
  await mkdir(input.dir, { recursive: true });
  const options = CsvSinkOptionsSchema.parse({ outputDir: input.dir });
  const state = new MemoryStateStore();
  const sink = new CsvSink(
    {
      name: 'bench',
      outputDir: input.dir,
      outputDirOption: 'outputDir',
      fileNames: fileNamesOf(options),
      columns: columnsOf(options),
      encoding: { delimiter: ',', lineEnding: 'crlf', escapeFormulas: false },
      cell: { listSeparator: ';' },
      bom: false,
      incremental: 'snapshot',
    },
    new ContentDiff(state, 'csv:bench', systemClock),
    systemClock,
    silentLogger,
  );
  const signal = new AbortController().signal;
  await sink.open({ dryRun: false, mode: 'full', signal });
  const window = { startDate: START, endDate: '2026-12-31' };
  let rows = 0;
  for (let first = 1; first <= input.providers; first += 10) {
    const batch = [];
    for (let n = first; n < first + 10 && n <= input.providers; n++) {
      const p = provider(n);
      const s = slots(p, input.slotsPerProvider);
      rows += s.length;
      batch.push({ kind: 'provider' as const, provider: p, window, slots: s });
    }
    await sink.write(batch, signal);
  }
  await sink.close({ completed: true });
  return rows;
}

async function read(): Promise<number> {
  const options = CsvSourceOptionsSchema.parse({ inputDir: input.dir });
  const source = new CsvSource(
    {
      layout: {
        dir: input.dir,
        fileNames: fileNamesOf(options),
        columns: columnsOf(options),
        delimiter: ',',
        cell: { listSeparator: ';' },
      },
      pageSize: 100,
    },
    {
      baseline: new ExportBaseline(new MemoryStateStore(), 'csv-source:bench'),
      clock: systemClock,
      logger: silentLogger,
    },
  );
  const window = { startDate: START, endDate: '2026-12-31' };
  let rows = 0;
  for await (const page of source.listProviders()) {
    for (const p of page.providers) rows += (await source.getSchedule(p.id, window)).length;
  }
  return rows;
}

const started = performance.now();
const rows = input.phase === 'write' ? await write() : await read();
const result: CsvStepResult = {
  phase: input.phase,
  rows,
  durationMs: performance.now() - started,
  peakRssBytes: process.resourceUsage().maxRSS * 1024,
};
process.stdout.write(`${JSON.stringify(result)}\n`);
