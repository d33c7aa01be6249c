import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { appendFile, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Hl7Message } from '@medplum/core';
import { MemoryStateStore, type Location, type Slot, type SyncRecord } from '@pmsbridge/core';
import {
  ManualClock,
  MemorySource,
  createPlugin,
  makeProvider,
  runPipeline,
} from '@pmsbridge/core/testing';
import { hl7v2Plugin } from './plugin.js';

const clinic: Location = {
  id: 'LOC0000000001',
  name: 'Lakeview Clinic',
  address: {
    lines: ['1 Main St'],
    city: 'Chicago',
    state: 'IL',
    postalCode: '60601',
    country: 'US',
  },
  timezone: 'America/Chicago',
};
const providers = [1, 2, 3].map((n) => makeProvider(n, { locations: [clinic] }));
const slots = {
  async getSchedule(providerId: string, window: { startDate: string }): Promise<Slot[]> {
    return [
      {
        id: `SLT-${providerId}`,
        date: window.startDate,
        time: '09:00',
        durationMinutes: 30,
        available: true,
        locationId: clinic.id,
        visitType: 'follow_up',
      },
    ];
  },
};

let outputDir: string;

beforeEach(async () => {
  outputDir = await mkdtemp(join(tmpdir(), 'hl7-file-'));
});

afterEach(async () => {
  await rm(outputDir, { recursive: true, force: true });
});

async function sink(state: MemoryStateStore, at = '2026-03-02T15:00:00.000Z') {
  return createPlugin(hl7v2Plugin, {
    options: { mode: 'file', outputDir, receivingApplication: 'PMS' },
    name: 'pms',
    services: { state, clock: new ManualClock(at) },
  });
}

const files = async () => (await readdir(outputDir)).sort();

function recordOf(n: number): SyncRecord {
  const provider = providers[n - 1] ?? makeProvider(n, { locations: [clinic] });
  return {
    kind: 'provider',
    provider,
    window: { startDate: '2026-03-09', endDate: '2026-03-15' },
    slots: [
      {
        id: `SLT-${provider.id}`,
        date: '2026-03-09',
        time: '09:00',
        durationMinutes: 30,
        available: true,
        locationId: clinic.id,
        visitType: 'follow_up',
      },
    ],
  };
}

const typeOf = (message: Hl7Message) => message.getSegment('MSH')?.getField(9)?.toString();

/** The file's segments, and its messages cut at each MSH. */
function readBatch(text: string) {
  const segments = text.split('\r').filter((s) => s !== '');
  const messages: string[][] = [];
  for (const s of segments.slice(2, -2)) {
    if (s.startsWith('MSH')) messages.push([]);
    messages.at(-1)?.push(s);
  }
  return { segments, messages: messages.map((m) => Hl7Message.parse(m.join('\r'))) };
}

