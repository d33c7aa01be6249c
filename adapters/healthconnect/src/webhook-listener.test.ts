import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { request } from 'undici';
import { MemoryStateStore, rollingWindow } from '@pmsbridge/core';
import type { WebhookEvent } from '@pmsbridge/healthconnect-contract';
import { signWebhook, startSandbox, type Sandbox } from '@pmsbridge/healthconnect-sandbox';
import { createHealthConnectClient } from './create-client.js';
import type { HealthConnectClient } from './healthconnect-client.js';
import { startWebhookListener, type WebhookListener } from './webhook-listener.js';

/** Events handed to `onEvents`, with a way to wait for the next batch. */
function eventSink() {
  const batches: WebhookEvent[][] = [];
  let notify: () => void = () => undefined;
  return {
    batches,
    onEvents: async (events: WebhookEvent[]) => {
      batches.push(events);
      notify();
    },
    next: () =>
      new Promise<void>((resolve) => {
        notify = resolve;
      }),
  };
}

describe('webhook listener', () => {
  let sandbox: Sandbox;
  let client: HealthConnectClient;

  beforeAll(async () => {
    sandbox = await startSandbox({ providers: 50, seed: 3 });
    client = createHealthConnectClient({
      baseUrl: sandbox.baseUrl,
      tokenUrl: sandbox.tokenUrl,
      clientId: sandbox.clientId,
      clientSecret: sandbox.clientSecret,
      scopes: ['provider:read', 'schedule:read', 'webhooks:manage'],
    });
  });

  afterAll(async () => {
    await client.close();
    await sandbox.close();
  });

  it('receives a signed schedule.updated delivery from HealthConnect and hands the event on', async () => {
    const events = eventSink();
    const secretHolder: { secret: string } = { secret: 'whsec_placeholder' };
    const listener: WebhookListener = await startWebhookListener({
      get secret() {
        return secretHolder.secret;
      },
      seen: new MemoryStateStore(),
      onEvents: events.onEvents,
    });
    try {
      const subscription = await client.subscribeWebhook({
        url: listener.url,
        events: ['schedule.updated'],
        providerId: 'PRV0000000001',
      });
      secretHolder.secret = subscription.secret ?? '';
      const slot = (await client.getSchedule('PRV0000000001', rollingWindow(new Date(), 14))).find(
        (s) => s.available,
      );
      if (slot === undefined) throw new Error('no free slot to book');
      const delivered = events.next();
      sandbox.admin.bookSlot('PRV0000000001', slot.id);
      await delivered;
      expect(events.batches.flat()).toEqual([
        expect.objectContaining({
          type: 'schedule.updated',
          data: expect.objectContaining({ provider_id: 'PRV0000000001', start_date: slot.date }),
        }),
      ]);
      await client.unsubscribeWebhook(subscription.id);
    } finally {
      await listener.close();
    }
  });

  it('answers a redelivery with 200 without acting again, and rejects a bad signature with 400', async () => {
    const events = eventSink();
    const secret = `whsec_${Buffer.from('listener-test-secret').toString('base64')}`;
    const listener = await startWebhookListener({
      secret,
      seen: new MemoryStateStore(),
      onEvents: events.onEvents,
    });
    try {
      const body = JSON.stringify({
        id: 'evt_1',
        type: 'provider.updated',
        created_at: new Date().toISOString(),
        data: { provider_id: 'PRV0000000007' },
      });
      const timestamp = Math.floor(Date.now() / 1000);
      const headers = {
        'content-type': 'application/json',
        'webhook-id': 'msg_1',
        'webhook-timestamp': String(timestamp),
        'webhook-signature': signWebhook(secret, 'msg_1', timestamp, body),
      };
      const post = async (extra: Record<string, string> = {}) => {
        const response = await request(listener.url, {
          method: 'POST',
          headers: { ...headers, ...extra },
          body,
        });
        await response.body.dump();
        return response.statusCode;
      };
      expect(await post()).toBe(202);
      expect(await post()).toBe(200);
      expect(await post({ 'webhook-signature': 'v1,AAAA' })).toBe(400);
      await listener.idle();
      expect(events.batches.flat().map((event) => event.id)).toEqual(['evt_1']);
    } finally {
      await listener.close();
    }
  });

  it('never overlaps calls: events arriving during one are handed over together in the next', async () => {
    const secret = `whsec_${Buffer.from('overlap-secret').toString('base64')}`;
    const calls: string[][] = [];
    let active = 0;
    let peak = 0;
    let release: () => void = () => undefined;
    const firstCallBlocked = new Promise<void>((resolve) => (release = resolve));
    const listener = await startWebhookListener({
      secret,
      seen: new MemoryStateStore(),
      onEvents: async (events) => {
        active += 1;
        peak = Math.max(peak, active);
        calls.push(events.map((event) => event.id));
        if (calls.length === 1) await firstCallBlocked;
        active -= 1;
      },
    });
    try {
      const send = async (n: number) => {
        const body = JSON.stringify({
          id: `evt_${n}`,
          type: 'provider.updated',
          created_at: new Date().toISOString(),
          data: { provider_id: 'PRV0000000001' },
        });
        const timestamp = Math.floor(Date.now() / 1000);
        const response = await request(listener.url, {
          method: 'POST',
          headers: {
            'webhook-id': `msg_${n}`,
            'webhook-timestamp': String(timestamp),
            'webhook-signature': signWebhook(secret, `msg_${n}`, timestamp, body),
          },
          body,
        });
        await response.body.dump();
      };
      await send(1);
      await send(2);
      await send(3);
      release();
      await listener.idle();
      expect(calls).toEqual([['evt_1'], ['evt_2', 'evt_3']]);
      expect(peak).toBe(1);
    } finally {
      await listener.close();
    }
  });
});
