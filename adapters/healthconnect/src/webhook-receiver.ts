import type { Clock, StateStore } from '@pmsbridge/core';
import type { WebhookEvent } from '@pmsbridge/healthconnect-contract';
import { readHeader, verifyWebhook, type WebhookHeaders } from './webhook-verifier.js';

/** The `StateStore` namespace under which delivered `webhook-id`s are recorded. */
export const WEBHOOK_SEEN_NAMESPACE = 'healthconnect-webhooks';

/**
 * How long a `webhook-id` is remembered by default: 24 hours, well beyond HealthConnect's
 * delivery retry schedule (5 s, 5 min, 30 min, 2 h, …).
 */
export const DEFAULT_WEBHOOK_SEEN_TTL_MS = 24 * 3_600_000;

/** What {@link receiveWebhook} needs: the delivery as received, the secret and a store. */
export interface ReceiveWebhookOptions {
  headers: WebhookHeaders;
  /** The body exactly as received, before any JSON parsing. */
  rawBody: string | Buffer;
  /** The subscription's `whsec_…` signing secret; a signature by any of several is accepted. */
  secret: string | readonly string[];
  /** Where delivered ids are remembered: core's `StateStore` (only `markSeen` is used). */
  seen: Pick<StateStore, 'markSeen'>;
  /** How long an id is remembered. Default {@link DEFAULT_WEBHOOK_SEEN_TTL_MS} (24 h). */
  ttlMs?: number;
  /** Largest allowed distance between `webhook-timestamp` and now. Default 5 minutes. */
  toleranceMs?: number;
  /** Time source of the timestamp check (the store keeps its own for expiry). */
  clock?: Clock;
}

/** A verified delivery; `isDuplicate` when its `webhook-id` was already received. */
export interface ReceivedWebhook {
  event: WebhookEvent;
  /** True for a repeated `webhook-id`: answer 2xx and do not act on it again. */
  isDuplicate: boolean;
}

/**
 * Receives a HealthConnect webhook delivery: verifies it like {@link verifyWebhook} (throws
 * a `WebhookVerificationError` for a bad signature, timestamp or body, recording nothing),
 * then records its `webhook-id` with `seen.markSeen('healthconnect-webhooks', id, ttlMs)`.
 * A delivery whose id was already recorded (a redelivery) comes back with
 * `isDuplicate: true`. The id is recorded on receipt, so make the event's handling durable
 * (e.g. queue it) before answering 2xx: a redelivery of an event whose handling was lost is
 * reported as a duplicate.
 */
export async function receiveWebhook(options: ReceiveWebhookOptions): Promise<ReceivedWebhook> {
  const event = verifyWebhook(options.headers, options.rawBody, options.secret, {
    toleranceMs: options.toleranceMs,
    clock: options.clock,
  });
  // verifyWebhook has checked that the header is present and signed.
  const id = readHeader(options.headers, 'webhook-id') ?? event.id;
  const isNew = await options.seen.markSeen(
    WEBHOOK_SEEN_NAMESPACE,
    id,
    options.ttlMs ?? DEFAULT_WEBHOOK_SEEN_TTL_MS,
  );
  return { event, isDuplicate: !isNew };
}
