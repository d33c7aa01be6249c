import { ConfigError, ErrorCode, defineSource, hasRecordStore } from '@pmsbridge/core';
import { createHealthConnectClient } from './create-client.js';
import { HealthConnectSource } from './healthconnect-source.js';
import { HealthConnectOptionsSchema } from './options.js';
import { ScheduleSubscriptions } from './schedule-subscriptions.js';

/**
 * The HealthConnect source plugin: one {@link HealthConnectSource}, which serves providers and
 * their schedules, over a client built with the application's logger, cache, clock and metrics.
 * With `scheduleWebhooks`, it also subscribes booked providers' schedules, keeping the
 * subscriptions in the state store.
 */
export const healthConnectPlugin = defineSource({
  id: '@pmsbridge/adapter-healthconnect',
  options: HealthConnectOptionsSchema,
  needs: { logger: 'logger', cache: 'cache', clock: 'clock', metrics: 'metrics', state: 'state' },
  deliveredProviderFields: (options) => options.fields,
  create: ({ options, services: { logger, cache, clock, metrics, state }, baseDir }) => {
    const watched = options.scheduleWebhooks;
    const scopes =
      watched === undefined || options.scopes.includes('webhooks:manage')
        ? options.scopes
        : [...options.scopes, 'webhooks:manage'];
    const client = createHealthConnectClient(
      { ...options, scopes },
      { logger, cache, clock, baseDir, observer: metrics.httpObserver('healthconnect') },
    );
    if (watched === undefined) return new HealthConnectSource(client);
    if (!hasRecordStore(state)) {
      throw new ConfigError(
        "source.options.scheduleWebhooks: the state store keeps no records, where the subscriptions' secrets are kept; use sqlite (the default) or postgres",
        { code: ErrorCode.ConfigInvalid },
      );
    }
    const subscriptions = new ScheduleSubscriptions(
      { client, records: state, leases: state, logger },
      watched.url,
    );
    return new HealthConnectSource(client, subscriptions);
  },
});
