import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { MemoryStateStore, recordKey } from '@pmsbridge/core';
import { ManualClock, RecordingLogger, runPipeline } from '@pmsbridge/core/testing';
import { csvSource, tempDir } from '../fixtures.test-helper.js';

let dir: string;
let cleanup: () => Promise<void>;

beforeEach(async () => {
  ({ dir, cleanup } = await tempDir());
});
afterEach(async () => {
  await cleanup();
});

const CRLF = (lines: string[]) => lines.join('\r\n') + '\r\n';
const LF = (lines: string[]) => lines.join('\n') + '\n';

/** An export with every awkward case the source must take in its stride. */
async function writeAwkwardExport(slotRows?: string[]): Promise<void> {
  await writeFile(
    join(dir, 'providers.csv'),
    '\uFEFF' +
      CRLF([
        // Optional columns missing, an unknown column, a trailing separator.
        'provider_id,npi,first_name,last_name,specialties,accepting_new_patients,status,updated_at,favourite_colour,',
        `P1,1234567893,Zoë,"O'Neil, ""Doc""",cardiology;pediatrics,yes,active,2025-01-01T00:00:00Z,blue,`,
        '',
        'P2,1234567893,Ada,Lovelace,,false,active,2025-01-01T00:00:00Z,,',
        'P3,12345,Bad,Npi,,true,active,2025-01-01T00:00:00Z,,',
        'P4,1234567893,Tom,Thumb,,true,active,2025-01-01T00:00:00Z,,',
      ]),
  );
  await writeFile(
    join(dir, 'locations.csv'),
    LF([
      'location_id,name,address_lines,city,state,postal_code,country,timezone',
      'L1,"Clinic, ""North""","1 Main St.\r\nSuite 5",Chicago,IL,60601,US,America/Chicago',
      'L2,Annex,,Chicago,IL,60601,US,America/Chicago',
    ]),
  );
  await writeFile(
    join(dir, 'provider_locations.csv'),
    CRLF(['provider_id,location_id', 'P1,L1', 'P2,L1', 'P2,L2', 'P3,L1', 'P4,L2']),
  );
  await writeFile(
    join(dir, 'slots.csv'),
    CRLF(
      slotRows ?? [
        'slot_id,provider_id,location_id,date,time,duration_minutes,available,visit_type',
        'S1,P1,L1,2025-03-02,09:00,30,true,new_patient',
        'S2,P1,L1,2025-03-02,09:30,30,false,follow_up',
        'S3,P1,L1,2025-03-02,25:00,30,true,follow_up',
        'S4,P2,L2,2025-03-03,10:00,45,true,telehealth',
        'S5,P2,L9,2025-03-03,10:00,45,true,telehealth',
        'S7,P3,L1,2025-03-03,10:00,45,true,telehealth',
        'S6,P4,L2,2025-04-30,10:00,45,true,telehealth',
      ],
    ),
  );
}

const WINDOW = { startDate: '2025-03-01', endDate: '2025-03-14' };

