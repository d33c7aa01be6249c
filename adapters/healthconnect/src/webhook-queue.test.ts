import { describe, expect, it } from '@jest/globals';
import { request } from 'undici';
import { MemoryStateStore } from '@pmsbridge/core';
import type { WebhookEvent } from '@pmsbridge/healthconnect-contract';
import { signWebhook } from '@pmsbridge/healthconnect-sandbox';
import { startWebhookListener } from './webhook-listener.js';
import { WEBHOOK_QUEUE_NAMESPACE, WebhookQueue } from './webhook-queue.js';

const secret = `whsec_${Buffer.from('queue-test-secret').toString('base64')}`;

/** Posts a signed delivery of a `schedule.updated` event for `provider`. */
async function deliver(url: string, id: string, provider: string): Promise<number> {
  const body = JSON.stringify({
    id,
    type: 'schedule.updated',
    created_at: new Date().toISOString(),
    data: { provider_id: provider, start_date: '2026-03-09', end_date: '2026-03-09' },
  });
  const timestamp = Math.floor(Date.now() / 1000);
  const response = await request(url, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'webhook-id': id,
      'webhook-timestamp': String(timestamp),
      'webhook-signature': signWebhook(secret, id, timestamp, body),
    },
    body,
  });
  await response.body.dump();
  return response.statusCode;
}

describe('webhook listener with a durable queue', () => {
  it('queues a delivery before answering, and a restart hands over what was not handled', async () => {
    const state = new MemoryStateStore();
    const queue = new WebhookQueue(state, { now: () => new Date() });
    // The first process fails to act (it would crash here): the events stay queued.
    const failing = await startWebhookListener({
      secret,
      seen: state,
      queue,
      onEvents: async () => {
        throw new Error('process died mid-work');
      },
    });
    try {
      expect(await deliver(failing.url, 'evt_1', 'PRV0000000001')).toBe(202);
      expect(await state.getRecord(WEBHOOK_QUEUE_NAMESPACE, 'evt_1')).toBeDefined();
      await failing.idle();
    } finally {
      await failing.close();
    }
    expect((await queue.pending()).map((e) => e.id)).toEqual(['evt_1']);

    // The restart works off the queue before any new delivery.
    const handled: WebhookEvent[][] = [];
    const restarted = await startWebhookListener({
      secret,
      seen: state,
      queue,
      onEvents: async (events) => {
        handled.push(events);
      },
    });
    try {
      await restarted.idle();
      expect(handled.flat().map((e) => e.id)).toEqual(['evt_1']);
      expect(await queue.pending()).toEqual([]);
      // A redelivery of a handled id is answered 200 and not acted on again.
      expect(await deliver(restarted.url, 'evt_1', 'PRV0000000001')).toBe(200);
      expect(await deliver(restarted.url, 'evt_2', 'PRV0000000002')).toBe(202);
      await restarted.idle();
      expect(handled.flat().map((e) => e.id)).toEqual(['evt_1', 'evt_2']);
    } finally {
      await restarted.close();
    }
  });

  it('forgets handled deliveries after a day', async () => {
    const state = new MemoryStateStore();
    let now = Date.parse('2026-03-02T10:00:00Z');
    const queue = new WebhookQueue(state, { now: () => new Date(now) });
    const event = {
      id: 'evt_9',
      type: 'provider.updated',
      created_at: '2026-03-02T10:00:00Z',
      data: { provider_id: 'PRV0000000009' },
    } as WebhookEvent;
    expect(await queue.enqueue(event)).toBe(true);
    await queue.handled(['evt_9']);
    expect(await queue.enqueue(event)).toBe(false);
    now += 25 * 3_600_000;
    await queue.handled([]);
    expect(await queue.enqueue(event)).toBe(true);
  });
});
