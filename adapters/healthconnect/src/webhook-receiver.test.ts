import { createHmac, randomBytes } from 'node:crypto';
import { afterEach, describe, expect, it } from '@jest/globals';
import { MemoryStateStore, SqliteStateStore, type StateStore } from '@pmsbridge/core';
import { ManualTime } from '@pmsbridge/core/http';
import { receiveWebhook, WEBHOOK_SEEN_NAMESPACE } from './webhook-receiver.js';
import { WebhookVerificationError } from './webhook-verifier.js';

const key = randomBytes(32);
const secret = `whsec_${key.toString('base64')}`;
const body = JSON.stringify({
  id: 'evt_1',
  type: 'provider.updated',
  created_at: '2026-12-01T12:00:00Z',
  data: { provider_id: 'PRV0000000001' },
});

function delivery(id: string, time: ManualTime): Record<string, string> {
  const timestamp = String(time.now().getTime() / 1000);
  const signature = createHmac('sha256', key).update(`${id}.${timestamp}.${body}`).digest('base64');
  return {
    'webhook-id': id,
    'webhook-timestamp': timestamp,
    'webhook-signature': `v1,${signature}`,
  };
}

const stores: Array<[string, (time: ManualTime) => StateStore & { close(): Promise<void> }]> = [
  ['MemoryStateStore', (time) => new MemoryStateStore({ clock: time })],
  [
    "SqliteStateStore.open(':memory:')",
    (time) => SqliteStateStore.open(':memory:', { clock: time }),
  ],
];

describe.each(stores)('receiveWebhook with %s', (_name, open) => {
  let store: (StateStore & { close(): Promise<void> }) | undefined;

  afterEach(async () => {
    await store?.close();
    store = undefined;
  });

  it('reports the second delivery of the same webhook-id as a duplicate', async () => {
    const time = new ManualTime();
    store = open(time);
    const headers = delivery('msg_1', time);
    const first = await receiveWebhook({
      headers,
      rawBody: body,
      secret,
      seen: store,
      clock: time,
    });
    expect(first).toMatchObject({ isDuplicate: false, event: { id: 'evt_1' } });
    const again = await receiveWebhook({
      headers,
      rawBody: body,
      secret,
      seen: store,
      clock: time,
    });
    expect(again).toMatchObject({ isDuplicate: true, event: { id: 'evt_1' } });
    const other = await receiveWebhook({
      headers: delivery('msg_2', time),
      rawBody: body,
      secret,
      seen: store,
      clock: time,
    });
    expect(other.isDuplicate).toBe(false);
  });

  it('throws for a tampered body and records nothing', async () => {
    const time = new ManualTime();
    store = open(time);
    const headers = delivery('msg_3', time);
    const tampered = body.replace('PRV0000000001', 'PRV0000000002');
    await expect(
      receiveWebhook({ headers, rawBody: tampered, secret, seen: store, clock: time }),
    ).rejects.toBeInstanceOf(WebhookVerificationError);
    // The id was not recorded: the genuine delivery is still new.
    expect(await store.markSeen(WEBHOOK_SEEN_NAMESPACE, 'msg_3', 1_000)).toBe(true);
  });

  it('forgets an id after ttlMs, 24 hours by default', async () => {
    const time = new ManualTime();
    store = open(time);
    const receive = async (): Promise<boolean> =>
      (
        await receiveWebhook({
          headers: delivery('msg_4', time),
          rawBody: body,
          secret,
          seen: store as StateStore,
          clock: time,
        })
      ).isDuplicate;
    expect(await receive()).toBe(false);
    time.advance(24 * 3_600_000 - 1_000);
    expect(await receive()).toBe(true);
    time.advance(24 * 3_600_000);
    expect(await receive()).toBe(false);
  });
});
