import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Agent } from 'undici';
import { startSandbox, generateCertificates, type Sandbox } from '@pmsbridge/healthconnect-sandbox';
import { ValidationError, silentLogger, type Logger, type ProviderSource } from '@pmsbridge/core';
import { createPlugin } from '@pmsbridge/core/testing';
import type { WebhookEvent } from '@pmsbridge/healthconnect-contract';
import { createHealthConnectClient } from './create-client.js';
import type { HealthConnectClient } from './healthconnect-client.js';
import { HealthConnectSource } from './healthconnect-source.js';
import { healthConnectPlugin } from './plugin.js';
import { HealthConnectError } from './remote-errors.js';
import { verifyWebhook } from './webhook-verifier.js';
import { measureClientThroughput } from './client-throughput.js';

const WEEK = { startDate: '2026-12-07', endDate: '2026-12-13' };

function credentials(sandbox: Sandbox): {
  baseUrl: string;
  tokenUrl: string;
  clientId: string;
  clientSecret: string;
} {
  return {
    baseUrl: sandbox.baseUrl,
    tokenUrl: sandbox.tokenUrl,
    clientId: sandbox.clientId,
    clientSecret: sandbox.clientSecret,
  };
}

async function listAll(
  source: ProviderSource,
  startAfterId?: string,
): Promise<{ ids: string[]; invalid: string[] }> {
  const ids: string[] = [];
  const invalid: string[] = [];
  for await (const page of source.listProviders({ startAfterId })) {
    ids.push(...page.providers.map((p) => p.id));
    invalid.push(...page.invalid.map((r) => r.key));
  }
  return { ids, invalid };
}

