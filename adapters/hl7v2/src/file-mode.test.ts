import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
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
const providers = [1, 2].map((n) => makeProvider(n, { locations: [clinic] }));
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
      source: new MemorySource(providers),
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
      source: new MemorySource(providers),
      slots,
      sinks: [await sink(state, '2026-03-02T16:00:00.000Z')],
      state,
    });
    expect(second.summary.sinks.pms).toMatchObject({ MFN: { unchanged: 2, created: 0 } });
    expect(await files()).toEqual(['pms-20260302T150000Z.hl7']);
  });

  it('leaves no .hl7 file and records nothing when the run fails, and resends next time', async () => {
    const state = new MemoryStateStore();
    const failing = await sink(state);
    await failing.open?.({ dryRun: false, mode: 'full', signal: AbortSignal.timeout(10_000) });
    const record: SyncRecord = {
      kind: 'provider',
      provider: providers[0] ?? makeProvider(1),
      window: { startDate: '2026-03-09', endDate: '2026-03-15' },
      slots: [],
    };
    const [outcome] = await failing.write([record], AbortSignal.timeout(10_000));
    expect(outcome).toMatchObject({ ok: true, counts: { MFN: { created: 1 } } });
    await failing.close?.({ completed: false });
    expect(await files()).toEqual([]);

    const retry = await sink(state, '2026-03-02T16:00:00.000Z');
    await retry.open?.({ dryRun: false, mode: 'full', signal: AbortSignal.timeout(10_000) });
    const [again] = await retry.write([record], AbortSignal.timeout(10_000));
    expect(again).toMatchObject({ ok: true, counts: { MFN: { created: 1 } } });
    await retry.close?.({ completed: true });
    expect(await files()).toEqual(['pms-20260302T160000Z.hl7']);
  });

  it('writes nothing in a dry run', async () => {
    const state = new MemoryStateStore();
    const { summary } = await runPipeline({
      source: new MemorySource(providers),
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
