import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import type { AddressInfo } from 'node:net';
import { Hl7Segment } from '@medplum/core';
import { Hl7Server, type Hl7Connection, type Hl7MessageEvent } from '@medplum/hl7';
import {
  MemoryStateStore,
  type Location,
  type Provider,
  type Slot,
  type SlotSource,
  type SyncRecord,
} from '@pmsbridge/core';
import {
  AppendSink,
  ManualClock,
  MemorySource,
  createPlugin,
  makeProvider,
  runPipeline,
} from '@pmsbridge/core/testing';
import { hl7v2Plugin } from './plugin.js';

/** A message as the peer's own parser read it. */
type Hl7Message = Hl7MessageEvent['message'];

/** What the practice-management system answers to a message; undefined: no answer. */
type Responder = (message: Hl7Message, seen: number) => Hl7Message | undefined;

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
const provider = (n: number, patch: Partial<Provider> = {}) =>
  makeProvider(n, { locations: [clinic], ...patch });

let server: Hl7Server;
let port: number;
let received: Hl7Message[];
let respond: Responder;

beforeEach(async () => {
  received = [];
  respond = (message) => message.buildAck();
  server = new Hl7Server((connection: Hl7Connection) => {
    connection.addEventListener('message', ({ message }: Hl7MessageEvent) => {
      received.push(message);
      const reply = respond(message, received.length);
      if (reply !== undefined) connection.send(reply);
    });
  });
  await server.start(0);
  port = (server.server?.address() as AddressInfo).port;
});

afterEach(async () => {
  await server.stop({ forceDrainTimeoutMs: 50 });
});

const types = () => received.map((m) => m.getSegment('MSH')?.getField(9)?.toString() ?? '');
const controlIds = () => received.map((m) => m.getSegment('MSH')?.getField(10)?.toString() ?? '');
const signal = () => AbortSignal.timeout(10_000);

async function sink(options: Record<string, unknown> = {}, state = new MemoryStateStore()) {
  return createPlugin(hl7v2Plugin, {
    options: {
      host: '127.0.0.1',
      port,
      ackTimeoutMs: 300,
      retryDelayMs: 1,
      maxRetries: 2,
      connectAttempts: 2,
      receivingApplication: 'PMS',
      ...options,
    },
    name: 'pms',
    services: { state, clock: new ManualClock('2026-03-02T15:00:00.000Z') },
  });
}

function record(p: Provider, slots: Slot[] = []): SyncRecord {
  return {
    kind: 'provider',
    provider: p,
    window: { startDate: '2026-03-09', endDate: '2026-03-15' },
    slots,
  };
}

const openSlot = (id: string, available = true): Slot => ({
  id,
  date: '2026-03-09',
  time: '09:00',
  durationMinutes: 30,
  available,
  locationId: clinic.id,
  visitType: 'follow_up' as const,
});

/** Per provider on the window's first day: 09:00 free, 10:00 taken. */
const freeAndTaken: SlotSource = {
  async getSchedule(providerId, window): Promise<Slot[]> {
    return [
      { ...openSlot(`SLT-${providerId}-0`), date: window.startDate },
      { ...openSlot(`SLT-${providerId}-1`, false), date: window.startDate, time: '10:00' },
    ];
  },
};

