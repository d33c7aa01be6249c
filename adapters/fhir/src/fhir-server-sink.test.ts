import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  MemoryStateStore,
  SqliteStateStore,
  silentLogger,
  systemClock,
  type Clock,
  type ProviderRecord,
  type SyncRecord,
} from '@pmsbridge/core';
import { startFhirServer, type FhirServer } from '@pmsbridge/test-fhir-server';
import type { Bundle, Identifier, Practitioner, Resource } from '@medplum/fhirtypes';
import type { FhirAuth } from './fhir-auth.js';
import { FhirServerSink, type FhirServerSinkOptions } from './fhir-server-sink.js';
import { FhirServerError, parseOperationOutcome } from './operation-outcome.js';
import { NPI_SYSTEM } from '@pmsbridge/fhir-mapping';
import { buildRecord } from '@pmsbridge/fhir-mapping/testing';

const signal = new AbortController().signal;

async function search(server: FhirServer, query: string, token?: string): Promise<Bundle> {
  const response = await fetch(`${server.baseUrl}/${query}`, {
    headers: token === undefined ? {} : { authorization: `Bearer ${token}` },
  });
  return (await response.json()) as Bundle;
}

describe('FhirServerSink against the test FHIR server', () => {
  let server: FhirServer;
  let store: SqliteStateStore;
  let stateDir: string;
  beforeAll(async () => {
    server = await startFhirServer({ port: 0 });
    stateDir = await mkdtemp(join(tmpdir(), 'pmsbridge-fhir-state-'));
  });
  afterAll(async () => {
    await server.close();
    await rm(stateDir, { recursive: true, force: true });
  });
  beforeEach(() => {
    server.clear();
    server.resetStats();
    store = SqliteStateStore.open(
      join(
        stateDir,
        `${expect.getState().currentTestName ?? 'state'}.db`.replace(/[^\w.-]+/g, '_'),
      ),
    );
  });
  afterEach(async () => {
    await store.close();
  });

  const sinkFor = (
    extra: Partial<FhirServerSinkOptions> = {},
    auth: FhirAuth = { type: 'none' },
    clock: Clock = systemClock,
  ) =>
    new FhirServerSink(
      {
        baseUrl: server.baseUrl,
        auth,
        bundleSize: 50,
        mapping: { scheduleActor: 'practitioner-role' },
        ...extra,
      },
      { stateStore: store, logger: silentLogger, clock },
    );

  async function run(
    records: SyncRecord[],
    options: { dryRun?: boolean; sink?: FhirServerSink } = {},
  ) {
    const sink = options.sink ?? sinkFor();
    await sink.open({ dryRun: options.dryRun ?? false, mode: 'full', signal });
    const outcomes = await sink.write(records, signal);

    return outcomes;
  }

  it('upserts providers; a second run over unchanged data sends nothing', async () => {
    const records = [buildRecord(1), buildRecord(2), buildRecord(4)];
    const first = await run(records);
    expect(first.every((o) => o.ok)).toBe(true);
    expect(first[0]?.counts?.Practitioner).toEqual({
      created: 1,
      updated: 0,
      unchanged: 0,
      deleted: 0,
    });
    expect(first[0]?.counts?.Slot?.created).toBe(14);
    const slots = await search(server, 'Slot?_summary=count');
    expect(slots.total).toBe(14 * 3);

    server.resetStats();
    const second = await run([buildRecord(1), buildRecord(2), buildRecord(4)]);
    expect(server.stats().byInteraction.batch ?? 0).toBe(0);
    expect(server.stats().byMethod.PUT ?? 0).toBe(0);
    expect(second[0]?.counts?.Slot).toEqual({ created: 0, updated: 0, unchanged: 14, deleted: 0 });

    const byNpi = await search(
      server,
      `Practitioner?identifier=${encodeURIComponent(`${NPI_SYSTEM}|${records[0]?.kind === 'provider' ? records[0].provider.npi : ''}`)}`,
    );
    expect(byNpi.entry).toHaveLength(1);
  });

  it('updates only what changed and withdraws slots that left the window', async () => {
    await run([buildRecord(1, '2026-12-01', 7, 2)]);
    const moved = buildRecord(1, '2026-12-03', 7, 2); // two days dropped, two days added
    moved.provider.acceptingNewPatients = !moved.provider.acceptingNewPatients;
    const [outcome] = await run([moved]);
    expect(outcome?.counts?.Slot).toEqual({ created: 4, updated: 0, unchanged: 10, deleted: 4 });
    expect(outcome?.counts?.PractitionerRole?.updated).toBe(1);
    expect(outcome?.counts?.Practitioner?.unchanged).toBe(1);
    const slots = await search(server, 'Slot?_count=100');
    expect(
      slots.entry?.map((e) => (e.resource as { start: string }).start.slice(0, 10)).sort()[0],
    ).toBe('2026-12-03');
    expect(slots.entry).toHaveLength(14);
  });

  it('as the window rolls, withdraws future slots that disappeared and only forgets past ones', async () => {
    const at = (iso: string): Clock => ({ now: () => new Date(iso) });
    const ns = 'fhir-server:fhir-server';
    const slotKeys = async () =>
      (await store.listHashKeys(ns, 'PRV0000000001/Slot/')).map((k) => k.split('/')[2]);
    // Provider 1 is in New York: slots at 09:00 and 09:30 local (14:00Z, 14:30Z).
    await run([buildRecord(1, '2026-12-01', 7, 2)], {
      sink: sinkFor({}, undefined, at('2026-12-01T08:00:00Z')),
    });
    expect(await slotKeys()).toContain('SLT000000000120261201' + '00');
    // A day later: the window starts on 12-02, and a future slot (12-05 09:30) was removed.
    const moved = buildRecord(1, '2026-12-02', 7, 2);
    const removed = 'SLT00000000012026120501';
    moved.slots = moved.slots.filter((slot) => slot.id !== removed);
    server.resetStats();
    const [outcome] = await run([moved], {
      sink: sinkFor({}, undefined, at('2026-12-02T08:00:00Z')),
    });
    expect(outcome?.ok).toBe(true);
    expect(outcome?.counts?.Slot).toEqual({ created: 2, updated: 0, unchanged: 11, deleted: 1 });
    expect((await search(server, `Slot?_id=${removed}`)).entry ?? []).toHaveLength(0);
    // The past slots of 12-01 stay on the server (an Appointment may reference them)...
    const past = await search(server, 'Slot?_id=SLT00000000012026120100,SLT00000000012026120101');
    expect(past.entry).toHaveLength(2);
    // ...and are forgotten, so no later run tries to withdraw them.
    const keys = await slotKeys();
    expect(keys.filter((k) => k?.includes('20261201'))).toEqual([]);
    expect(keys).not.toContain(removed);
    expect(keys).toHaveLength(13);
    server.resetStats();
    const [again] = await run([moved], {
      sink: sinkFor({}, undefined, at('2026-12-02T09:00:00Z')),
    });
    expect(again?.counts?.Slot).toEqual({ created: 0, updated: 0, unchanged: 13, deleted: 0 });
    expect(server.stats().byInteraction.batch ?? 0).toBe(0);
  });

  it('deactivation deletes only future slots', async () => {
    await run([buildRecord(1, '2026-12-01', 7, 2)], {
      sink: sinkFor({}, undefined, { now: () => new Date('2026-12-01T08:00:00Z') }),
    });
    const [outcome] = await run(
      [{ kind: 'deactivation', providerId: 'PRV0000000001', changedAt: '2026-12-03T00:00:00Z' }],
      { sink: sinkFor({}, undefined, { now: () => new Date('2026-12-03T12:00:00Z') }) },
    );
    expect(outcome?.ok).toBe(true);
    expect(outcome?.counts?.Slot?.deleted).toBe(10); // 12-03 09:00 local (14:00Z) onwards
    expect((await search(server, 'Slot?_summary=count')).total).toBe(4);
    await expect(
      store.listHashKeys('fhir-server:fhir-server', 'PRV0000000001/Slot/'),
    ).resolves.toEqual([]);
  });

  it('deactivates a provider on the server and withdraws its slots', async () => {
    await run([buildRecord(1), buildRecord(2)]);
    const [outcome] = await run([
      { kind: 'deactivation', providerId: 'PRV0000000001', changedAt: '2026-12-02T00:00:00Z' },
    ]);
    expect(outcome?.ok).toBe(true);
    expect(outcome?.counts?.Slot?.deleted).toBe(14);
    const practitioner = (await search(server, 'Practitioner?_id=PRV0000000001')).entry?.[0]
      ?.resource as Practitioner;
    expect(practitioner.active).toBe(false);
    // The profile the active resource claimed stays claimed: US Core allows inactive ones.
    expect(practitioner.meta?.profile).toEqual([
      'http://hl7.org/fhir/us/core/StructureDefinition/us-core-practitioner',
    ]);
    const roles = await search(server, 'PractitionerRole?practitioner=Practitioner/PRV0000000001');
    expect(roles.entry?.every((e) => (e.resource as { active?: boolean }).active === false)).toBe(
      true,
    );
    expect(
      (await search(server, 'Slot?schedule=Schedule/PRV0000000001-LOC0000000001')).entry ?? [],
    ).toHaveLength(0);
    expect((await search(server, 'Slot?_summary=count')).total).toBe(14);
  });

  it('bisects a rejected transaction so only the bad record fails, with the server diagnostics', async () => {
    const bad = buildRecord(3);
    const location = bad.provider.locations?.[0];
    if (location) (location as { name: unknown }).name = { text: 'not a string' };
    const records: ProviderRecord[] = [buildRecord(1), buildRecord(2), bad, buildRecord(5)];
    const outcomes = await run(records, { sink: sinkFor({ bundleSize: 500 }) });
    expect(outcomes.map((o) => o.ok)).toEqual([true, true, false, true]);
    expect(outcomes[2]?.error?.message).toMatch(/HTTP 4\d\d: .*Location\.name/);
    expect(JSON.stringify(outcomes[2]?.error?.details)).toMatch(/Location\.name|name/i);
    expect((await search(server, 'Practitioner?_summary=count')).total).toBe(3);
  });

  it('fails the write fast when the server is down: the circuit opens after 3 failed attempts', async () => {
    const waits: number[] = [];
    const sink = new FhirServerSink(
      {
        baseUrl: server.baseUrl,
        auth: { type: 'none' },
        mapping: { scheduleActor: 'practitioner-role' },
        retry: { maxRetries: 10, baseDelayMs: 100 },
      },
      {
        stateStore: store,
        logger: silentLogger,
        clock: systemClock,
        sleep: async (ms) => void waits.push(ms),
      },
    );
    await sink.open({ dryRun: false, mode: 'full', signal });
    server.setFault({ status: 503 });
    server.resetStats();
    try {
      await expect(sink.write([buildRecord(1), buildRecord(2)], signal)).rejects.toMatchObject({
        code: 'PMS_CIRCUIT_OPEN',
      });
      // Three attempts, not eleven; and later writes fail without a request.
      expect(server.stats().requests).toBe(3);
      expect(waits).toEqual([100, 200]);
      await expect(sink.write([buildRecord(3)], signal)).rejects.toMatchObject({
        code: 'PMS_CIRCUIT_OPEN',
      });
      expect(server.stats().requests).toBe(3);
    } finally {
      server.setFault(undefined);
    }
    await expect(store.listHashKeys('fhir-server:fhir-server', '')).resolves.toEqual([]);
  });

  it('fails the write when the server cannot be reached at all', async () => {
    const sink = sinkFor({ retry: { maxRetries: 0 } });
    await sink.open({ dryRun: false, mode: 'full', signal });
    server.setFault({ reset: true });
    try {
      await expect(sink.write([buildRecord(1)], signal)).rejects.toMatchObject({
        code: 'PMS_NET_UNREACHABLE',
        category: 'PMS_REMOTE',
      });
    } finally {
      server.setFault(undefined);
    }
  });

  it('computes outcomes without writing in a dry run', async () => {
    const outcomes = await run([buildRecord(1)], { dryRun: true });
    expect(outcomes[0]?.counts?.Slot?.created).toBe(14);
    expect(server.stats().byInteraction.batch ?? 0).toBe(0);
    await expect(store.listHashKeys('fhir-server:fhir-server', '')).resolves.toEqual([]);
  });
});

