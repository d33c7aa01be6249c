import { createHmac } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { WebhookEventSchema, WebhookSubscriptionSchema } from '@pmsbridge/healthconnect-contract';
import { call, tokenFor } from './api-test-client.js';
import { startSandbox, type Sandbox } from './sandbox.js';

interface Received {
  headers: IncomingMessage['headers'];
  body: string;
}

/** A receiver that answers with the next status of `statuses` (then 200) and reports each request. */
async function startReceiver(
  statuses: number[],
): Promise<{ server: Server; url: string; next: () => Promise<Received> }> {
  const queue: Received[] = [];
  const waiting: Array<(r: Received) => void> = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      res.writeHead(statuses.shift() ?? 200).end();
      const received = { headers: req.headers, body: Buffer.concat(chunks).toString('utf8') };
      const waiter = waiting.shift();
      if (waiter) waiter(received);
      else queue.push(received);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    server,
    url: `http://127.0.0.1:${port}/hooks`,
    next: () => {
      const ready = queue.shift();
      return ready ? Promise.resolve(ready) : new Promise((resolve) => waiting.push(resolve));
    },
  };
}

function verify(secret: string, received: Received): boolean {
  const key = Buffer.from(secret.slice('whsec_'.length), 'base64');
  const id = String(received.headers['webhook-id']);
  const timestamp = String(received.headers['webhook-timestamp']);
  const expected = createHmac('sha256', key)
    .update(`${id}.${timestamp}.${received.body}`)
    .digest('base64');
  return String(received.headers['webhook-signature'])
    .split(' ')
    .some((sig) => sig === `v1,${expected}`);
}

describe('webhooks', () => {
  let sandbox: Sandbox;
  let token: string;
  const servers: Server[] = [];
  beforeAll(async () => {
    sandbox = await startSandbox({ providers: 20, webhookRetryDelaysMs: [1, 1] });
    token = await tokenFor(sandbox);
  });
  afterEach(async () => {
    await Promise.all(servers.splice(0).map((s) => new Promise((resolve) => s.close(resolve))));
  });
  afterAll(() => sandbox.close());

  const subscribe = async (body: unknown) =>
    call(`${sandbox.baseUrl}/webhooks`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });

  it('creates, lists and deletes subscriptions', async () => {
    const created = await subscribe({
      url: 'https://pms.example.com/hooks',
      events: ['provider.updated'],
    });
    expect(created.status).toBe(201);
    const hook = WebhookSubscriptionSchema.parse(created.body);
    expect(hook.id).toMatch(/^WHK/);
    expect(hook.secret).toMatch(/^whsec_[A-Za-z0-9+/]+=*$/);
    const list = await call(`${sandbox.baseUrl}/webhooks`, {
      headers: { authorization: `Bearer ${token}` },
    });
    const listed = (list.body as { webhooks: Array<Record<string, unknown>> }).webhooks;
    expect(listed.find((w) => w.id === hook.id)).toBeDefined();
    expect(listed.every((w) => w.secret === undefined)).toBe(true);
    const auth = { authorization: `Bearer ${token}` };
    expect(
      (await call(`${sandbox.baseUrl}/webhooks/${hook.id}`, { method: 'DELETE', headers: auth }))
        .status,
    ).toBe(204);
    expect(
      (await call(`${sandbox.baseUrl}/webhooks/${hook.id}`, { method: 'DELETE', headers: auth }))
        .status,
    ).toBe(404);
    expect((await subscribe({ url: 'ftp://x', events: ['provider.updated'] })).status).toBe(400);
    expect((await subscribe({ url: 'https://x.example', events: ['nope'] })).status).toBe(400);
  });

  it('delivers signed events and retries after a 500 with the same webhook-id', async () => {
    const receiver = await startReceiver([500]);
    servers.push(receiver.server);
    const created = await subscribe({
      url: receiver.url,
      events: ['schedule.updated'],
      provider_id: 'PRV0000000002',
    });
    const { secret } = WebhookSubscriptionSchema.parse(created.body);
    if (!secret) throw new Error('expected a secret');

    const schedule = await call(
      `${sandbox.baseUrl}/providers/PRV0000000002/schedule?start_date=2026-12-07&end_date=2026-12-11`,
      {
        headers: { authorization: `Bearer ${token}` },
      },
    );
    const slot = (
      schedule.body as { schedule: Array<{ slot_id: string; date: string; available: boolean }> }
    ).schedule.find((s) => s.available);
    if (!slot) throw new Error('expected a free slot');
    sandbox.admin.updateProvider('PRV0000000003', { accepting_new_patients: true }); // other provider, other event: not delivered
    sandbox.admin.bookSlot('PRV0000000002', slot.slot_id);

    const first = await receiver.next();
    const second = await receiver.next();
    for (const received of [first, second]) {
      expect(verify(secret, received)).toBe(true);
      expect(verify(`whsec_${Buffer.from('another key').toString('base64')}`, received)).toBe(
        false,
      );
      const event = WebhookEventSchema.parse(JSON.parse(received.body));
      expect(event).toMatchObject({
        type: 'schedule.updated',
        data: { provider_id: 'PRV0000000002', start_date: slot.date, end_date: slot.date },
      });
      expect(
        Math.abs(Number(received.headers['webhook-timestamp']) - Date.now() / 1000),
      ).toBeLessThan(300);
    }
    expect(second.headers['webhook-id']).toBe(first.headers['webhook-id']);
    // The sandbox records an attempt once it has read the answer: give it event-loop turns, no timers.
    const recorded = () =>
      sandbox.admin.webhookDeliveries().filter((d) => d.eventId === first.headers['webhook-id']);
    for (let turn = 0; turn < 1000 && recorded().length < 2; turn++)
      await new Promise((r) => setImmediate(r));
    const deliveries = sandbox.admin
      .webhookDeliveries()
      .filter((d) => d.eventId === first.headers['webhook-id']);
    expect(deliveries.map((d) => [d.attempt, d.status])).toEqual([
      [1, 500],
      [2, 200],
    ]);
  });
});
