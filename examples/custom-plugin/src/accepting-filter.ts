import { defineStage } from '@pmsbridge/core';
import { z } from 'zod';

/**
 * A stage that passes only providers who accept new patients, optionally only in some
 * specialties. Deactivations always pass: a sink must hear that a provider left.
 */
export default defineStage({
  id: '@pmsbridge/example-custom-plugin/accepting-filter',
  options: z.object({
    /** Keep only these specialties too; every specialty when left out. */
    specialties: z.array(z.string().min(1)).min(1).optional(),
  }),
  needs: { log: 'logger' },
  requiredProviderFields: ['acceptingNewPatients', 'specialties'],
  create: ({ name, options, services: { log } }) => ({
    name,
    process(record) {
      if (record.kind !== 'provider') return record;
      const { provider } = record;
      const inSpecialty =
        options.specialties === undefined ||
        provider.specialties.some((s) => options.specialties?.includes(s));
      if (provider.acceptingNewPatients && inSpecialty) return record;
      log.debug('filtered out', { providerId: provider.id });
      return null;
    },
  }),
});
