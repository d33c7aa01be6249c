/**
 * A SIGKILL of `pmsbridge serve` between sending a booking and receiving the partner's
 * answer: the built CLI books through a proxy that forwards the Appointment to the test FHIR
 * server and then never answers; the process is killed; a restart settles the pending
 * booking by looking it up at the partner, and the client's retry with the same key gets the
 * booking — one Appointment at the partner, never two.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { dirname, join } from 'node:path';
import { request } from 'undici';
import { bookingIdOf, hashApiKey } from '@pmsbridge/core';
import { startSandbox, type Sandbox } from '@pmsbridge/healthconnect-sandbox';
import { startFhirServer, type FhirServer } from '@pmsbridge/test-fhir-server';
import { createWorkspace, sandboxSource, type Workspace } from './pipeline-harness.js';
import { forward, readBody } from './transaction-recorder.js';

const cli = join(
  dirname(createRequire(import.meta.url).resolve('@pmsbridge/core/package.json')),
  'dist',
  'cli',
  'bin.js',
);
const KEY = 'pmsb_crash-test-key-000000000000000000000000';

/**
 * A proxy to the FHIR server that, while `swallow` is set, forwards an Appointment create
 * and then keeps its answer to itself: the booking is made, the caller never hears of it.
 */
async function startSwallowingProxy(fhir: FhirServer) {
  const target = new URL(fhir.baseUrl);
  let swallow = true;
  let swallowed: () => void = () => undefined;
  const appointmentSwallowed = new Promise<void>((resolve) => (swallowed = resolve));
  const server: Server = createServer((incoming, outgoing) => {
    void (async () => {
      const answer = await forward(incoming, await readBody(incoming), target);
      if (swallow && incoming.method === 'POST' && incoming.url?.endsWith('/Appointment')) {
        swallowed();
        return; // never answered
      }
      outgoing.writeHead(answer.status, answer.headers);
      outgoing.end(answer.body);
    })().catch(() => outgoing.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    baseUrl: `http://127.0.0.1:${port}${target.pathname}`,
    appointmentSwallowed,
    passThrough: () => {
      swallow = false;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Starts the built CLI's `serve`; resolves with the process and its URL once it listens. */
async function serve(
  workspace: Workspace,
  secret: string,
): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(process.execPath, [cli, 'serve', '--config', 'serve.yaml'], {
    cwd: workspace.dir,
    env: { ...process.env, HC_TEST_SECRET: secret },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const url = await new Promise<string>((resolve, reject) => {
    let stdout = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      const match = /listening on (http:\/\/\S+)/.exec(stdout);
      if (match?.[1] !== undefined) resolve(match[1]);
    });
    child.once('exit', (code) => reject(new Error(`serve exited with ${code}: ${stderr}`)));
  });
  return { child, url };
}

describe('pmsbridge serve killed between sending a booking and its answer', () => {
  let sandbox: Sandbox;
  let fhir: FhirServer;
  let proxy: Awaited<ReturnType<typeof startSwallowingProxy>>;
  let workspace: Workspace;
  const children: ChildProcess[] = [];

  beforeAll(async () => {
    sandbox = await startSandbox({ providers: 10, seed: 4 });
    fhir = await startFhirServer();
    proxy = await startSwallowingProxy(fhir);
    workspace = await createWorkspace();
    await writeFile(
      join(workspace.dir, 'serve.yaml'),
      `pipeline: it-serve-crash
state: { path: state.sqlite }
${sandboxSource(sandbox)}
sinks:
  - use: '@pmsbridge/adapter-fhir'
    options: { baseUrl: '${fhir.baseUrl}' }
booking:
  use: '@pmsbridge/adapter-fhir/booking'
  options: { baseUrl: '${proxy.baseUrl}', maxRetries: 0 }
serve:
  port: 0
  apiKeys:
    - { id: booker, hash: '${hashApiKey(KEY)}', scopes: [read, book] }
`,
    );
  });

  afterAll(async () => {
    for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
    await proxy?.close();
    await fhir?.close();
    await sandbox?.close();
    await workspace?.cleanup();
  });

  it('settles the booking at restart by looking it up, and the retry gets it: one Appointment', async () => {
    const first = await serve(workspace, sandbox.clientSecret);
    children.push(first.child);
    const today = new Date().toISOString().slice(0, 10);
    const inAWeek = new Date(Date.now() + 7 * 86_400_000).toISOString().slice(0, 10);
    const found = await request(
      `${first.url}/v1/availability?startDate=${today}&endDate=${inAWeek}&perPage=1`,
      { headers: { authorization: `Bearer ${KEY}` } },
    );
    const [slot] = (
      (await found.body.json()) as {
        items: Array<{ provider: { id: string }; slot: { id: string } }>;
      }
    ).items;
    if (slot === undefined) throw new Error('no free slot');
    const body = JSON.stringify({
      providerId: slot.provider.id,
      slotId: slot.slot.id,
      patient: { firstName: 'Ana', lastName: 'Rivera', birthDate: '1980-04-02' },
    });
    const headers = {
      authorization: `Bearer ${KEY}`,
      'content-type': 'application/json',
      'idempotency-key': 'crash-1',
    };

    const lost = request(`${first.url}/v1/bookings`, { method: 'POST', headers, body }).then(
      () => 'answered',
      () => 'cut off',
    );
    await proxy.appointmentSwallowed;
    first.child.kill('SIGKILL');
    await once(first.child, 'exit');
    expect(await lost).toBe('cut off');

    proxy.passThrough();
    const second = await serve(workspace, sandbox.clientSecret);
    children.push(second.child);
    const id = bookingIdOf('booker', 'crash-1');
    // Settled at start, before the retry: looked up at the partner, not sent again.
    const settled = await request(`${second.url}/v1/bookings/${id}`, {
      headers: { authorization: `Bearer ${KEY}` },
    });
    expect(await settled.body.json()).toMatchObject({ id, status: 'booked' });

    const retry = await request(`${second.url}/v1/bookings`, { method: 'POST', headers, body });
    expect(retry.statusCode).toBe(200);
    expect(await retry.body.json()).toMatchObject({ id, status: 'booked' });

    const appointments = await request(`${fhir.baseUrl}/Appointment`);
    const bundle = (await appointments.body.json()) as { entry?: unknown[] };
    expect(bundle.entry ?? []).toHaveLength(1);
    second.child.kill('SIGTERM');
    const [code] = (await once(second.child, 'exit')) as [number | null];
    expect(code).toBe(0);
  });
});
