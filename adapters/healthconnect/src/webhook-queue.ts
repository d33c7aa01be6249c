import type { Clock, RecordStore } from '@pmsbridge/core';
import { WebhookEventSchema, type WebhookEvent } from '@pmsbridge/healthconnect-contract';

/** The record namespace of queued webhook deliveries. */
export const WEBHOOK_QUEUE_NAMESPACE = 'healthconnect-webhook-queue';

/** How long a handled delivery is remembered, so a redelivery is not acted on twice: 24 h. */
export const HANDLED_TTL_MS = 24 * 3_600_000;

interface QueuedDelivery {
  event: WebhookEvent;
  receivedAt: string;
  handledAt?: string;
}

/**
 * Webhook deliveries kept in the state store until they are acted on: a delivery is
 * answered 2xx only once it is queued, so a crash between the answer and the work loses
 * nothing, and a restart works off the queue. A handled delivery is kept a day, so that a
 * redelivery of its `webhook-id` is recognised.
 */
export class WebhookQueue {
  constructor(
    private readonly records: RecordStore,
    private readonly clock: Clock,
  ) {}

  /** Queues a delivery; false when its id was queued or handled before (a redelivery). */
  async enqueue(event: WebhookEvent): Promise<boolean> {
    const queued: QueuedDelivery = { event, receivedAt: this.clock.now().toISOString() };
    return this.records.createRecord(WEBHOOK_QUEUE_NAMESPACE, event.id, JSON.stringify(queued));
  }

  /** Deliveries not yet handled, oldest first. */
  async pending(): Promise<WebhookEvent[]> {
    const queued = (await this.records.listRecords(WEBHOOK_QUEUE_NAMESPACE))
      .map((record) => JSON.parse(record.value) as QueuedDelivery)
      .filter((delivery) => delivery.handledAt === undefined)
      .sort((a, b) => (a.receivedAt < b.receivedAt ? -1 : a.receivedAt > b.receivedAt ? 1 : 0));
    return queued.map((delivery) => WebhookEventSchema.parse(delivery.event));
  }

  /** Marks deliveries handled, and forgets those handled more than a day ago. */
  async handled(ids: readonly string[]): Promise<void> {
    const now = this.clock.now();
    for (const id of ids) {
      const stored = await this.records.getRecord(WEBHOOK_QUEUE_NAMESPACE, id);
      if (stored === undefined) continue;
      const delivery = JSON.parse(stored.value) as QueuedDelivery;
      if (delivery.handledAt !== undefined) continue;
      const done: QueuedDelivery = { ...delivery, handledAt: now.toISOString() };
      await this.records.updateRecord(
        WEBHOOK_QUEUE_NAMESPACE,
        id,
        JSON.stringify(done),
        stored.version,
      );
    }
    for (const record of await this.records.listRecords(WEBHOOK_QUEUE_NAMESPACE)) {
      const delivery = JSON.parse(record.value) as QueuedDelivery;
      if (
        delivery.handledAt !== undefined &&
        now.getTime() - Date.parse(delivery.handledAt) > HANDLED_TTL_MS
      ) {
        await this.records.deleteRecord(WEBHOOK_QUEUE_NAMESPACE, record.key);
      }
    }
  }
}
