import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { MemoryStateStore, rollingWindow } from '@pmsbridge/core';
import { RecordingLogger } from '@pmsbridge/core/testing';
import type { WebhookEvent } from '@pmsbridge/healthconnect-contract';
import { startSandbox, type Sandbox } from '@pmsbridge/healthconnect-sandbox';
import { createHealthConnectClient } from './create-client.js';
import type { HealthConnectClient } from './healthconnect-client.js';
import {
  SCHEDULE_SUBSCRIPTIONS_NAMESPACE,
  ScheduleSubscriptions,
  readScheduleSubscription,
} from './schedule-subscriptions.js';
import { startWebhookListener } from './webhook-listener.js';

const PROVIDER = 'PRV0000000001';

async function until(condition: () => boolean): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('timed out waiting');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe('ScheduleSubscriptions', () => {
  let sandbox: Sandbox;
  let client: HealthConnectClient;
  let state: MemoryStateStore;

  beforeAll(async () => {
    sandbox = await startSandbox({ providers: 20, seed: 5 });
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

  beforeEach(async () => {
    for (const hook of await client.listWebhooks()) await client.unsubscribeWebhook(hook.id);
    state = new MemoryStateStore();
  });

  const subscriptionsTo = (url: string, logger = new RecordingLogger()) =>
    new ScheduleSubscriptions({ client, records: state, leases: state, logger }, url);

  it('subscribes a provider once, however often and however concurrently it is asked', async () => {
    const logger = new RecordingLogger();
    const subscriptions = subscriptionsTo('http://127.0.0.1:9/hooks/healthconnect', logger);
    await Promise.all(Array.from({ length: 5 }, () => subscriptions.watchSchedule(PROVIDER)));
    await subscriptions.watchSchedule(PROVIDER);
    // A second process sharing the store subscribes nothing either.
    await subscriptionsTo('http://127.0.0.1:9/hooks/healthconnect').watchSchedule(PROVIDER);

    const hooks = await client.listWebhooks();
    expect(hooks).toEqual([
      expect.objectContaining({
        provider_id: PROVIDER,
        url: 'http://127.0.0.1:9/hooks/healthconnect',
        events: ['schedule.updated'],
      }),
    ]);
    const stored = await readScheduleSubscription(state, PROVIDER);
    expect(stored).toEqual({
      id: hooks[0]?.id,
      url: 'http://127.0.0.1:9/hooks/healthconnect',
      secret: expect.stringMatching(/^whsec_/),
    });
    // The secret is kept in the store, never logged.
    expect(JSON.stringify(logger.lines)).not.toContain(stored?.secret);
  });

  it('replaces a subscription whose secret was lost, and one made for another URL', async () => {
    // A crash between subscribing and recording left a subscription nobody can verify.
    const orphan = await client.subscribeWebhook({
      url: 'http://127.0.0.1:9/hooks/healthconnect',
      events: ['schedule.updated'],
      providerId: PROVIDER,
    });
    await subscriptionsTo('http://127.0.0.1:9/hooks/healthconnect').watchSchedule(PROVIDER);
    let hooks = await client.listWebhooks();
    expect(hooks.map((hook) => hook.id)).not.toContain(orphan.id);
    expect(hooks).toHaveLength(1);

    // The receiver moved: the next watch subscribes the new URL and removes the old one.
    await subscriptionsTo('http://127.0.0.1:10/hooks').watchSchedule(PROVIDER);
    hooks = await client.listWebhooks();
    expect(hooks).toEqual([expect.objectContaining({ url: 'http://127.0.0.1:10/hooks' })]);
    expect((await readScheduleSubscription(state, PROVIDER))?.id).toBe(hooks[0]?.id);
    expect(await state.listRecords(SCHEDULE_SUBSCRIPTIONS_NAMESPACE)).toHaveLength(1);
  });

  it("lets a listener verify the provider's deliveries with the stored secret, and no other provider's", async () => {
    const events: WebhookEvent[] = [];
    let delivered: () => void = () => undefined;
    const listener = await startWebhookListener({
      seen: state,
      secretOf: async (providerId) => (await readScheduleSubscription(state, providerId))?.secret,
      onEvents: async (batch) => {
        events.push(...batch);
        delivered();
      },
    });
    try {
      await subscriptionsTo(listener.url).watchSchedule(PROVIDER);
      const slot = (await client.getSchedule(PROVIDER, rollingWindow(new Date(), 14))).find(
        (s) => s.available,
      );
      if (slot === undefined) throw new Error('no free slot to book');
      const arrived = new Promise<void>((resolve) => (delivered = resolve));
      sandbox.admin.bookSlot(PROVIDER, slot.id);
      await arrived;
      expect(events).toEqual([
        expect.objectContaining({
          type: 'schedule.updated',
          data: expect.objectContaining({ provider_id: PROVIDER, start_date: slot.date }),
        }),
      ]);
      await until(() => sandbox.admin.webhookDeliveries().length === 1);
      expect(sandbox.admin.webhookDeliveries()).toEqual([expect.objectContaining({ status: 202 })]);

      // A delivery about a provider this store has no subscription of: refused.
      const other = await client.subscribeWebhook({
        url: listener.url,
        events: ['schedule.updated'],
        providerId: 'PRV0000000002',
      });
      const otherSlot = (
        await client.getSchedule('PRV0000000002', rollingWindow(new Date(), 14))
      ).find((s) => s.available);
      if (otherSlot === undefined) throw new Error('no free slot to book');
      sandbox.admin.bookSlot('PRV0000000002', otherSlot.id);
      await until(
        () =>
          sandbox.admin.webhookDeliveries().at(-1)?.url === listener.url &&
          sandbox.admin.webhookDeliveries().length > 1,
      );
      expect(sandbox.admin.webhookDeliveries().at(-1)).toMatchObject({ status: 400 });
      await client.unsubscribeWebhook(other.id);
      expect(events).toHaveLength(1);
    } finally {
      await listener.close();
    }
  });
});