const WRITTEN_TYPES = ['Location', 'Practitioner', 'PractitionerRole', 'Schedule', 'Slot'];

/** Every resource of the types the sink writes, by `Type/id`. */
async function contentOf(server: FhirServer): Promise<Map<string, Resource>> {
  const all = new Map<string, Resource>();
  for (const type of WRITTEN_TYPES) {
    const bundle = await search(server, `${type}?_count=5000`);
    for (const { resource } of bundle.entry ?? []) {
      if (resource?.id !== undefined) all.set(`${type}/${resource.id}`, resource);
    }
  }
  return all;
}

/** References that point to nothing, and business identifiers held by more than one resource. */
function integrityProblems(content: Map<string, Resource>): string[] {
  const problems: string[] = [];
  const seen = new Set<string>();
  const walk = (value: unknown, owner: string): void => {
    if (Array.isArray(value)) return value.forEach((v) => walk(v, owner));
    if (typeof value !== 'object' || value === null) return;
    for (const [name, field] of Object.entries(value)) {
      if (name === 'reference' && typeof field === 'string' && !content.has(field)) {
        problems.push(`${owner} -> ${field}`);
      } else walk(field, owner);
    }
  };
  for (const [ref, resource] of content) {
    walk(resource, ref);
    for (const { system, value } of (resource as { identifier?: Identifier[] }).identifier ?? []) {
      const token = `${resource.resourceType} ${system}|${value}`;
      if (system !== NPI_SYSTEM && seen.has(token)) problems.push(`duplicate ${token}`);
      seen.add(token);
    }
  }
  return problems;
}

