import { z } from 'zod';
import { ProviderIdSchema } from './provider.js';

const Instant = z.iso.datetime({ offset: true });

/** A webhook delivery body. */
export const WebhookEventSchema = z
  .discriminatedUnion('type', [
    z.object({
      id: z.string().min(1),
      type: z.literal('schedule.updated'),
      created_at: Instant,
      data: z.object({ provider_id: z.string(), start_date: z.iso.date(), end_date: z.iso.date() }),
    }),
    ...(['provider.created', 'provider.updated', 'provider.deactivated'] as const).map((type) =>
      z.object({
        id: z.string().min(1),
        type: z.literal(type),
        created_at: Instant,
        data: z.object({ provider_id: z.string() }),
      }),
    ),
  ])
  .describe('A webhook delivery body.');

/** Event types a subscription may ask for. */
export const WebhookEventTypeSchema = z
  .enum(['schedule.updated', 'provider.created', 'provider.updated', 'provider.deactivated'])
  .describe('An event type a subscription may ask for.');

/** A webhook subscription as the API returns it. `secret` only comes back on creation. */
export const WebhookSubscriptionSchema = z
  .object({
    id: z.string().min(1),
    url: z.url(),
    events: z.array(WebhookEventTypeSchema).min(1),
    provider_id: z.string().optional(),
    secret: z.string().startsWith('whsec_').optional(),
    created_at: Instant.optional(),
  })
  .describe('A webhook subscription. `secret` only comes back on creation.');

/** The body of a subscription request (`POST /webhooks`). */
export const WebhookSubscriptionRequestSchema = z
  .object({
    url: z.url({ protocol: /^https?$/ }).describe('An http or https URL'),
    events: z.array(WebhookEventTypeSchema).min(1),
    provider_id: ProviderIdSchema.optional().describe("Only this provider's events"),
  })
  .describe('A subscription request: events of every provider unless `provider_id` is given.');

/** The subscriptions of a client (`GET /webhooks`), without their secrets. */
export const WebhookListSchema = z
  .object({ webhooks: z.array(WebhookSubscriptionSchema) })
  .describe("A client's webhook subscriptions, without their secrets.");

export type WebhookEvent = z.infer<typeof WebhookEventSchema>;
export type WebhookEventType = z.infer<typeof WebhookEventTypeSchema>;
export type WebhookSubscription = z.infer<typeof WebhookSubscriptionSchema>;
export type WebhookSubscriptionRequest = z.infer<typeof WebhookSubscriptionRequestSchema>;
export type WebhookList = z.infer<typeof WebhookListSchema>;
