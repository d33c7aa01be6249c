import { z } from 'zod';

const Instant = z.iso.datetime({ offset: true });

/** A webhook delivery body. */
export const WebhookEventSchema = z.discriminatedUnion('type', [
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
]);

/** Event types a subscription may ask for. */
export const WebhookEventTypeSchema = z.enum([
  'schedule.updated',
  'provider.created',
  'provider.updated',
  'provider.deactivated',
]);

/** A webhook subscription as the API returns it. `secret` only comes back on creation. */
export const WebhookSubscriptionSchema = z.object({
  id: z.string().min(1),
  url: z.url(),
  events: z.array(WebhookEventTypeSchema).min(1),
  provider_id: z.string().optional(),
  secret: z.string().startsWith('whsec_').optional(),
  created_at: Instant.optional(),
});

export type WebhookEvent = z.infer<typeof WebhookEventSchema>;
export type WebhookEventType = z.infer<typeof WebhookEventTypeSchema>;
export type WebhookSubscription = z.infer<typeof WebhookSubscriptionSchema>;