describe('FhirServerSink on a server that assigns ids (no updateCreate)', () => {
  let server: FhirServer;
  let store: MemoryStateStore;
  beforeAll(async () => {
    server = await startFhirServer({ port: 0, updateCreate: false });
  });
  afterAll(async () => {
    await server.close();
  });
  beforeEach(() => {
    server.clear();
    store = new MemoryStateStore();
  });

  const sinkFor = (extra: Partial<FhirServerSinkOptions> = {}, clock: Clock = systemClock) =>
    new FhirServerSink(
      {
        baseUrl: server.baseUrl,
        auth: { type: 'none' },
        mapping: { scheduleActor: 'practitioner-role' },
        ...extra,
      },
      { stateStore: store, logger: silentLogger, clock },
    );

  async function run(records: SyncRecord[], sink = sinkFor()) {
    await sink.open({ dryRun: false, mode: 'full', signal });
    return sink.write(records, signal);
  }

  it('writes by conditional update on the business identifier; every reference resolves; a second run sends nothing', async () => {
    // Providers 4 and 29 share a Location: written once, not created twice.
    const outcomes = await run([buildRecord(1), buildRecord(2), buildRecord(4), buildRecord(29)]);
    expect(outcomes.map((o) => o.ok)).toEqual([true, true, true, true]);
    expect(outcomes[0]?.counts?.Practitioner?.created).toBe(1);
    const content = await contentOf(server);
    expect(integrityProblems(content)).toEqual([]);
    const practitioners = [...content.keys()].filter((k) => k.startsWith('Practitioner/'));
    expect(practitioners).toHaveLength(4);
    expect(practitioners).not.toContain('Practitioner/PRV0000000001');
    expect([...content.keys()].filter((k) => k.startsWith('Location/'))).toHaveLength(4);
    expect([...content.keys()].filter((k) => k.startsWith('Slot/'))).toHaveLength(14 * 4);

    server.resetStats();
    const again = await run([buildRecord(1), buildRecord(2), buildRecord(4)]);
    expect(again[0]?.counts?.Slot).toEqual({ created: 0, updated: 0, unchanged: 14, deleted: 0 });
    expect(server.stats().byInteraction.batch ?? 0).toBe(0);
  });

  it('points references across bundles, and across runs, at the ids the server assigned', async () => {
    await run([buildRecord(1, '2026-12-01', 7, 2), buildRecord(4)], sinkFor({ bundleSize: 4 }));
    expect(integrityProblems(await contentOf(server))).toEqual([]);
    // A later run (a new sink, nothing cached): slots move, so some are created and some
    // deleted; the new ones reference Schedules written by the first run.
    const moved = buildRecord(1, '2026-12-03', 7, 2);
    moved.provider.acceptingNewPatients = !moved.provider.acceptingNewPatients;
    const [outcome] = await run([moved], sinkFor({ bundleSize: 4 }));
    expect(outcome?.ok).toBe(true);
    expect(outcome?.counts?.Slot).toEqual({ created: 4, updated: 0, unchanged: 10, deleted: 4 });
    expect(outcome?.counts?.PractitionerRole?.updated).toBe(1);
    const content = await contentOf(server);
    expect(integrityProblems(content)).toEqual([]);
    const slots = await search(
      server,
      `Slot?identifier=${encodeURIComponent('https://healthconnect.io/fhir/sid/slot-id|SLT00000000012026120100')}`,
    );
    expect(slots.entry ?? []).toHaveLength(0);
    expect([...content.keys()].filter((k) => k.startsWith('Practitioner/'))).toHaveLength(2);
  });

  it('deactivates a provider found by identifier', async () => {
    await run([buildRecord(1), buildRecord(2)]);
    const [outcome] = await run([
      { kind: 'deactivation', providerId: 'PRV0000000001', changedAt: '2026-12-02T00:00:00Z' },
    ]);
    expect(outcome?.ok).toBe(true);
    expect(outcome?.counts?.Slot?.deleted).toBe(14);
    const found = await search(
      server,
      `Practitioner?identifier=${encodeURIComponent('https://healthconnect.io/fhir/sid/provider-id|PRV0000000001')}`,
    );
    expect((found.entry?.[0]?.resource as Practitioner | undefined)?.active).toBe(false);
    expect((await search(server, 'Slot?_summary=count')).total).toBe(14);
  });

  it('fails at open with a ConfigError naming the settings when the server allows neither', async () => {
    const neither = await startFhirServer({ updateCreate: false, conditionalUpdate: false });
    try {
      const sink = new FhirServerSink(
        {
          baseUrl: neither.baseUrl,
          auth: { type: 'none' },
          mapping: { scheduleActor: 'location' },
        },
        { stateStore: store, logger: silentLogger, clock: systemClock },
      );
      const error = await sink.open({ dryRun: false, mode: 'full', signal }).then(
        () => undefined,
        (thrown: unknown) => thrown as Error & { code?: string },
      );
      expect(error?.code).toBe('PMS_FHIR_CAPABILITY_MISSING');
      expect(error?.message).toMatch(/updateCreate.*conditionalUpdate/);
    } finally {
      await neither.close();
    }
  });
});

