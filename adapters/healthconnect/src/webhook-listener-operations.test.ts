import { describe, expect, it } from '@jest/globals';
import { Agent, request as httpRequest, type IncomingMessage } from 'node:http';
import { request } from 'undici';
import { MemoryStateStore, Metrics } from '@pmsbridge/core';
import type { WebhookEvent } from '@pmsbridge/healthconnect-contract';
import { signWebhook } from '@pmsbridge/healthconnect-sandbox';
import { startWebhookListener } from './webhook-listener.js';

const secret = `whsec_${Buffer.from('operations-test-secret').toString('base64')}`;

/** A signed delivery of a `schedule.updated` event for `provider`. */
function delivery(id: string, provider: string): { headers: Record<string, string>; body: string } {
  const body = JSON.stringify({
    id,
    type: 'schedule.updated',
    created_at: new Date().toISOString(),
    data: { provider_id: provider, start_date: '2026-03-09', end_date: '2026-03-09' },
  });
  const timestamp = Math.floor(Date.now() / 1000);
  return {
    body,
    headers: {
      'content-type': 'application/json',
      'webhook-id': id,
      'webhook-timestamp': String(timestamp),
      'webhook-signature': signWebhook(secret, id, timestamp, body),
    },
  };
}

async function deliver(url: string, id: string, provider: string): Promise<number> {
  const response = await request(url, { method: 'POST', ...delivery(id, provider) });
  await response.body.dump();
  return response.statusCode;
}

async function get(url: string): Promise<{ status: number; type?: string; text: string }> {
  const response = await request(url);
  const type = response.headers['content-type'];
  return {
    status: response.statusCode,
    type: Array.isArray(type) ? type[0] : type,
    text: await response.body.text(),
  };
}

/** A sample line of the text exposition format: a name, optional labels, a value. */
const SAMPLE =
  /^[a-zA-Z_:][a-zA-Z0-9_:]*(\{[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\]|\\.)*"(,[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\]|\\.)*")*\})? [-+0-9.eE]+|NaN|[+-]Inf$/;

describe('webhook listener operations endpoints', () => {
  it('serves /healthz, /readyz and /metrics, with the events not yet acted on as the queue depth', async () => {
    const metrics = new Metrics();
    let release: () => void = () => undefined;
    const released = new Promise<void>((resolve) => (release = resolve));
    const handed: WebhookEvent[][] = [];
    const listener = await startWebhookListener({
      secret,
      seen: new MemoryStateStore(),
      metrics,
      onEvents: async (events) => {
        handed.push(events);
        await released;
      },
    });
    const base = new URL(listener.url).origin;
    try {
      expect(await get(`${base}/healthz`)).toMatchObject({ status: 200 });
      expect(await get(`${base}/readyz`)).toMatchObject({ status: 200 });
      // The first event is being acted on; the two after it wait.
      for (const n of [1, 2, 3])
        expect(await deliver(listener.url, `evt_${n}`, `PRV000000000${n}`)).toBe(202);
      const scraped = await get(`${base}/metrics`);
      expect(scraped.status).toBe(200);
      expect(scraped.type).toBe('text/plain; version=0.0.4; charset=utf-8');
      const samples = scraped.text
        .split('\n')
        .filter((line) => line !== '' && !line.startsWith('#'));
      expect(samples.filter((line) => !SAMPLE.test(line))).toEqual([]);
      expect(samples).toContain('pmsbridge_queue_depth{queue="healthconnect-webhooks"} 3');
      expect(samples.some((line) => line.startsWith('process_cpu_user_seconds_total '))).toBe(true);
      release();
      await listener.idle();
      expect(handed.flat().map((event) => event.id)).toEqual(['evt_1', 'evt_2', 'evt_3']);
      expect((await get(`${base}/metrics`)).text).toContain(
        'pmsbridge_queue_depth{queue="healthconnect-webhooks"} 0',
      );
    } finally {
      release();
      await listener.close();
    }
  });

  it('answers no /metrics without metrics, and still takes deliveries only at its path', async () => {
    const listener = await startWebhookListener({
      secret,
      seen: new MemoryStateStore(),
      onEvents: async () => undefined,
    });
    const base = new URL(listener.url).origin;
    try {
      expect((await get(`${base}/metrics`)).status).toBe(404);
      expect((await get(`${base}/healthz`)).status).toBe(200);
      const posted = await request(`${base}/healthz`, { method: 'POST', body: '{}' });
      await posted.body.dump();
      expect(posted.statusCode).toBe(404);
    } finally {
      await listener.close();
    }
  });

  it('lets a delivery under way finish when closed, then hands its event over', async () => {
    const handed: string[] = [];
    const listener = await startWebhookListener({
      secret,
      seen: new MemoryStateStore(),
      onEvents: async (events) => {
        handed.push(...events.map((event) => event.id));
      },
    });
    const agent = new Agent({ keepAlive: true });
    const { headers, body } = delivery('evt_late', 'PRV0000000009');
    // With `Expect: 100-continue`, the server says it took the request before the body is sent.
    const sent = httpRequest(listener.url, {
      method: 'POST',
      agent,
      headers: { ...headers, 'content-length': String(body.length), expect: '100-continue' },
    });
    const answered = new Promise<IncomingMessage>((resolve, reject) => {
      sent.on('response', resolve);
      sent.on('error', reject);
    });
    await new Promise<void>((resolve) => sent.on('continue', () => resolve()));
    const closed = listener.close();
    sent.end(body);
    const response = await answered;
    response.resume();
    expect(response.statusCode).toBe(202);
    // The connection is not kept alive for more: closing does not wait out a keep-alive timeout.
    expect(response.headers.connection).toBe('close');
    await closed;
    expect(handed).toEqual(['evt_late']);
    agent.destroy();
  });
});