describe('CsvSource reading an awkward export', () => {
  it('reads the valid rows and reports each bad one with its file, line and reason', async () => {
    await writeAwkwardExport();
    const logger = new RecordingLogger();
    const source = await csvSource(
      { inputDir: dir },
      new MemoryStateStore(),
      new ManualClock(),
      logger,
    );
    const pages = [];
    for await (const page of source.listProviders()) pages.push(page);
    const providers = pages.flatMap((page) => page.providers);
    expect(providers.map((p) => p.id)).toEqual(['P1', 'P2', 'P4']);
    expect(providers[0]).toMatchObject({
      name: { first: 'Zoë', last: `O'Neil, "Doc"` },
      specialties: ['cardiology', 'pediatrics'],
      acceptingNewPatients: true,
      locations: [
        {
          id: 'L1',
          name: 'Clinic, "North"',
          address: { lines: ['1 Main St.', 'Suite 5'], city: 'Chicago' },
        },
      ],
    });
    expect(providers[0]).not.toHaveProperty('languages');
    const invalid = pages.flatMap((page) => page.invalid);
    expect(invalid.map((record) => [record.key, record.error.message])).toEqual([
      ['providers.csv line 5', 'providers.csv line 5: column npi: expected 10 digits'],
      ['slots.csv line 4', 'slots.csv line 4: column time: expected HH:MM'],
      [
        'slots.csv line 6',
        "slots.csv line 6: location_id is not one of the provider's locations in provider_locations.csv",
      ],
    ]);
    // Where the row is, never its content.
    expect(invalid[0]?.raw).toEqual({ file: 'providers.csv', line: 5, id: 'P3' });
    expect(source.isProviderId('slots.csv line 4')).toBe(false);
    expect(source.isProviderId('P1')).toBe(true);
    const warnings = logger.lines.filter((line) => line.level === 'warn');
    expect(warnings).toEqual([
      expect.objectContaining({
        message: 'csv columns not in the column map are ignored',
        fields: expect.objectContaining({ file: 'providers.csv', columns: ['favourite_colour'] }),
      }),
    ]);
  });

  it("answers a provider's slots in the window from the slots file", async () => {
    await writeAwkwardExport();
    const source = await csvSource({ inputDir: dir }, new MemoryStateStore(), new ManualClock());
    for await (const _ of source.listProviders());
    expect((await source.getSchedule('P1', WINDOW)).map((s) => s.id)).toEqual(['S1', 'S2']);
    expect(await source.getSchedule('P2', WINDOW)).toEqual([
      {
        id: 'S4',
        date: '2025-03-03',
        time: '10:00',
        durationMinutes: 45,
        available: true,
        locationId: 'L2',
        visitType: 'telehealth',
      },
    ]);
    expect(await source.getSchedule('P4', WINDOW)).toEqual([]);
  });

  it('refuses a slots file whose providers are not grouped, naming the line', async () => {
    await writeAwkwardExport([
      'slot_id,provider_id,location_id,date,time,duration_minutes,available,visit_type',
      'S1,P1,L1,2025-03-02,09:00,30,true,new_patient',
      'S4,P2,L2,2025-03-03,10:00,45,true,telehealth',
      'S2,P1,L1,2025-03-02,09:30,30,false,follow_up',
    ]);
    const source = await csvSource({ inputDir: dir }, new MemoryStateStore(), new ManualClock());
    await expect(source.getProvider('P1')).rejects.toThrow(
      'slots.csv line 4: the slots of provider P1 are not together (they also come earlier, from line 2); export slots.csv sorted or grouped by provider_id',
    );
  });

  it('names the missing column of a file that lacks a required one', async () => {
    await writeAwkwardExport();
    await writeFile(join(dir, 'provider_locations.csv'), 'provider,location_id\r\nP1,L1\r\n');
    const source = await csvSource({ inputDir: dir }, new MemoryStateStore(), new ManualClock());
    await expect(source.getProvider('P1')).rejects.toThrow(
      'provider_locations.csv: no column for provider_id',
    );
  });

  it('reports a quoted field that never closes as a malformed file, with its line', async () => {
    await writeAwkwardExport();
    await writeFile(
      join(dir, 'locations.csv'),
      'location_id,name,address_lines,city,state,postal_code,country,timezone\nL1,"Open,x,Chicago,IL,60601,US,America/Chicago\n',
    );
    const source = await csvSource({ inputDir: dir }, new MemoryStateStore(), new ManualClock());
    await expect(source.getProvider('P1')).rejects.toThrow(
      /^locations.csv line \d+: malformed CSV/,
    );
  });
});