describe('FhirServerSink auth', () => {
  let server: FhirServer;
  let tokenServer: Server;
  let tokenRequests = 0;
  let tokenUrl = '';
  beforeAll(async () => {
    server = await startFhirServer({ port: 0, bearerToken: 'tok-123' });
    tokenServer = createServer((req, res) => {
      tokenRequests++;
      let body = '';
      req.on('data', (chunk: Buffer) => (body += chunk.toString()));
      req.on('end', () => {
        const form = new URLSearchParams(body);
        const ok = form.get('client_id') === 'cid' && form.get('client_secret') === 'secret';
        res.writeHead(ok ? 200 : 401, { 'content-type': 'application/json' });
        res.end(
          JSON.stringify(
            ok
              ? { access_token: 'tok-123', token_type: 'Bearer', expires_in: 3600 }
              : { error: 'invalid_client' },
          ),
        );
      });
    });
    await new Promise<void>((resolve) => tokenServer.listen(0, '127.0.0.1', resolve));
    tokenUrl = `http://127.0.0.1:${(tokenServer.address() as AddressInfo).port}/token`;
  });
  afterAll(async () => {
    await server.close();
    await new Promise((resolve) => tokenServer.close(resolve));
  });

  const sinkWith = (auth: FhirAuth) =>
    new FhirServerSink(
      { baseUrl: server.baseUrl, auth, mapping: { scheduleActor: 'location' } },
      { stateStore: new MemoryStateStore(), logger: silentLogger, clock: systemClock },
    );

  it('gets one client-credentials token and reuses it for every request', async () => {
    tokenRequests = 0;
    const sink = sinkWith({
      type: 'client-credentials',
      tokenUrl,
      clientId: 'cid',
      clientSecret: 'secret',
    });
    await sink.open({ dryRun: false, mode: 'full', signal });
    const outcomes = await sink.write([buildRecord(1), buildRecord(2)], signal);
    await sink.write([buildRecord(3)], signal);
    expect(outcomes.every((o) => o.ok)).toBe(true);
    expect(tokenRequests).toBe(1);
  });

  it('sends a static bearer token, and fails the whole write (not its records) when the token is wrong', async () => {
    const good = sinkWith({ type: 'bearer', token: 'tok-123' });
    await good.open({ dryRun: false, mode: 'full', signal });
    expect((await good.write([buildRecord(7)], signal))[0]?.ok).toBe(true);
    const store = new MemoryStateStore();
    const bad = new FhirServerSink(
      {
        baseUrl: server.baseUrl,
        auth: { type: 'bearer', token: 'wrong-secret' },
        mapping: { scheduleActor: 'location' },
      },
      { stateStore: store, logger: silentLogger, clock: systemClock },
    );
    await bad.open({ dryRun: false, mode: 'full', signal });
    const error = await bad.write([buildRecord(8), buildRecord(9)], signal).then(
      () => undefined,
      (thrown: unknown) => thrown as FhirServerError,
    );
    expect(error).toBeInstanceOf(FhirServerError);
    expect(error?.code).toBe('PMS_FHIR_AUTH_REFUSED');
    expect(error?.message).toMatch(/HTTP 401.*auth option/);
    expect(JSON.stringify({ message: error?.message, details: error?.details })).not.toContain(
      'wrong-secret',
    );
    await expect(store.listHashKeys('fhir-server:fhir-server', '')).resolves.toEqual([]);
  });

  it('fails the write when a deactivation cannot read the server for lack of credentials', async () => {
    const bad = sinkWith({ type: 'bearer', token: 'wrong-secret' });
    await bad.open({ dryRun: false, mode: 'full', signal });
    await expect(
      bad.write(
        [{ kind: 'deactivation', providerId: 'PRV0000000007', changedAt: '2026-12-02T00:00:00Z' }],
        signal,
      ),
    ).rejects.toMatchObject({ code: 'PMS_FHIR_AUTH_REFUSED' });
  });
});

