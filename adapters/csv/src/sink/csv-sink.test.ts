import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { MemoryStateStore, type Sink, type SyncRecord } from '@pmsbridge/core';
import { ManualClock, MemorySource, runPipeline } from '@pmsbridge/core/testing';
import {
  awkwardProvider,
  csvSink,
  readTable,
  slotsPerProvider,
  tempDir,
} from '../fixtures.test-helper.js';

let dir: string;
let cleanup: () => Promise<void>;

beforeEach(async () => {
  ({ dir, cleanup } = await tempDir());
});
afterEach(async () => {
  await cleanup();
});

const providers = () => [1, 2, 3, 4].map((n) => awkwardProvider(n));

describe('CsvSink full runs', () => {
  it('writes the four tables in the default layout, quoting what needs it', async () => {
    const clock = new ManualClock();
    const state = new MemoryStateStore();
    const run = await runPipeline({
      source: new MemorySource(providers()),
      slots: slotsPerProvider(3),
      sinks: [csvSink({ outputDir: dir }, state, clock)],
      state,
      clock,
      horizonDays: 1,
    });
    expect(run.summary).toMatchObject({ read: 4, written: 4, deadLettered: 0 });
    expect((await readdir(dir)).sort()).toEqual([
      'locations.csv',
      'provider_locations.csv',
      'providers.csv',
      'slots.csv',
    ]);
    const text = await readFile(join(dir, 'providers.csv'), 'utf8');
    expect(text.split('\r\n')[0]).toBe(
      'provider_id,npi,first_name,last_name,title,gender,specialties,accepting_new_patients,languages,insurance_accepted,phone,status,updated_at',
    );
    expect(text).toContain(`"O'Neil, ""Doc"" 1"`);
    const locations = await readTable(join(dir, 'locations.csv'));
    // Two distinct locations, each once, the address lines in one multi-line cell.
    expect(locations.map((row) => row[0])).toEqual(['location_id', 'LOC1', 'LOC2']);
    expect(locations[1]?.[2]).toBe('1 Main St.\nSuite 5; 2nd floor');
    expect(await readFile(join(dir, 'locations.csv'), 'utf8')).toContain(
      '"1 Main St.\nSuite 5; 2nd floor"',
    );
    const links = await readTable(join(dir, 'provider_locations.csv'));
    expect(links.slice(1)).toEqual([
      ['PRV0000000001', 'LOC1'],
      ['PRV0000000002', 'LOC1'],
      ['PRV0000000003', 'LOC1'],
      ['PRV0000000003', 'LOC2'],
      ['PRV0000000004', 'LOC1'],
    ]);
    const slots = await readTable(join(dir, 'slots.csv'));
    expect(slots).toHaveLength(1 + 4 * 3);
    expect(slots[1]).toEqual([
      'PRV0000000001-S0',
      'PRV0000000001',
      'LOC1',
      '2025-03-01',
      '09:00',
      '30',
      'false',
      'follow_up',
    ]);
  });

  it('writes a byte order mark and LF line ends when asked', async () => {
    await runPipeline({
      source: new MemorySource(providers().slice(0, 1)),
      sinks: [csvSink({ outputDir: dir, bom: true, lineEnding: 'lf' })],
    });
    const bytes = await readFile(join(dir, 'providers.csv'));
    expect([...bytes.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
    expect(bytes.toString('utf8')).not.toContain('\r\n');
  });

  it('reports a re-run over unchanged records as unchanged', async () => {
    const state = new MemoryStateStore();
    const options = { source: new MemorySource(providers()), state, slots: slotsPerProvider(2) };
    await runPipeline({ ...options, sinks: [csvSink({ outputDir: dir }, state)] });
    const again = await runPipeline({ ...options, sinks: [csvSink({ outputDir: dir }, state)] });
    expect(again.summary).toMatchObject({ written: 0, unchanged: 4 });
  });
});

/** A sink that fails on its `n`-th write, as a crash between batches would stop a run. */
function failingOn(n: number): Sink {
  let writes = 0;
  return {
    name: 'crash',
    async write(batch: readonly SyncRecord[]) {
      writes += 1;
      if (writes === n) throw new Error('power cut');
      return batch.map((record) => ({
        key: record.kind === 'provider' ? record.provider.id : record.providerId,
        ok: true,
      }));
    },
  };
}

describe('CsvSink checkpoints', () => {
  it('resumes an interrupted full run without duplicates or loss', async () => {
    const source = () => new MemorySource(providers(), 1);
    const slots = slotsPerProvider(3);
    const clean = await tempDir();
    try {
      await runPipeline({
        source: source(),
        slots,
        sinks: [csvSink({ outputDir: clean.dir })],
        batchSize: 1,
      });
      const state = new MemoryStateStore();
      const crashed = runPipeline({
        source: source(),
        slots,
        sinks: [csvSink({ outputDir: dir }, state), failingOn(3)],
        state,
        batchSize: 1,
      });
      await expect(crashed).rejects.toThrow('power cut');
      // Nothing is published by a run that did not complete.
      expect(await readdir(dir)).toEqual(['.pmsbridge-csv']);
      const resumed = await runPipeline({
        source: source(),
        slots,
        sinks: [csvSink({ outputDir: dir }, state)],
        state,
        batchSize: 1,
      });
      expect(resumed.summary.resumed).toBe(true);
      for (const file of [
        'providers.csv',
        'locations.csv',
        'provider_locations.csv',
        'slots.csv',
      ]) {
        expect(await readFile(join(dir, file), 'utf8')).toBe(
          await readFile(join(clean.dir, file), 'utf8'),
        );
      }
    } finally {
      await clean.cleanup();
    }
  });
});

describe('CsvSink incremental runs', () => {
  async function fullThenIncremental(sinkOptions: Record<string, unknown>) {
    const state = new MemoryStateStore();
    const clock = new ManualClock();
    const source = new MemorySource(providers());
    const slots = slotsPerProvider(3, (slot, providerId) =>
      providerId === 'PRV0000000002' && source.providers[1]?.phone === 'changed'
        ? { ...slot, available: !slot.available }
        : slot,
    );
    const sink = () => csvSink({ outputDir: dir, ...sinkOptions }, state, clock);
    await runPipeline({ source, slots, sinks: [sink()], state, clock });
    clock.advance(60_000);
    const changed = awkwardProvider(2, { phone: 'changed' });
    source.providers[1] = changed;
    const at = clock.now().toISOString();
    source.changeLog.push(
      { change: { type: 'updated', providerId: changed.id, changedAt: at, provider: changed }, at },
      { change: { type: 'deactivated', providerId: 'PRV0000000003', changedAt: at }, at },
    );
    clock.advance(60_000);
    const run = await runPipeline({
      source,
      slots,
      sinks: [sink()],
      state,
      clock,
      mode: 'incremental',
    });
    return run;
  }

  it('writes the snapshot again: changed providers rewritten, untouched ones carried, removed ones gone', async () => {
    const run = await fullThenIncremental({});
    expect(run.summary).toMatchObject({ mode: 'incremental', read: 2, written: 2 });
    const rows = await readTable(join(dir, 'providers.csv'));
    expect(rows.slice(1).map((row) => [row[0], row[10]])).toEqual([
      ['PRV0000000002', 'changed'],
      ['PRV0000000001', '+1 555 0100'],
      ['PRV0000000004', '+1 555 0100'],
    ]);
    const slots = await readTable(join(dir, 'slots.csv'));
    expect(slots.slice(1).map((row) => row[1])).toEqual([
      ...Array(3).fill('PRV0000000002'),
      ...Array(3).fill('PRV0000000001'),
      ...Array(3).fill('PRV0000000004'),
    ]);
    // LOC2 was only PRV0000000003's: it leaves with it.
    const locations = await readTable(join(dir, 'locations.csv'));
    expect(locations.slice(1).map((row) => row[0])).toEqual(['LOC1']);
    expect(await readdir(dir)).not.toContain('.pmsbridge-csv');
  });

  it('writes a change file set with upsert and delete rows when configured', async () => {
    const run = await fullThenIncremental({ incremental: 'changes' });
    expect(run.summary.written).toBe(2);
    const runs = await readdir(join(dir, 'changes'));
    expect(runs).toHaveLength(1);
    const changes = join(dir, 'changes', runs[0] ?? '');
    const providerRows = await readTable(join(changes, 'providers.csv'));
    expect(providerRows[0]?.[0]).toBe('action');
    expect(providerRows.slice(1).map((row) => [row[0], row[1]])).toEqual([
      ['upsert', 'PRV0000000002'],
      ['delete', 'PRV0000000003'],
    ]);
    const slotRows = await readTable(join(changes, 'slots.csv'));
    expect(slotRows.slice(1).map((row) => `${row[0]} ${row[1]}`)).toEqual([
      'upsert PRV0000000002-S0',
      'upsert PRV0000000002-S1',
      'upsert PRV0000000002-S2',
      'delete PRV0000000003-S0',
      'delete PRV0000000003-S1',
      'delete PRV0000000003-S2',
    ]);
    const links = await readTable(join(changes, 'provider_locations.csv'));
    expect(links.slice(1)).toEqual([
      ['delete', 'PRV0000000003', 'LOC1'],
      ['delete', 'PRV0000000003', 'LOC2'],
    ]);
    // The full run's snapshot stays as it was.
    expect((await readTable(join(dir, 'providers.csv'))).length).toBe(5);
  });
});
