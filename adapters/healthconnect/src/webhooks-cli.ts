#!/usr/bin/env node
import { parseArgs } from 'node:util';
import { createLogger, describeError, loadConfig, openSyncApp, redactText } from '@pmsbridge/core';
import { createHealthConnectClient } from './create-client.js';
import { HealthConnectOptionsSchema } from './options.js';
import { startWebhookListener } from './webhook-listener.js';

const USAGE = `pmsbridge-webhooks — run an incremental sync whenever HealthConnect sends a webhook

Usage:
  pmsbridge-webhooks --config FILE [--port 8090] [--host 127.0.0.1] [--path /hooks/healthconnect]
                     [--subscribe [--public-url URL] [--provider PRV…]]

The signing secret comes from HEALTHCONNECT_WEBHOOK_SECRET, or, with --subscribe, from a
subscription this command makes at start (to --public-url, default its own address) and
removes at exit. The config's source must be @pmsbridge/adapter-healthconnect.`;

async function main(argv: string[]): Promise<number> {
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
  if (values.help === true || values.config === undefined) {
    process.stdout.write(`${USAGE}\n`);
    return values.help === true ? 0 : 2;
  }
  const loaded = await loadConfig(values.config);
  const logger = createLogger({ level: loaded.config.log.level, format: loaded.config.log.format });
  const app = await openSyncApp(loaded, { logger });
  const secret = { value: process.env.HEALTHCONNECT_WEBHOOK_SECRET ?? '' };
  const listener = await startWebhookListener({
    port: Number(values.port),
    host: values.host,
    path: values.path,
    get secret() {
      return secret.value;
    },
    seen: app.state,
    logger,
    onEvents: async (events) => {
      const summary = await app.engine.run({ ...app.syncOptions, mode: 'incremental' });
      logger.info('incremental sync after webhooks', { events: events.length, ...summary });
    },
  });
  const client = values.subscribe
    ? createHealthConnectClient(
        {
          ...HealthConnectOptionsSchema.parse(loaded.config.source.options),
          scopes: ['provider:read', 'schedule:read', 'webhooks:manage'],
        },
        { logger, baseDir: loaded.baseDir },
      )
    : undefined;
  const subscription = await client?.subscribeWebhook({
    url: values['public-url'] ?? listener.url,
    events: ['schedule.updated', 'provider.created', 'provider.updated', 'provider.deactivated'],
    providerId: values.provider,
  });
  if (subscription?.secret !== undefined) secret.value = subscription.secret;
  if (secret.value === '') {
    process.stderr.write(
      'pmsbridge-webhooks: set HEALTHCONNECT_WEBHOOK_SECRET, or use --subscribe\n',
    );
    await listener.close();
    await app.close();
    return 2;
  }
  process.stdout.write(
    `listening on ${listener.url}${subscription ? ` (subscription ${subscription.id})` : ''}\n`,
  );
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  await listener.close();
  if (subscription !== undefined) await client?.unsubscribeWebhook(subscription.id);
  await client?.close();
  await app.close();
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`pmsbridge-webhooks: ${redactText(describeError(error).message)}\n`);
    process.exitCode = 1;
  },
);