describe('FhirServerSink retries', () => {
  let scripted: Server;
  let base = '';
  const replies: Array<(res: ServerResponse, body: string) => void> = [];
  beforeAll(async () => {
    scripted = createServer((req, res) => {
      let body = '';
      req.on('data', (chunk: Buffer) => (body += chunk.toString()));
      req.on('end', () => {
        if (req.url?.endsWith('/metadata')) {
          res.writeHead(200, { 'content-type': 'application/fhir+json' });
          return res.end(
            JSON.stringify({
              resourceType: 'CapabilityStatement',
              rest: [
                {
                  mode: 'server',
                  resource: [
                    'Location',
                    'Practitioner',
                    'PractitionerRole',
                    'Schedule',
                    'Slot',
                  ].map((type) => ({ type, updateCreate: true })),
                },
              ],
            }),
          );
        }
        const reply = replies.shift();
        if (reply === undefined) return res.writeHead(500).end();
        reply(res, body);
      });
    });
    await new Promise<void>((resolve) => scripted.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(scripted.address() as AddressInfo).port}/fhir`;
  });
  afterAll(async () => {
    await new Promise((resolve) => scripted.close(resolve));
  });

  it('retries a 429 after Retry-After seconds and a 503 with backoff, then succeeds', async () => {
    replies.push(
      (res) => {
        res.writeHead(429, { 'content-type': 'application/fhir+json', 'retry-after': '7' });
        res.end(
          JSON.stringify({
            resourceType: 'OperationOutcome',
            issue: [{ severity: 'error', code: 'throttled' }],
          }),
        );
      },
      (res) => res.writeHead(503, { 'content-type': 'text/plain' }).end('busy'),
      (res, body) => {
        const entries = (JSON.parse(body) as Bundle).entry ?? [];
        res.writeHead(200, { 'content-type': 'application/fhir+json' });
        res.end(
          JSON.stringify({
            resourceType: 'Bundle',
            type: 'transaction-response',
            entry: entries.map(() => ({ response: { status: '201 Created' } })),
          }),
        );
      },
    );
    const waits: number[] = [];
    const sink = new FhirServerSink(
      {
        baseUrl: base,
        auth: { type: 'none' },
        mapping: { scheduleActor: 'location' },
        retry: { baseDelayMs: 100 },
      },
      {
        stateStore: new MemoryStateStore(),
        logger: silentLogger,
        clock: systemClock,
        sleep: async (ms) => void waits.push(ms),
      },
    );
    await sink.open({ dryRun: false, mode: 'full', signal });
    const [outcome] = await sink.write([buildRecord(1)], signal);
    expect(outcome?.ok).toBe(true);
    expect(outcome?.counts?.Slot?.created).toBe(14);
    expect(waits).toEqual([7000, 200]);
    expect(replies).toHaveLength(0);
  });

  it('gives up after maxRetries and fails the write with the last status', async () => {
    for (let i = 0; i < 3; i++)
      replies.push((res) => res.writeHead(500, { 'content-type': 'text/plain' }).end('down'));
    const waits: number[] = [];
    const sink = new FhirServerSink(
      {
        baseUrl: base,
        auth: { type: 'none' },
        mapping: { scheduleActor: 'location' },
        retry: { maxRetries: 2, baseDelayMs: 10 },
        circuitBreaker: false,
      },
      {
        stateStore: new MemoryStateStore(),
        logger: silentLogger,
        clock: systemClock,
        sleep: async (ms) => void waits.push(ms),
      },
    );
    await sink.open({ dryRun: false, mode: 'full', signal });
    await expect(sink.write([buildRecord(1)], signal)).rejects.toThrow(/HTTP 500/);
    expect(waits).toEqual([10, 20]);
  });
});

describe('parseOperationOutcome', () => {
  it('flattens issues and puts the first error diagnostics in the error message', () => {
    const issues = parseOperationOutcome({
      resourceType: 'OperationOutcome',
      issue: [
        { severity: 'warning', code: 'informational', diagnostics: 'just saying' },
        {
          severity: 'error',
          code: 'value',
          details: { text: 'Invalid code' },
          expression: ['Practitioner.gender'],
        },
      ],
    });
    expect(issues[1]).toEqual({
      severity: 'error',
      code: 'value',
      diagnostics: 'Invalid code',
      expression: ['Practitioner.gender'],
    });
    const error = new FhirServerError(
      'FHIR server answered POST / with HTTP 400',
      { status: 400 },
      issues,
    );
    expect(error.message).toBe(
      'FHIR server answered POST / with HTTP 400: Invalid code (Practitioner.gender)',
    );
    expect(parseOperationOutcome({ resourceType: 'Patient' })).toEqual([]);
  });
});
