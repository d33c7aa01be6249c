/**
 * `pmsbridge serve` booking over HL7 v2: the directory from the sandbox over HTTP, bookings
 * sent as `SRM^S01` over MLLP to the test practice-management peer, which answers `SRR^S01`
 * and holds one appointment per slot.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { hashApiKey, loadConfig, openServeApp, silentLogger, type ServeApp } from '@pmsbridge/core';
import { startSandbox, type Sandbox } from '@pmsbridge/healthconnect-sandbox';
import { startHl7Peer, type Hl7Peer } from '@pmsbridge/test-hl7-peer';
import { createWorkspace, sandboxSource, type Workspace } from './pipeline-harness.js';

const KEY = 'pmsb_hl7-booking-test-key-0000000000000000000';

describe('pmsbridge serve booking over HL7 v2 with the test peer', () => {
  let sandbox: Sandbox;
  let peer: Hl7Peer;
  let workspace: Workspace;
  let app: ServeApp;

  async function call(path: string, init: { body?: unknown; key?: string } = {}) {
    const response = await fetch(`${app.server.url}${path}`, {
      method: init.body === undefined ? 'GET' : 'POST',
      headers: {
        authorization: `Bearer ${KEY}`,
        'content-type': 'application/json',
        ...(init.key === undefined ? {} : { 'idempotency-key': init.key }),
      },
      ...(init.body === undefined ? {} : { body: JSON.stringify(init.body) }),
    });
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  }

  beforeAll(async () => {
    sandbox = await startSandbox({ providers: 20, seed: 13 });
    peer = await startHl7Peer();
    workspace = await createWorkspace();
    const path = join(workspace.dir, 'serve.yaml');
    await writeFile(
      path,
      `pipeline: it-serve-hl7
state: { path: state.sqlite }
${sandboxSource(sandbox)}
sinks:
  - use: '@pmsbridge/adapter-hl7v2'
    options: { host: 127.0.0.1, port: ${peer.port}, receivingApplication: PMS }
booking:
  use: '@pmsbridge/adapter-hl7v2/booking'
  options: { host: 127.0.0.1, port: ${peer.port}, receivingApplication: PMS, ackTimeoutMs: 2000 }
serve:
  port: 0
  apiKeys:
    - { id: app, hash: '${hashApiKey(KEY)}', scopes: [read, book] }
`,
    );
    app = await openServeApp(
      await loadConfig(path, { ...process.env, HC_TEST_SECRET: sandbox.clientSecret }),
      { logger: silentLogger },
    );
  });

  afterAll(async () => {
    await app?.close();
    await peer?.close();
    await sandbox?.close();
    await workspace?.cleanup();
  });

  it('books once per key and once per slot, the peer holding one appointment, and cancels', async () => {
    const today = new Date().toISOString().slice(0, 10);
    const inAWeek = new Date(Date.now() + 7 * 86_400_000).toISOString().slice(0, 10);
    const found = await call(`/v1/availability?startDate=${today}&endDate=${inAWeek}&perPage=1`);
    const [item] = found.body.items as Array<{ provider: { id: string }; slot: { id: string } }>;
    if (item === undefined) throw new Error('no free slot');
    const request = (n: number) => ({
      providerId: item.provider.id,
      slotId: item.slot.id,
      patient: { firstName: 'Ana', lastName: `Rivera${n}`, birthDate: '1980-04-02' },
    });
    const replies = await Promise.all([
      ...Array.from({ length: 5 }, () => call('/v1/bookings', { key: 'same', body: request(0) })),
      ...Array.from({ length: 15 }, (_, i) =>
        call('/v1/bookings', { key: `other-${i}`, body: request(i + 1) }),
      ),
    ]);
    const booked = replies.filter((r) => r.status === 201 || r.status === 200);
    const refused = replies.filter((r) => r.status === 409);
    expect(booked.length + refused.length).toBe(20);
    expect(new Set(booked.map((r) => r.body.id)).size).toBe(1);
    expect(peer.bookings()).toHaveLength(1);
    const [held] = peer.bookings();
    expect(held).toMatchObject({ placerId: booked[0]?.body.id, slotId: item.slot.id });
    expect(booked[0]?.body).toMatchObject({ status: 'booked', partnerId: held?.fillerId });
    // Every SRM the peer received parsed with its own parser, none with patient data in a log.
    const srm = peer.received().filter((m) => m.type === 'SRM^S01');
    expect(srm.every((m) => m.message !== undefined)).toBe(true);

    const id = String(booked[0]?.body.id);
    const cancelled = await fetch(`${app.server.url}/v1/bookings/${id}`, {
      method: 'DELETE',
      headers: { authorization: `Bearer ${KEY}` },
    });
    expect(cancelled.status).toBe(200);
    expect(peer.received().some((m) => m.type === 'SRM^S04')).toBe(true);
    const again = await call('/v1/bookings', { key: 'after-cancel', body: request(99) });
    expect(again).toMatchObject({ status: 201, body: { status: 'booked' } });
  });
});
