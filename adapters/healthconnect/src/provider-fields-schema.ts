import { ProviderSchema, type Provider, type ProviderField } from '@pmsbridge/core';
import type { z } from 'zod';

/**
 * The schema a provider answered with `fields` must pass: the requested fields (and `id`)
 * checked as the full schema checks them, the rest absent. Without `fields`, the full
 * schema.
 *
 * The result is typed as a whole {@link Provider} although it holds only the requested
 * fields: the pipeline refuses a `fields` option that leaves out a field a stage or sink
 * reads (see `requiredProviderFields`), and callers of the client asked for the fields
 * they read.
 */
export function providerSchemaFor(
  fields: readonly ProviderField[] | undefined,
): z.ZodType<Provider> {
  if (fields === undefined || fields.length === 0) return ProviderSchema;
  const mask: Partial<Record<ProviderField, true>> = { id: true };
  for (const field of fields) mask[field] = true;
  return ProviderSchema.pick(mask) as unknown as z.ZodType<Provider>;
}