describe('CsvSource changes between exports', () => {
  const HEADER = 'slot_id,provider_id,location_id,date,time,duration_minutes,available,visit_type';

  async function run(
    state: MemoryStateStore,
    clock: ManualClock,
    mode: 'full' | 'incremental',
    dryRun = false,
  ) {
    const source = await csvSource({ inputDir: dir, pageSize: 2 }, state, clock);
    clock.advance(10 * 60_000);
    const result = await runPipeline({
      source,
      slots: source,
      sinks: [
        {
          name: 'seen',
          supportsDryRun: true,
          write: async (batch) =>
            batch.map((r) => ({
              key: recordKey(r),
              ok: true,
              counts: { x: { created: 1, updated: 0, unchanged: 0, deleted: 0 } },
            })),
        },
      ],
      state,
      clock,
      mode,
      dryRun,
    });
    return (result.received.seen ?? []).map((record) =>
      record.kind === 'provider'
        ? `${record.provider.id}:${record.slots.map((s) => `${s.id}${s.available ? '+' : '-'}`).join(',')}`
        : `gone:${record.providerId}`,
    );
  }

  it('reports exactly the providers created, updated and removed since the last export', async () => {
    const state = new MemoryStateStore();
    const clock = new ManualClock();
    await writeAwkwardExport();
    expect(await run(state, clock, 'full')).toEqual(['P1:S1+,S2-', 'P2:S4+', 'P4:']);

    // Nothing changed: nothing to report.
    expect(await run(state, clock, 'incremental')).toEqual([]);

    // P1's slot S2 becomes free, P4 leaves, P5 arrives; P2 stays as it was.
    await writeAwkwardExport([
      HEADER,
      'S1,P1,L1,2025-03-02,09:00,30,true,new_patient',
      'S2,P1,L1,2025-03-02,09:30,30,true,follow_up',
      'S4,P2,L2,2025-03-03,10:00,45,true,telehealth',
    ]);
    await writeFile(
      join(dir, 'providers.csv'),
      CRLF([
        'provider_id,npi,first_name,last_name,specialties,accepting_new_patients,status,updated_at',
        `P1,1234567893,Zoë,"O'Neil, ""Doc""",cardiology;pediatrics,yes,active,2025-01-01T00:00:00Z`,
        'P2,1234567893,Ada,Lovelace,,false,active,2025-01-01T00:00:00Z',
        'P3,12345,Bad,Npi,,true,active,2025-01-01T00:00:00Z',
        'P5,1234567893,New,Comer,,true,active,2025-02-01T00:00:00Z',
      ]),
    );
    await writeFile(
      join(dir, 'provider_locations.csv'),
      CRLF(['provider_id,location_id', 'P1,L1', 'P2,L1', 'P2,L2', 'P3,L1', 'P5,L1']),
    );
    expect(await run(state, clock, 'incremental')).toEqual(['P1:S1+,S2+', 'gone:P4', 'P5:']);

    // The run above completed: its export is the baseline now.
    expect(await run(state, clock, 'incremental')).toEqual([]);

    // A location's change reaches every provider at it.
    const locations = LF([
      'location_id,name,address_lines,city,state,postal_code,country,timezone',
      'L1,"Clinic, ""North""","1 Main St.\r\nSuite 5",Chicago,IL,60601,US,America/Chicago',
      'L2,Annex West,,Chicago,IL,60601,US,America/Chicago',
    ]);
    await writeFile(join(dir, 'locations.csv'), locations);
    expect(await run(state, clock, 'incremental')).toEqual(['P2:S4+']);
  });

  it('records nothing in a dry run: the real runs after it see the same changes', async () => {
    const state = new MemoryStateStore();
    const clock = new ManualClock();
    await writeAwkwardExport();
    // A dry full run first leaves no baseline: the real incremental still reports everyone.
    expect(await run(state, clock, 'full', true)).toEqual(['P1:S1+,S2-', 'P2:S4+', 'P4:']);
    expect(await run(state, clock, 'full')).toEqual(['P1:S1+,S2-', 'P2:S4+', 'P4:']);
    await writeAwkwardExport([
      HEADER,
      'S1,P1,L1,2025-03-02,09:00,30,true,new_patient',
      'S2,P1,L1,2025-03-02,09:30,30,true,follow_up',
      'S4,P2,L2,2025-03-03,10:00,45,true,telehealth',
    ]);
    // P1's slot S2 became free; P4's slot rows (outside the window) are gone.
    const changed = ['P1:S1+,S2+', 'P4:'];
    expect(await run(state, clock, 'incremental', true)).toEqual(changed);
    expect(await run(state, clock, 'incremental', true)).toEqual(changed);
    // A dry full run lists everyone without making the new export the baseline.
    expect(await run(state, clock, 'full', true)).toEqual(['P1:S1+,S2+', 'P2:S4+', 'P4:']);
    expect(await run(state, clock, 'incremental')).toEqual(changed);
    expect(await run(state, clock, 'incremental')).toEqual([]);
  });
});
