import { parseArgs } from 'node:util';
import {
  ConfigError,
  ErrorCode,
  Metrics,
  checkPlugin,
  createLogger,
  defineCommand,
  hasRecordStore,
  loadConfig,
  openSyncApp,
  systemClock,
} from '@pmsbridge/core';
import { createHealthConnectClient } from './create-client.js';
import type { HealthConnectOptions } from './options.js';
import { healthConnectPlugin } from './plugin.js';
import { readScheduleSubscription } from './schedule-subscriptions.js';
import { startWebhookListener } from './webhook-listener.js';
import { WebhookQueue } from './webhook-queue.js';

const USAGE = `pmsbridge webhooks — re-read a provider whenever HealthConnect sends a webhook about it

Usage:
  pmsbridge webhooks --config FILE [--port 8090] [--host 127.0.0.1] [--path /hooks/healthconnect]
                     [--subscribe [--public-url URL] [--provider PRV…]]

The signing secret comes from HEALTHCONNECT_WEBHOOK_SECRET, or, with --subscribe, from a
subscription this command makes at start (to --public-url, default its own address) and
removes at exit. A delivery about a provider subscribed after a booking (the source's
scheduleWebhooks option) is verified with that subscription's secret, from the state store.
The config's source must be ${healthConnectPlugin.id}. It also answers
GET /healthz, /readyz and /metrics (Prometheus). It listens until SIGINT or SIGTERM, then
finishes the deliveries under way and acts on every event received before it exits.`;

const EVENTS = [
  'schedule.updated',
  'provider.created',
  'provider.updated',
  'provider.deactivated',
] as const;

function usageError(message: string): ConfigError {
  return new ConfigError(`${message}\n${USAGE}`, { code: ErrorCode.CliUsage });
}

/** `pmsbridge webhooks --config FILE`: a webhook listener that runs incremental syncs. */
export default defineCommand({
  name: 'webhooks',
  summary: 're-read a provider whenever HealthConnect sends a webhook about it',
  usage: USAGE,
  async run({ argv, stdout, signal }) {
    const { values } = parseArgs({
      args: argv,
      options: {
        config: { type: 'string', short: 'c' },
        port: { type: 'string', default: '8090' },
        host: { type: 'string', default: '127.0.0.1' },
        path: { type: 'string', default: '/hooks/healthconnect' },
        subscribe: { type: 'boolean', default: false },
        'public-url': { type: 'string' },
        provider: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    });
    if (values.help === true) {
      stdout.write(`${USAGE}\n`);
      return 0;
    }
    if (values.config === undefined) throw usageError('--config FILE is required');
    const port = Number(values.port);
    if (!Number.isInteger(port) || port < 0) {
      throw usageError(`--port must be a non-negative integer, got "${values.port}"`);
    }
    const loaded = await loadConfig(values.config);
    if (loaded.config.source.use !== healthConnectPlugin.id) {
      throw usageError(
        `source.use is "${loaded.config.source.use}"; webhooks come from ${healthConnectPlugin.id}`,
      );
    }
    // The source's options, checked by the plugin contract as a sync checks them.
    const { options } = checkPlugin(
      healthConnectPlugin,
      loaded.config.source.options,
      'source',
      'source',
    );
    const logger = createLogger({
      level: loaded.config.log.level,
      format: loaded.config.log.format,
    });
    let secret = process.env.HEALTHCONNECT_WEBHOOK_SECRET ?? '';
    const watchesBooked = (options as HealthConnectOptions).scheduleWebhooks !== undefined;
    if (!values.subscribe && secret === '' && !watchesBooked) {
      throw usageError(
        'set HEALTHCONNECT_WEBHOOK_SECRET, use --subscribe, or set source.options.scheduleWebhooks',
      );
    }
    const metrics = new Metrics();
    const app = await openSyncApp(loaded, { logger, signal, metrics });
    const state = app.state;
    const listener = await startWebhookListener({
      port,
      host: values.host,
      path: values.path,
      get secret() {
        return secret;
      },
      seen: state,
      ...(hasRecordStore(state)
        ? {
            queue: new WebhookQueue(state, systemClock),
            secretOf: async (providerId: string) =>
              (await readScheduleSubscription(state, providerId))?.secret,
          }
        : {}),
      logger,
      metrics,
      onEvents: async (events) => {
        // Each event names its provider: only those are read again, not the whole feed.
        const providerIds = events.map((event) => event.data.provider_id);
        const summary = await app.engine.refresh({ ...app.syncOptions, providerIds });
        logger.info('providers re-read after webhooks', { events: events.length, ...summary });
      },
    });
    // Managing subscriptions needs its own scope; the sync's client does not ask for it.
    const manager = values.subscribe
      ? createHealthConnectClient(
          {
            ...(options as HealthConnectOptions),
            scopes: ['provider:read', 'schedule:read', 'webhooks:manage'],
          },
          { logger, baseDir: loaded.baseDir },
        )
      : undefined;
    try {
      const subscription = await manager?.subscribeWebhook({
        url: values['public-url'] ?? listener.url,
        events: [...EVENTS],
        providerId: values.provider,
      });
      if (subscription?.secret !== undefined) secret = subscription.secret;
      stdout.write(
        `listening on ${listener.url}${subscription ? ` (subscription ${subscription.id})` : ''}\n`,
      );
      if (!signal.aborted) {
        await new Promise((resolve) => signal.addEventListener('abort', resolve, { once: true }));
      }
      if (subscription !== undefined) await manager?.unsubscribeWebhook(subscription.id);
      return 0;
    } finally {
      await listener.close();
      await manager?.close();
      await app.close();
    }
  },
});