describe('against the sandbox over HTTP', () => {
  let sandbox: Sandbox;
  let client: HealthConnectClient;

  beforeAll(async () => {
    sandbox = await startSandbox({ providers: 1000, seed: 42 });
    client = createHealthConnectClient({
      ...credentials(sandbox),
      scopes: ['provider:read', 'schedule:read', 'webhooks:manage'],
    });
  });

  afterAll(async () => {
    await client.close();
    await sandbox.close();
  });

  it('finds cardiologists in New York accepting new patients', async () => {
    const found = [];
    for await (const page of client.searchProviders({
      specialty: 'cardiology',
      location: 'New York, NY',
      acceptingNewPatients: true,
    })) {
      expect(page.invalid).toEqual([]);
      found.push(...page.providers);
    }
    expect(found.map((p) => p.id)).toContain('PRV0000000001');
    for (const provider of found) {
      expect(provider.specialties).toContain('cardiology');
      expect(provider.acceptingNewPatients).toBe(true);
      expect(
        provider.locations?.some((l) => l.address.city === 'New York' && l.address.state === 'NY'),
      ).toBe(true);
    }
  });

  it('searches as the directory asks (ProviderSearch): one page, with totals', async () => {
    const source = new HealthConnectSource(client);
    const criteria = { specialty: 'cardiology', location: 'New York, NY' };
    const first = await source.searchProviders(criteria, { page: 1, perPage: 2 });
    expect(first).toMatchObject({ page: 1, perPage: 2, hasNextPage: first.total > 2 });
    expect(first.providers.length).toBe(Math.min(2, first.total));
    const all = [];
    for await (const page of client.searchProviders(criteria)) all.push(...page.providers);
    expect(first.total).toBe(all.length);
    expect(first.providers.map((p) => p.id)).toEqual(all.slice(0, 2).map((p) => p.id));
  });

  it("reads a provider's available slots and sees a booking at once (schedules are not cached)", async () => {
    const slots = await client.getSchedule('PRV0000000001', WEEK);
    const free = slots.filter((slot) => slot.available);
    expect(free.length).toBeGreaterThan(0);
    const target = free[0];
    if (target === undefined) throw new Error('expected a free slot');
    sandbox.admin.bookSlot('PRV0000000001', target.id);
    const after = await client.getSchedule('PRV0000000001', WEEK);
    expect(after.find((slot) => slot.id === target.id)?.available).toBe(false);
  });

  it('fetches a 62-day schedule in two requests that cover the window', async () => {
    const slots = await client.getSchedule('PRV0000000002', {
      startDate: '2026-12-01',
      endDate: '2027-01-31',
    });
    const dates = slots.map((slot) => slot.date);
    expect(dates.some((d) => d.startsWith('2026-12'))).toBe(true);
    expect(dates.some((d) => d.startsWith('2027-01'))).toBe(true);
    expect(dates.every((d) => d >= '2026-12-01' && d <= '2027-01-31')).toBe(true);
  });

  it('returns undefined for an unknown provider and the details of a known one', async () => {
    expect(await client.getProvider('PRV9999999999')).toBeUndefined();
    expect((await client.getProvider('PRV0000000002'))?.name.last).toBe('Jones');
    expect((await client.getLocations('PRV0000000001')).length).toBeGreaterThan(0);
  });

  it('lists every provider exactly once by full paging, and resumes after an id', async () => {
    const source = new HealthConnectSource(client);
    const { ids, invalid } = await listAll(source);
    expect(invalid).toEqual([]);
    expect(ids).toHaveLength(1000);
    expect(new Set(ids).size).toBe(1000);
    expect([...ids].sort()).toEqual(ids);
    const resumeAfter = ids[436] as string;
    const resumed = await listAll(source, resumeAfter);
    expect(resumed.ids).toEqual(ids.slice(437));
  });

  it('reads incremental changes after admin mutations', async () => {
    let since = '2026-01-01T00:00:00Z';
    for await (const read of client.changes({ since })) since = read.until;
    const created = sandbox.admin.createProvider({ specialties: ['dermatology'] });
    sandbox.admin.updateProvider('PRV0000000002', { accepting_new_patients: true });
    sandbox.admin.deactivateProvider(created.id);
    const seen: string[] = [];
    for await (const read of client.changes({ since })) {
      expect(read.invalid).toEqual([]);
      seen.push(...read.changes.map((c) => `${c.type}:${c.providerId}`));
    }
    expect(seen).toEqual([
      `created:${created.id}`,
      'updated:PRV0000000002',
      `deactivated:${created.id}`,
    ]);
  });

  it('subscribes a webhook and verifies a signed delivery received by a local server', async () => {
    let receive: (delivery: { headers: IncomingMessage['headers']; body: Buffer }) => void = () =>
      undefined;
    const received = new Promise<{ headers: IncomingMessage['headers']; body: Buffer }>(
      (resolve) => (receive = resolve),
    );
    const receiver: Server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        res.writeHead(204).end();
        receive({ headers: req.headers, body: Buffer.concat(chunks) });
      });
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = receiver.address() as AddressInfo;
      const subscription = await client.subscribeWebhook({
        url: `http://127.0.0.1:${port}/hooks`,
        events: ['provider.updated'],
        providerId: 'PRV0000000001',
      });
      expect(subscription.secret).toMatch(/^whsec_/);
      expect((await client.listWebhooks()).map((w) => w.id)).toContain(subscription.id);
      sandbox.admin.updateProvider('PRV0000000001', { phone: '+1-212-555-0199' });
      const delivery = await received;
      const event: WebhookEvent = verifyWebhook(
        delivery.headers,
        delivery.body,
        subscription.secret ?? '',
      );
      expect(event).toMatchObject({
        type: 'provider.updated',
        data: { provider_id: 'PRV0000000001' },
      });
      expect(() =>
        verifyWebhook(
          delivery.headers,
          Buffer.concat([delivery.body, Buffer.from(' ')]),
          subscription.secret ?? '',
        ),
      ).toThrow(/no_matching_signature/);
      await client.unsubscribeWebhook(subscription.id);
      expect((await client.listWebhooks()).map((w) => w.id)).not.toContain(subscription.id);
    } finally {
      await new Promise((resolve) => receiver.close(resolve));
    }
  });

  it('creates through the plugin contract: one source that serves providers and schedules', async () => {
    // The application's logger is handed to the plugin, which builds its client with it.
    const lines: string[] = [];
    const appLogger: Logger = {
      ...silentLogger,
      debug: (message) => void lines.push(message),
      child: () => appLogger,
    };
    const source = await createPlugin(healthConnectPlugin, {
      options: { ...credentials(sandbox), perPage: 50 },
      services: { logger: appLogger },
      name: 'hc',
    });
    try {
      expect(source).toBeInstanceOf(HealthConnectSource);
      const first = await source.listProviders()[Symbol.asyncIterator]().next();
      expect(first.value?.providers).toHaveLength(50);
      expect((await source.getSchedule?.('PRV0000000001', WEEK))?.length).toBeGreaterThan(0);
      expect(lines.filter((line) => line === 'request')).toHaveLength(2);
    } finally {
      await source.stop?.();
    }
  });

  it('measures schedule throughput, counting the same slots at any concurrency', async () => {
    const run = (concurrency: number): ReturnType<typeof measureClientThroughput> =>
      measureClientThroughput({
        ...credentials(sandbox),
        concurrency,
        providers: 20,
        days: 7,
        startDate: '2026-12-14',
      });
    const serial = await run(1);
    const parallel = await run(8);
    expect(serial.requests).toBe(20);
    expect(serial.slots).toBeGreaterThan(0);
    expect(parallel.slots).toBe(serial.slots);
    expect(parallel.requestsPerSecond).toBeGreaterThan(0);
  });
});