describe('hl7v2 sink over MLLP', () => {
  it('sends MFN^M02 MAD then SIU^S24 per provider, which the peer parses, and nothing twice', async () => {
    const state = new MemoryStateStore();
    const providers = [provider(1), provider(2)];
    const { summary } = await runPipeline({
      source: new MemorySource(providers),
      slots: freeAndTaken,
      sinks: [await sink({}, state)],
      state,
    });
    expect(summary).toMatchObject({ written: 2, deadLettered: 0 });
    expect(types()).toEqual([
      'MFN^M02^MFN_M02',
      'SIU^S24^SIU_S12',
      'MFN^M02^MFN_M02',
      'SIU^S24^SIU_S12',
    ]);
    const mfn = received[0] as Hl7Message;
    expect(mfn.getSegment('MFE')?.getField(1)?.toString()).toBe('MAD');
    expect(mfn.getSegment('STF')?.getField(1)?.toString()).toBe(providers[0]?.id);
    expect(mfn.getSegment('MSH')?.getField(5)?.toString()).toBe('PMS');
    // Only the free slot (09:00) was opened; the taken one was never announced.
    const siu = received[1] as Hl7Message;
    expect(siu.getAllSegments('RGS')).toHaveLength(1);
    expect(siu.getSegment('RGS')?.getField(3)?.toString()).toBe(`SLT-${providers[0]?.id}-0`);
    expect(summary.sinks.pms).toMatchObject({ MFN: { created: 2 }, SIU: { created: 2 } });

    await runPipeline({
      source: new MemorySource(providers),
      slots: freeAndTaken,
      sinks: [await sink({}, state)],
      state,
    });
    expect(received).toHaveLength(4);
  });

  it('sends MUP, S23 for a slot taken and for a free slot withdrawn, MDC and MAC', async () => {
    const state = new MemoryStateStore();
    const s = await sink({}, state);
    const p = provider(1);
    await s.write([record(p, [openSlot('A'), { ...openSlot('B'), time: '10:00' }])], signal());
    expect(types()).toEqual(['MFN^M02^MFN_M02', 'SIU^S24^SIU_S12']);
    received = [];
    const renamed = provider(1, { name: { first: 'Ada', last: 'Roe', title: 'MD' } });
    const [outcome] = await s.write([record(renamed, [openSlot('A', false)])], signal());
    expect(outcome).toMatchObject({
      ok: true,
      counts: { MFN: { updated: 1 }, SIU: { updated: 1, deleted: 1 } },
    });
    expect(types()).toEqual(['MFN^M02^MFN_M02', 'SIU^S23^SIU_S12']);
    expect(received[0]?.getSegment('MFE')?.getField(1)?.toString()).toBe('MUP');
    expect(
      received[1]
        ?.getAllSegments('RGS')
        .map((r) => r.getField(3)?.toString())
        .sort(),
    ).toEqual(['A', 'B']);
    // Acknowledged: the same record again sends nothing.
    received = [];
    await s.write([record(renamed, [openSlot('A', false)])], signal());
    expect(received).toHaveLength(0);
    await s.write(
      [{ kind: 'deactivation', providerId: p.id, changedAt: '2026-03-03T00:00:00Z' }],
      signal(),
    );
    await s.write(
      [{ kind: 'deactivation', providerId: p.id, changedAt: '2026-03-03T00:00:00Z' }],
      signal(),
    );
    await s.write([record(renamed, [openSlot('A', false)])], signal());
    expect(received.map((m) => m.getSegment('MFE')?.getField(1)?.toString())).toEqual([
      'MDC',
      'MAC',
    ]);
    await s.close?.({ completed: true });
  });

  it('blocks the free slots ahead of a deactivated provider (S23 naming it), and opens them again on its return', async () => {
    const s = await sink();
    const p = provider(2, { npi: '1245319599', name: { first: 'Zoë', last: 'Ng', title: 'DO' } });
    const slots = [openSlot('A'), { ...openSlot('B'), time: '10:00' }, openSlot('C', false)];
    await s.write([record(p, slots)], signal());
    received = [];
    const deactivation: SyncRecord = {
      kind: 'deactivation',
      providerId: p.id,
      changedAt: '2026-03-03T00:00:00Z',
    };
    const [outcome] = await s.write([deactivation], signal());
    expect(outcome).toMatchObject({
      ok: true,
      counts: { MFN: { deleted: 1 }, SIU: { deleted: 2 } },
    });
    expect(types()).toEqual(['MFN^M02^MFN_M02', 'SIU^S23^SIU_S12']);
    const s23 = received[1];
    expect(s23?.getAllSegments('RGS').map((r) => r.getField(3)?.toString())).toEqual(['A', 'B']);
    const aip = s23?.getSegment('AIP')?.getField(3);
    expect([1, 2, 3].map((c) => aip?.getComponent(c))).toEqual(['1245319599', 'Ng', 'Zoë']);
    expect(s23?.getSegment('SCH')?.getField(25)?.toString()).toBe('Blocked');
    expect(s23?.getSegment('AIL')?.getField(3)?.getComponent(1)).toBe(clinic.id);

    received = [];
    await s.write([deactivation], signal());
    expect(received).toHaveLength(0);
    await s.write([record(p, slots)], signal());
    expect(types()).toEqual(['MFN^M02^MFN_M02', 'SIU^S24^SIU_S12']);
    expect(received[0]?.getSegment('MFE')?.getField(1)?.toString()).toBe('MAC');
    expect(received[1]?.getAllSegments('RGS').map((r) => r.getField(3)?.toString())).toEqual([
      'A',
      'B',
    ]);
    await s.close?.({ completed: true });
  });

  it('fails a record the peer answers AE, with the ERR text, and sends the others', async () => {
    const state = new MemoryStateStore();
    const bad = provider(2);
    respond = (message) => {
      const isBad = message.getSegment('STF')?.getField(1)?.toString() === bad.id;
      if (!isBad) return message.buildAck();
      return message.buildAck({
        ackCode: 'AE',
        errSegment: Hl7Segment.parse(
          'ERR||STF^1^3|207^Unknown practitioner^HL70357|E||||Name rejected',
        ),
      } as never);
    };
    const s = await sink({}, state);
    const outcomes = await s.write(
      [record(provider(1)), record(bad), record(provider(3))],
      signal(),
    );
    expect(outcomes.map((o) => o.ok)).toEqual([true, false, true]);
    expect(outcomes[1]?.error?.message).toMatch(
      /AE for .*207 Unknown practitioner: Name rejected at STF\^1\^3/,
    );
    // Not recorded: the next write sends it again, the others not.
    respond = (message) => message.buildAck();
    received = [];
    await s.write([record(provider(1)), record(bad), record(provider(3))], signal());
    expect(received.map((m) => m.getSegment('STF')?.getField(1)?.toString())).toEqual([bad.id]);
    await s.close?.({ completed: true });
  });

  it('sends again after an unanswered message and after AR, under the same control id', async () => {
    respond = (message, seen) =>
      seen === 1
        ? undefined
        : seen === 2
          ? message.buildAck({ ackCode: 'AR' })
          : message.buildAck();
    const s = await sink();
    const [outcome] = await s.write([record(provider(1))], signal());
    expect(outcome?.ok).toBe(true);
    expect(controlIds()).toHaveLength(3);
    expect(new Set(controlIds()).size).toBe(1);
    await s.close?.({ completed: true });
  });

  it('fails the record after AR on every try, and stops the run when nothing answers', async () => {
    respond = (message) => message.buildAck({ ackCode: 'AR' });
    const s = await sink({ maxRetries: 1 });
    const [outcome] = await s.write([record(provider(1))], signal());
    expect(outcome).toMatchObject({ ok: false, error: { code: 'PMS_REMOTE' } });
    expect(received).toHaveLength(2);
    await s.close?.({ completed: true });

    respond = () => undefined;
    received = [];
    const silent = await sink({ maxRetries: 1 });
    await expect(silent.write([record(provider(1))], signal())).rejects.toMatchObject({
      details: { failure: 'timeout' },
    });
    expect(received).toHaveLength(2);
    await silent.close?.({ completed: true });

    await server.stop({ forceDrainTimeoutMs: 50 });
    const unreachable = await sink();
    await expect(unreachable.write([record(provider(1))], signal())).rejects.toMatchObject({
      code: 'PMS_NET_UNREACHABLE',
    });
    await server.start(0);
  });

  it('resumes after a crash without sending a message twice', async () => {
    const state = new MemoryStateStore();
    const providers = Array.from({ length: 6 }, (_, i) => provider(i + 1));
    const source = new MemorySource(providers, 2);
    const crashing = new AppendSink('crashing');
    crashing.failOnBatch = 2;
    await expect(
      runPipeline({
        source,
        slots: freeAndTaken,
        sinks: [await sink({}, state), crashing],
        state,
        batchSize: 2,
      }),
    ).rejects.toThrow('sink crashed');
    expect(received).toHaveLength(8);
    crashing.failOnBatch = undefined;
    await runPipeline({
      source,
      slots: freeAndTaken,
      sinks: [await sink({}, state), crashing],
      state,
      batchSize: 2,
    });
    expect(received).toHaveLength(12);
    expect(new Set(controlIds()).size).toBe(12);
    expect(
      received.map((m) => m.getSegment('STF')?.getField(1)?.toString()).filter(Boolean),
    ).toEqual(providers.map((p) => p.id));
  });

  it('sends nothing during a dry run and reports what it would send', async () => {
    const { summary } = await runPipeline({
      source: new MemorySource([provider(1), provider(2)]),
      slots: freeAndTaken,
      sinks: [await sink()],
      dryRun: true,
    });
    expect(summary).toMatchObject({ written: 2, deadLettered: 0 });
    expect(summary.sinks.pms).toMatchObject({ MFN: { created: 2 }, SIU: { created: 2 } });
    expect(received).toHaveLength(0);
  });
});