describe('hl7v2 sink in file mode', () => {
  it('writes one batch file per run whose counts match and whose messages parse', async () => {
    const state = new MemoryStateStore();
    const { summary } = await runPipeline({
      source: new MemorySource(providers.slice(0, 2)),
      slots,
      sinks: [await sink(state)],
      state,
    });
    expect(summary).toMatchObject({ written: 2, deadLettered: 0 });
    expect(await files()).toEqual(['pms-20260302T150000Z.hl7']);
    const text = await readFile(join(outputDir, 'pms-20260302T150000Z.hl7'), 'utf8');
    expect(text).not.toContain('\n');
    const { segments, messages } = readBatch(text);
    const fields = (s: string | undefined) => (s ?? '').split('|');
    expect(segments[0]).toMatch(/^FHS\|\^~\\&\|PMSBRIDGE\|\|PMS\|/);
    expect(fields(segments[0])[8]).toBe('pms-20260302T150000Z.hl7');
    expect(segments[1]).toMatch(/^BHS\|\^~\\&\|/);
    expect(segments.at(-2)).toBe(`BTS|${messages.length}`);
    expect(segments.at(-1)).toBe('FTS|1');
    expect(messages.map((m) => m.getSegment('MSH')?.getField(9)?.toString())).toEqual([
      'MFN^M02^MFN_M02',
      'SIU^S24^SIU_S12',
      'MFN^M02^MFN_M02',
      'SIU^S24^SIU_S12',
    ]);
    expect(messages[0]?.getSegment('STF')?.getField(1)?.toString()).toBe(providers[0]?.id);
    expect(messages[1]?.getSegment('RGS')?.getField(3)?.toString()).toBe(`SLT-${providers[0]?.id}`);
    const controlIds = messages.map((m) => m.getSegment('MSH')?.getField(10)?.toString());
    expect(new Set(controlIds).size).toBe(4);
    expect(controlIds.every((id) => /^[0-9A-F]{20}$/.test(id ?? ''))).toBe(true);

    // Nothing changed: the next run writes no file.
    const second = await runPipeline({
      source: new MemorySource(providers.slice(0, 2)),
      slots,
      sinks: [await sink(state, '2026-03-02T16:00:00.000Z')],
      state,
    });
    expect(second.summary.sinks.pms).toMatchObject({ MFN: { unchanged: 2, created: 0 } });
    expect(await files()).toEqual(['pms-20260302T150000Z.hl7']);
  });

  it('publishes, at the next start, the journal of a run that failed, and does not send it again', async () => {
    const state = new MemoryStateStore();
    const failing = await sink(state);
    await failing.open?.({ dryRun: false, mode: 'full', signal: AbortSignal.timeout(10_000) });
    const [outcome] = await failing.write([recordOf(1)], AbortSignal.timeout(10_000));
    expect(outcome).toMatchObject({ ok: true, counts: { MFN: { created: 1 } } });
    await failing.close?.({ completed: false });
    // No batch file yet: only the journal, which no `*.hl7` import picks up.
    expect(await files()).toEqual(['.pms-20260302T150000Z.journal']);

    // A new run (not resuming): the earlier run's messages were recorded as delivered, so
    // they are published first, in that run's own file, and not built again.
    const next = await sink(state, '2026-03-02T16:00:00.000Z');
    await next.open?.({ dryRun: false, mode: 'full', signal: AbortSignal.timeout(10_000) });
    expect(await files()).toEqual(['.pms-20260302T160000Z.journal', 'pms-20260302T150000Z.hl7']);
    const [again] = await next.write([recordOf(1)], AbortSignal.timeout(10_000));
    expect(again).toMatchObject({ ok: true, counts: { MFN: { unchanged: 1 } } });
    await next.close?.({ completed: true });
    expect(await files()).toEqual(['pms-20260302T150000Z.hl7']);
    const { messages } = readBatch(
      await readFile(join(outputDir, 'pms-20260302T150000Z.hl7'), 'utf8'),
    );
    expect(messages.map(typeOf)).toEqual(['MFN^M02^MFN_M02', 'SIU^S24^SIU_S12']);
  });

  it('resumes an interrupted run into the same file, each message exactly once', async () => {
    const state = new MemoryStateStore();
    const first = await sink(state);
    await first.open?.({ dryRun: false, mode: 'full', signal: AbortSignal.timeout(10_000) });
    await first.write([recordOf(1)], AbortSignal.timeout(10_000));
    const checkpoint = JSON.parse(JSON.stringify(first.checkpointState?.())) as unknown;
    // The next batch reached the journal, but the run died before its checkpoint was saved.
    await first.write([recordOf(2)], AbortSignal.timeout(10_000));
    await first.close?.({ completed: false });

    const resumed = await sink(state, '2026-03-02T15:30:00.000Z');
    await resumed.open?.({
      dryRun: false,
      mode: 'full',
      signal: AbortSignal.timeout(10_000),
      resumeState: checkpoint,
    });
    // The batch after the checkpoint is replayed: already journaled and recorded, it adds nothing.
    const [replayed] = await resumed.write([recordOf(2)], AbortSignal.timeout(10_000));
    expect(replayed).toMatchObject({ ok: true, counts: { MFN: { unchanged: 1 } } });
    await resumed.write([recordOf(3)], AbortSignal.timeout(10_000));
    await resumed.close?.({ completed: true });

    expect(await files()).toEqual(['pms-20260302T150000Z.hl7']);
    const { segments, messages } = readBatch(
      await readFile(join(outputDir, 'pms-20260302T150000Z.hl7'), 'utf8'),
    );
    expect(
      messages.map((m) => m.getSegment('STF')?.getField(1)?.toString()).filter(Boolean),
    ).toEqual([1, 2, 3].map((n) => makeProvider(n).id));
    expect(segments.at(-2)).toBe('BTS|6');
  });

  it('does not journal a message twice when the state store failed after it was appended', async () => {
    const state = new MemoryStateStore();
    const setHashes = state.setHashes.bind(state);
    let failNext = true;
    state.setHashes = async (...args) => {
      if (failNext) {
        failNext = false;
        throw new Error('database is locked');
      }
      return setHashes(...args);
    };
    const first = await sink(state);
    await first.open?.({ dryRun: false, mode: 'full', signal: AbortSignal.timeout(10_000) });
    const checkpoint = JSON.parse(JSON.stringify(first.checkpointState?.())) as unknown;
    await expect(first.write([recordOf(1)], AbortSignal.timeout(10_000))).rejects.toThrow(
      'database is locked',
    );
    await first.close?.({ completed: false });

    const resumed = await sink(state, '2026-03-02T15:30:00.000Z');
    await resumed.open?.({
      dryRun: false,
      mode: 'full',
      signal: AbortSignal.timeout(10_000),
      resumeState: checkpoint,
    });
    // Nothing was recorded, so the messages are built again, with the same control ids.
    const [again] = await resumed.write([recordOf(1)], AbortSignal.timeout(10_000));
    expect(again).toMatchObject({ ok: true, counts: { MFN: { created: 1 } } });
    await resumed.close?.({ completed: true });
    const { messages } = readBatch(
      await readFile(join(outputDir, 'pms-20260302T150000Z.hl7'), 'utf8'),
    );
    expect(messages.map(typeOf)).toEqual(['MFN^M02^MFN_M02', 'SIU^S24^SIU_S12']);
  });

  it('cuts off a message a crash left half-written in the journal', async () => {
    const state = new MemoryStateStore();
    const first = await sink(state);
    await first.open?.({ dryRun: false, mode: 'full', signal: AbortSignal.timeout(10_000) });
    await first.write([recordOf(1)], AbortSignal.timeout(10_000));
    const checkpoint = JSON.parse(JSON.stringify(first.checkpointState?.())) as unknown;
    await first.close?.({ completed: false });
    await appendFile(join(outputDir, '.pms-20260302T150000Z.journal'), '{"controlId":"ABC","te');

    const resumed = await sink(state, '2026-03-02T15:30:00.000Z');
    await resumed.open?.({
      dryRun: false,
      mode: 'full',
      signal: AbortSignal.timeout(10_000),
      resumeState: checkpoint,
    });
    await resumed.write([recordOf(2)], AbortSignal.timeout(10_000));
    await resumed.close?.({ completed: true });
    const { segments, messages } = readBatch(
      await readFile(join(outputDir, 'pms-20260302T150000Z.hl7'), 'utf8'),
    );
    expect(messages).toHaveLength(4);
    expect(segments.at(-2)).toBe('BTS|4');
  });

  it('refuses to resume when the journal named by the checkpoint is gone, saying what to do', async () => {
    const state = new MemoryStateStore();
    const resumed = await sink(state);
    await expect(
      resumed.open?.({
        dryRun: false,
        mode: 'full',
        signal: AbortSignal.timeout(10_000),
        resumeState: { hl7File: { journal: 'pms-20260302T140000Z' } },
      }),
    ).rejects.toThrow(/journal of the interrupted run.*Start the sync over/);
  });

  it('finishes a batch file that was committed but not yet renamed, and never writes one twice', async () => {
    const state = new MemoryStateStore();
    await writeFile(join(outputDir, '.pms-20260301T100000Z.published'), '');
    await writeFile(join(outputDir, '.pms-20260301T100000Z.hl7.tmp'), 'FHS|^~\\&\r');
    // This one was renamed into place and already taken by the importer.
    await writeFile(join(outputDir, '.pms-20260301T110000Z.published'), '');
    // Another sink's leftovers are not this sink's business.
    await writeFile(join(outputDir, '.other-20260301T100000Z.published'), '');
    const next = await sink(state);
    await next.open?.({ dryRun: false, mode: 'full', signal: AbortSignal.timeout(10_000) });
    await next.close?.({ completed: true });
    expect(await files()).toEqual([
      '.other-20260301T100000Z.published',
      'pms-20260301T100000Z.hl7',
    ]);
  });

  it('writes nothing in a dry run', async () => {
    const state = new MemoryStateStore();
    const { summary } = await runPipeline({
      source: new MemorySource(providers.slice(0, 2)),
      slots,
      sinks: [await sink(state)],
      state,
      dryRun: true,
    });
    expect(summary.sinks.pms).toMatchObject({ MFN: { created: 2 } });
    expect(await files()).toEqual([]);
  });

  it.each([
    [{ mode: 'file' }, 'sinks[0].options.outputDir: outputDir is required when mode is'],
    [{ mode: 'file', outputDir: 'out', host: 'pms' }, 'sinks[0].options.host: host does not apply'],
    [{ port: 2575 }, 'sinks[0].options.host: host is required when mode is'],
    [{ host: 'pms' }, 'sinks[0].options.port: port is required when mode is'],
    [{ host: 'pms', port: 1, outputDir: 'out' }, 'sinks[0].options.outputDir: outputDir does not'],
  ])('names the field an options error is about: %j', async (options, message) => {
    await expect(createPlugin(hl7v2Plugin, { options })).rejects.toThrow(message);
  });
});