describe('against a faulty sandbox', () => {
  let sandbox: Sandbox;

  beforeAll(async () => {
    sandbox = await startSandbox({
      providers: 1000,
      seed: 7,
      faults: '*:500=0.1,429=0.05,reset=0.02;invalidRecords=0.01',
    });
  });

  afterAll(async () => {
    await sandbox.close();
  });

  it('still lists every provider exactly once and reports exactly the corrupted ones as invalid', async () => {
    const retried: unknown[] = [];
    const logger: Logger = {
      ...silentLogger,
      debug: (message, fields) => void (message === 'retrying' && retried.push(fields)),
      child: () => logger,
    };
    const client = createHealthConnectClient(
      {
        ...credentials(sandbox),
        retry: { maxAttempts: 10, baseDelayMs: 1, maxDelayMs: 5, maxRetryAfterMs: 5 },
      },
      { logger },
    );
    try {
      const source = new HealthConnectSource(client);
      const invalid: Array<{ key: string; error: unknown }> = [];
      const ids: string[] = [];
      for await (const page of source.listProviders()) {
        ids.push(...page.providers.map((p) => p.id));
        invalid.push(...page.invalid);
      }
      const corrupted = sandbox.admin.corruptedProviderIds();
      expect(corrupted.length).toBeGreaterThan(0);
      expect(invalid.map((r) => r.key).sort()).toEqual([...corrupted].sort());
      for (const record of invalid) expect(record.error).toBeInstanceOf(ValidationError);
      const all = [...ids, ...invalid.map((r) => r.key)];
      expect(all).toHaveLength(1000);
      expect(new Set(all).size).toBe(1000);
      expect(retried.length).toBeGreaterThan(0); // faults were injected and survived
    } finally {
      await client.close();
    }
  });
});

describe('mutual TLS against the sandbox', () => {
  let dir: string;
  let sandbox: Sandbox;
  let files: Awaited<ReturnType<typeof generateCertificates>>;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'hc-mtls-'));
    files = await generateCertificates(dir);
    sandbox = await startSandbox({ providers: 50, tls: { certDir: dir, requireClientCert: true } });
  });

  afterAll(async () => {
    await sandbox.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('calls the API over TLS with a client certificate and no Authorization header', async () => {
    const client = createHealthConnectClient(
      { baseUrl: sandbox.baseUrl, mtls: { cert: 'client.crt', key: 'client.key', ca: 'ca.crt' } },
      { baseDir: dir },
    );
    try {
      expect(sandbox.baseUrl.startsWith('https://')).toBe(true);
      expect((await client.getProvider('PRV0000000001'))?.id).toBe('PRV0000000001');
      expect((await client.getSchedule('PRV0000000001', WEEK)).length).toBeGreaterThan(0);
    } finally {
      await client.close();
    }
  });

  it('fails the handshake without a client certificate', async () => {
    const { readFile } = await import('node:fs/promises');
    const agent = new Agent({ connect: { ca: await readFile(files.caCert) } });
    const client = createHealthConnectClient(
      { ...credentials(sandbox), retry: { maxAttempts: 1 } },
      { dispatcher: agent },
    );
    try {
      const error = await client.getProvider('PRV0000000001').catch((e: unknown) => e);
      expect(error).toBeInstanceOf(HealthConnectError);
      expect((error as HealthConnectError).isNetworkError).toBe(true);
    } finally {
      await agent.close();
    }
  });
});
