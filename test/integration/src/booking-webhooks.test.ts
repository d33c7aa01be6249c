/**
 * After a booking, `pmsbridge serve` subscribes the provider's `schedule.updated` webhooks
 * (once per provider), keeping the subscription's secret in the shared state store;
 * `pmsbridge webhooks`, on the same config and store, verifies HealthConnect's deliveries with
 * it and re-reads only that provider into the FHIR server.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { request } from 'undici';
import { createHealthConnectClient } from '@pmsbridge/adapter-healthconnect';
import { hashApiKey, loadConfig, openServeApp, type ServeApp } from '@pmsbridge/core';
import { RecordingLogger } from '@pmsbridge/core/testing';
import { startSandbox, type Sandbox } from '@pmsbridge/healthconnect-sandbox';
import { startFhirServer, type FhirServer } from '@pmsbridge/test-fhir-server';
import { PMSBRIDGE_CLI, freePort, lineMatching } from './cli-process.js';
import { createWorkspace, runSync, sandboxSource, type Workspace } from './pipeline-harness.js';

const BOOKER = 'pmsb_booker-key-for-tests-0000000000000000000';
const patient = { firstName: 'Ana', lastName: 'Rivera', birthDate: '1980-04-02' };

async function slotStatus(fhir: FhirServer, slotId: string): Promise<string> {
  const response = await request(`${fhir.baseUrl}/Slot/${slotId}`);
  return ((await response.body.json()) as { status: string }).status;
}

describe('bookings subscribe schedule webhooks, which re-read the provider', () => {
  let sandbox: Sandbox;
  let fhir: FhirServer;
  let workspace: Workspace;
  let app: ServeApp | undefined;
  let webhooks: ChildProcess | undefined;

  beforeAll(async () => {
    sandbox = await startSandbox({ providers: 20, seed: 11 });
    fhir = await startFhirServer();
    workspace = await createWorkspace();
  });

  afterAll(async () => {
    await app?.close();
    if (webhooks !== undefined && webhooks.exitCode === null) {
      webhooks.kill('SIGKILL');
      await once(webhooks, 'exit');
    }
    await fhir?.close();
    await sandbox?.close();
    await workspace?.cleanup();
  });

  it('subscribes once per booked provider; a delivery signed with that secret re-reads only it', async () => {
    const port = await freePort();
    const hookUrl = `http://127.0.0.1:${port}/hooks/healthconnect`;
    const config = `pipeline: booked-webhooks
state: { path: state.sqlite }
log: { level: info }
${sandboxSource(sandbox)}    scheduleWebhooks: { url: '${hookUrl}' }
sinks:
  - use: '@pmsbridge/adapter-fhir'
    name: fhir
    options: { target: server, baseUrl: '${fhir.baseUrl}' }
booking:
  use: '@pmsbridge/adapter-fhir/booking'
  options: { baseUrl: '${fhir.baseUrl}', maxRetries: 0 }
serve:
  port: 0
  apiKeys:
    - { id: booker, hash: '${hashApiKey(BOOKER)}', scopes: [read, book] }
sync: { horizonDays: 7 }
`;
    await runSync(workspace, sandbox, config, 'full');
    const path = join(workspace.dir, 'pipeline.yaml');
    const env: NodeJS.ProcessEnv = { ...process.env, HC_TEST_SECRET: sandbox.clientSecret };

    // The receiver: no HEALTHCONNECT_WEBHOOK_SECRET and no --subscribe; the secrets are the
    // subscriptions' own, from the state store.
    const { HEALTHCONNECT_WEBHOOK_SECRET: _unset, ...withoutSecret } = env;
    webhooks = spawn(
      process.execPath,
      [PMSBRIDGE_CLI, 'webhooks', '--config', path, '--port', String(port)],
      { env: withoutSecret, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    const { stdout, stderr } = webhooks;
    if (stdout === null || stderr === null) throw new Error('no pipes');
    await lineMatching(stdout, /^listening on http/);

    const logger = new RecordingLogger();
    app = await openServeApp(await loadConfig(path, env), { logger });
    const serveUrl = app.server.url;
    const book = async (key: string, providerId: string, slotId: string) => {
      const response = await request(`${serveUrl}/v1/bookings`, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${BOOKER}`,
          'content-type': 'application/json',
          'idempotency-key': key,
        },
        body: JSON.stringify({ providerId, slotId, patient }),
      });
      return { status: response.statusCode, body: await response.body.json() };
    };

    const provider = 'PRV0000000001';
    const schedule = await (async () => {
      const client = createHealthConnectClient({
        baseUrl: sandbox.baseUrl,
        tokenUrl: sandbox.tokenUrl,
        clientId: sandbox.clientId,
        clientSecret: sandbox.clientSecret,
      });
      try {
        const today = new Date().toISOString().slice(0, 10);
        const end = new Date(Date.now() + 6 * 86_400_000).toISOString().slice(0, 10);
        return await client.getSchedule(provider, { startDate: today, endDate: end });
      } finally {
        await client.close();
      }
    })();
    const [first, second, third] = schedule.filter((slot) => slot.available);
    if (first === undefined || second === undefined || third === undefined) {
      throw new Error('too few free slots');
    }
    expect((await book('k-1', provider, first.id)).status).toBe(201);
    expect((await book('k-2', provider, second.id)).status).toBe(201);
    await app.bookings.flush();

    const manager = createHealthConnectClient({
      baseUrl: sandbox.baseUrl,
      tokenUrl: sandbox.tokenUrl,
      clientId: sandbox.clientId,
      clientSecret: sandbox.clientSecret,
      scopes: ['webhooks:manage'],
    });
    try {
      expect(await manager.listWebhooks()).toEqual([
        expect.objectContaining({
          provider_id: provider,
          url: hookUrl,
          events: ['schedule.updated'],
        }),
      ]);
    } finally {
      await manager.close();
    }

    // HealthConnect takes a third slot (booked elsewhere): the delivery, signed with the
    // subscription's secret, is verified and only that provider is re-read.
    expect(await slotStatus(fhir, third.id)).toBe('free');
    const before = sandbox.requests().length;
    const reread = lineMatching(stderr, /providers re-read after webhooks/);
    sandbox.admin.bookSlot(provider, third.id);
    expect(JSON.parse(await reread)).toMatchObject({ read: 1, written: 1 });
    expect(sandbox.admin.webhookDeliveries()).toEqual([
      expect.objectContaining({ type: 'schedule.updated', status: 202 }),
    ]);
    expect(await slotStatus(fhir, third.id)).toBe('busy');
    const reads = sandbox
      .requests()
      .slice(before)
      .filter((r) => r.method === 'GET')
      .map((r) => r.path.replace(/^\/provider\/v2/, ''));
    expect(reads.sort()).toEqual([`/providers/${provider}`, `/providers/${provider}/schedule`]);

    // The secret is in the state store, never in a log line.
    expect(logger.messages('info')).toContain('schedule changes subscribed');
    expect(JSON.stringify(logger.lines)).not.toMatch(/whsec_/);

    webhooks.kill('SIGTERM');
    const [code] = (await once(webhooks, 'exit')) as [number | null];
    expect(code).toBe(0);
  });
});
