import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Location, Provider, ScheduleWindow, Slot, SlotSource } from '@pmsbridge/core';
import {
  ContentDiff,
  MemoryStateStore,
  silentLogger,
  type Clock,
  type StateStore,
} from '@pmsbridge/core';
import { makeProvider } from '@pmsbridge/core/testing';
import { columnsOf, fileNamesOf, CsvSinkOptionsSchema } from './options.js';
import { CsvSink } from './sink/csv-sink.js';

/** A temp directory removed by `cleanup`. */
export async function tempDir(): Promise<{ dir: string; cleanup: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'pmsbridge-csv-'));
  return { dir, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

/** A location whose name and address need quoting: comma, quote, line break, non-ASCII. */
export function awkwardLocation(n: number, patch: Partial<Location> = {}): Location {
  return {
    id: `LOC${n}`,
    name: `Clinic ${n}, "North" wing`,
    address: {
      lines: [`${n} Main St.`, 'Suite 5; 2nd floor'],
      city: 'São Paulo',
      state: 'IL',
      postalCode: '60601',
      country: 'US',
    },
    timezone: n % 2 === 0 ? 'America/Chicago' : 'America/New_York',
    phone: '+1 312 555 0100',
    position: { latitude: 41.88, longitude: -87.63 },
    ...patch,
  };
}

/** Provider `n` with one or two of the awkward locations. */
export function awkwardProvider(n: number, patch: Partial<Provider> = {}): Provider {
  return makeProvider(n, {
    name: { first: 'Zoë', last: `O'Neil, "Doc" ${n}`, title: 'MD' },
    specialties: ['cardiology', 'internal medicine'],
    languages: ['en', 'es'],
    insuranceAccepted: ['Acme Health'],
    phone: '+1 555 0100',
    locations: n % 3 === 0 ? [awkwardLocation(1), awkwardLocation(2)] : [awkwardLocation(1)],
    ...patch,
  });
}

/** A slot source answering `count` slots per provider on the window's first day. */
export function slotsPerProvider(
  count: number,
  patch: (slot: Slot, providerId: string) => Slot = (s) => s,
): SlotSource & { locationOf: Map<string, string> } {
  const locationOf = new Map<string, string>();
  return {
    locationOf,
    async getSchedule(providerId: string, window: ScheduleWindow): Promise<Slot[]> {
      return Array.from({ length: count }, (_, i) =>
        patch(
          {
            id: `${providerId}-S${i}`,
            date: window.startDate,
            time: `${String(9 + Math.floor(i / 2)).padStart(2, '0')}:${i % 2 === 0 ? '00' : '30'}`,
            durationMinutes: 30,
            available: i % 3 !== 0,
            locationId: locationOf.get(providerId) ?? 'LOC1',
            visitType: 'follow_up',
          },
          providerId,
        ),
      );
    },
  };
}

/** A CSV sink over `options` (parsed by the plugin's schema). */
export function csvSink(
  options: Record<string, unknown>,
  state: StateStore = new MemoryStateStore(),
  clock?: Clock,
  name = 'csv',
): CsvSink {
  const parsed = CsvSinkOptionsSchema.parse(options);
  const sinkClock = clock ?? { now: () => new Date() };
  return new CsvSink(
    {
      name,
      outputDir: parsed.outputDir,
      outputDirOption: 'sinks[0].options.outputDir',
      fileNames: fileNamesOf(parsed),
      columns: columnsOf(parsed),
      encoding: {
        delimiter: parsed.delimiter,
        lineEnding: parsed.lineEnding,
        escapeFormulas: parsed.escapeFormulas,
      },
      cell: { listSeparator: parsed.listSeparator },
      bom: parsed.bom,
      incremental: parsed.incremental,
    },
    new ContentDiff(state, `csv:${name}`, sinkClock),
    sinkClock,
    silentLogger,
  );
}

/** Every record of a CSV file, header first. */
export async function readTable(path: string): Promise<string[][]> {
  const { readCsvRecords } = await import('./transport/csv-file-reader.js');
  const rows: string[][] = [];
  for await (const record of readCsvRecords(path, path, { delimiter: ',' }))
    rows.push(record.cells);
  return rows;
}

/** A CSV source over the export in `dir` (options parsed by the plugin's schema). */
export async function csvSource(
  options: Record<string, unknown>,
  state: StateStore,
  clock: Clock,
  logger: import('@pmsbridge/core').Logger = silentLogger,
) {
  const { CsvSourceOptionsSchema } = await import('./options.js');
  const { CsvSource } = await import('./source/csv-source.js');
  const { ExportBaseline } = await import('./source/export-baseline.js');
  const parsed = CsvSourceOptionsSchema.parse(options);
  return new CsvSource(
    {
      layout: {
        dir: parsed.inputDir,
        fileNames: fileNamesOf(parsed),
        columns: columnsOf(parsed),
        delimiter: parsed.delimiter,
        cell: { listSeparator: parsed.listSeparator },
      },
      pageSize: parsed.pageSize,
    },
    { baseline: new ExportBaseline(state, 'csv-source:test'), clock, logger },
  );
}
