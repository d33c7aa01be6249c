import { defineSource } from '@pmsbridge/core';
import { createHealthConnectClient } from './create-client.js';
import { HealthConnectSource } from './healthconnect-source.js';
import { HealthConnectOptionsSchema } from './options.js';

/**
 * The HealthConnect source plugin: one {@link HealthConnectSource}, which serves providers and
 * their schedules, over a client built with the application's logger, cache, clock and metrics.
 */
export const healthConnectPlugin = defineSource({
  id: '@pmsbridge/adapter-healthconnect',
  options: HealthConnectOptionsSchema,
  needs: { logger: 'logger', cache: 'cache', clock: 'clock', metrics: 'metrics' },
  deliveredProviderFields: (options) => options.fields,
  create: ({ options, services: { logger, cache, clock, metrics }, baseDir }) =>
    new HealthConnectSource(
      createHealthConnectClient(options, {
        logger,
        cache,
        clock,
        baseDir,
        observer: metrics.httpObserver('healthconnect'),
      }),
    ),
});
