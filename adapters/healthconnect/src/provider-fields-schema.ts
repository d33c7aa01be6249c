import type { ProviderField } from '@pmsbridge/core';
import * as wire from '@pmsbridge/healthconnect-contract';
import { z } from 'zod';
import { WIRE_PROVIDER_FIELD } from './to-domain.js';

/**
 * The schema a provider answered with `fields` must pass: the requested fields (and `id`)
 * checked as the full schema checks them; any other field is dropped (zod objects strip
 * unknown keys). Without `fields`, the full schema.
 *
 * The result is typed as a whole provider although it holds only the requested fields: the
 * pipeline refuses a `fields` option that leaves out a field a stage or sink reads (see
 * `requiredProviderFields`), and callers of the client asked for the fields they read.
 */
export function providerSchemaFor(
  fields: readonly ProviderField[] | undefined,
): z.ZodType<wire.Provider> {
  if (fields === undefined || fields.length === 0) return wire.ProviderSchema;
  const mask: Partial<Record<keyof wire.Provider, true>> = { id: true };
  for (const field of fields) mask[WIRE_PROVIDER_FIELD[field]] = true;
  return wire.ProviderSchema.pick(mask) as unknown as z.ZodType<wire.Provider>;
}

/**
 * The schema of a changes-feed entry when the client requests `fields`. The feed always
 * carries whole providers; narrowing them to the requested fields gives an incremental run
 * the records a full run gets (same shape, same content hashes), and a malformed field
 * nobody asked for does not reject the change.
 */
export function changeSchemaFor(
  fields: readonly ProviderField[] | undefined,
): z.ZodType<wire.ProviderChange> {
  if (fields === undefined || fields.length === 0) return wire.ProviderChangeSchema;
  const provider = providerSchemaFor(fields);
  const [created, updated, deactivated] = wire.ProviderChangeSchema.options;
  return z.discriminatedUnion('type', [
    created.extend({ provider }),
    updated.extend({ provider }),
    deactivated,
  ]) as unknown as z.ZodType<wire.ProviderChange>;
}
