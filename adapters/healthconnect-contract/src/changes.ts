import { z } from 'zod';
import { ProviderIdSchema, ProviderSchema } from './provider.js';

const Instant = z.iso.datetime({ offset: true });

/** One entry of the changes feed. */
export const ProviderChangeSchema = z
  .discriminatedUnion('type', [
    z.object({
      type: z.literal('created'),
      provider_id: ProviderIdSchema,
      changed_at: Instant,
      provider: ProviderSchema,
    }),
    z.object({
      type: z.literal('updated'),
      provider_id: ProviderIdSchema,
      changed_at: Instant,
      provider: ProviderSchema,
    }),
    z.object({
      type: z.literal('deactivated'),
      provider_id: ProviderIdSchema,
      changed_at: Instant,
    }),
  ])
  .describe('One entry of the changes feed: a provider created, updated or deactivated.');

/** One page of the changes feed. Entries are validated one by one by the client. */
export const ChangesPageSchema = z
  .object({
    changes: z.array(z.unknown()),
    has_more: z.boolean(),
    next_cursor: z.string().nullable().optional(),
    until: Instant,
  })
  .describe('One page of the changes feed.');

export type ProviderChange = z.infer<typeof ProviderChangeSchema>;
export type ChangesPage = Omit<z.infer<typeof ChangesPageSchema>, 'changes'> & {
  changes: ProviderChange[];
};
