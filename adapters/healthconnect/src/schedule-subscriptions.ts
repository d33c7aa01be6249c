import {
  parseWith,
  withWaitingLease,
  type LeaseStore,
  type Logger,
  type RecordStore,
  type ScheduleWatch,
} from '@pmsbridge/core';
import { z } from 'zod';
import type { HealthConnectClient } from './healthconnect-client.js';

/** Where each provider's `schedule.updated` subscription is kept: provider id → its id, URL and secret. */
export const SCHEDULE_SUBSCRIPTIONS_NAMESPACE = 'healthconnect-schedule-subscriptions';

const StoredSubscriptionSchema = z.object({
  id: z.string().min(1),
  url: z.string().min(1),
  secret: z.string().min(1),
});

/** A provider's subscription as kept in the state store. */
export type StoredSubscription = z.infer<typeof StoredSubscriptionSchema>;

/** The provider's recorded `schedule.updated` subscription, if any. */
export async function readScheduleSubscription(
  records: Pick<RecordStore, 'getRecord'>,
  providerId: string,
): Promise<StoredSubscription | undefined> {
  const record = await records.getRecord(SCHEDULE_SUBSCRIPTIONS_NAMESPACE, providerId);
  if (record === undefined) return undefined;
  return parseWith(
    StoredSubscriptionSchema,
    JSON.parse(record.value) as unknown,
    'schedule subscription',
  );
}

/** What {@link ScheduleSubscriptions} needs. */
export interface ScheduleSubscriptionsDeps {
  /** A client whose credentials carry the `webhooks:manage` scope. */
  client: Pick<HealthConnectClient, 'subscribeWebhook' | 'unsubscribeWebhook' | 'listWebhooks'>;
  records: RecordStore;
  leases: LeaseStore;
  logger: Logger;
}

/**
 * Per-provider `schedule.updated` subscriptions, one per provider and URL, made on demand
 * and kept with their signing secrets in the state store, so that the webhook receiver
 * (`pmsbridge webhooks`, sharing the store) can verify what HealthConnect delivers. One
 * lease per provider keeps processes sharing the store from subscribing it twice; a
 * subscription left unrecorded by a crash (its secret lost) is removed before a new one is
 * made, since none of its deliveries could be verified.
 */
export class ScheduleSubscriptions implements ScheduleWatch {
  readonly #inFlight = new Map<string, Promise<void>>();

  /** @param url - where HealthConnect delivers: the public URL of `pmsbridge webhooks`. */
  constructor(
    private readonly deps: ScheduleSubscriptionsDeps,
    readonly url: string,
  ) {}

  /** Subscribes the provider's `schedule.updated` events to {@link url} unless it is already. */
  async watchSchedule(providerId: string, signal?: AbortSignal): Promise<void> {
    if ((await this.subscriptionOf(providerId))?.url === this.url) return;
    let watching = this.#inFlight.get(providerId);
    if (watching === undefined) {
      watching = this.#subscribe(providerId, signal ?? AbortSignal.timeout(60_000)).finally(() =>
        this.#inFlight.delete(providerId),
      );
      this.#inFlight.set(providerId, watching);
    }
    await watching;
  }

  /** The provider's recorded subscription, if any. */
  subscriptionOf(providerId: string): Promise<StoredSubscription | undefined> {
    return readScheduleSubscription(this.deps.records, providerId);
  }

  async #subscribe(providerId: string, signal: AbortSignal): Promise<void> {
    const lease = `healthconnect-schedule-subscription/${providerId}`;
    await withWaitingLease(
      this.deps.leases,
      lease,
      { waitMs: 30_000, ttlMs: 60_000, signal },
      async () => {
        const recorded = await this.subscriptionOf(providerId);
        if (recorded?.url === this.url) return;
        // Subscriptions of this provider and URL that were never recorded, and a recorded
        // one for another URL: their deliveries would not be verified here.
        for (const hook of await this.deps.client.listWebhooks(signal)) {
          const isStale =
            hook.provider_id === providerId && (hook.url === this.url || hook.id === recorded?.id);
          if (isStale) await this.deps.client.unsubscribeWebhook(hook.id, signal);
        }
        const made = await this.deps.client.subscribeWebhook(
          { url: this.url, events: ['schedule.updated'], providerId },
          signal,
        );
        if (made.secret === undefined) {
          throw new Error(`HealthConnect returned subscription ${made.id} without its secret`);
        }
        const stored: StoredSubscription = { id: made.id, url: this.url, secret: made.secret };
        await this.deps.records.deleteRecord(SCHEDULE_SUBSCRIPTIONS_NAMESPACE, providerId);
        await this.deps.records.createRecord(
          SCHEDULE_SUBSCRIPTIONS_NAMESPACE,
          providerId,
          JSON.stringify(stored),
        );
        this.deps.logger.info('schedule changes subscribed', {
          provider: providerId,
          subscription: made.id,
        });
      },
    );
  }
}
