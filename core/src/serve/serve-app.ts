import { openSyncApp, type SyncApp } from '../app/sync-app.js';
import { BookingService } from '../booking/booking-service.js';
import { Directory } from '../booking/directory.js';
import { AppointmentFinder } from '../booking/finder.js';
import { MemoryCache } from '../cache/memory-cache.js';
import { Metrics } from '../metrics/metrics.js';
import type { LoadedConfig } from '../config/config-loader.js';
import { ConfigError } from '../errors/errors.js';
import { createComponent } from '../plugins/pipeline-assembly.js';
import { loadPlugin } from '../plugins/plugin-loader.js';
import type { BookingPort } from '../ports/booking-port.js';
import { systemClock, type Clock } from '../ports/clock.js';
import type { Logger } from '../ports/logger.js';
import { hasProviderSearch } from '../ports/provider-search.js';
import { hasRecordStore } from '../ports/record-store.js';
import { hasScheduleWatch } from '../ports/schedule-watch.js';
import { ApiKeys } from './api-keys.js';
import { startApiServer, type ApiServer } from './api-server.js';
import { RateLimiter } from './rate-limiter.js';

/** A running `pmsbridge serve`. */
export interface ServeApp {
  readonly server: ApiServer;
  readonly bookings: BookingService;
  /** How many bookings a crash had left pending and the start could not settle. */
  readonly pendingAtStart: number;
  /** Stops the server (requests in flight finish), the partner, the source and the state. */
  close(): Promise<void>;
}

/** Overrides for embedding and tests. */
export interface ServeAppOptions {
  logger?: Logger;
  clock?: Clock;
  signal?: AbortSignal;
  /** Instead of `serve.port` / `serve.host`. */
  port?: number;
  host?: string;
}

function configError(message: string): ConfigError {
  return new ConfigError(message, { code: 'PMS_CONFIG_INVALID' });
}

/**
 * Builds and starts `pmsbridge serve` from a config: the source (which must search and read
 * schedules) as the directory's data, the booking plugin as the partner, the state store
 * (which must keep records) as the bookings' outbox. Bookings a crash left pending are
 * settled with the partner before the server listens.
 */
export async function openServeApp(
  loaded: LoadedConfig,
  options: ServeAppOptions = {},
): Promise<ServeApp> {
  const { config } = loaded;
  if (config.serve === undefined) {
    throw configError('serve: the config has no serve section (port, host, apiKeys)');
  }
  if (config.booking === undefined) {
    throw configError(
      "booking: the config names no booking partner (e.g. use: '@pmsbridge/adapter-fhir/booking')",
    );
  }
  const serve = config.serve;
  const clock = options.clock ?? systemClock;
  const metrics = new Metrics();
  const app: SyncApp = await openSyncApp(loaded, {
    clock,
    metrics,
    ...(options.logger === undefined ? {} : { logger: options.logger }),
    ...(options.signal === undefined ? {} : { signal: options.signal }),
  });
  let port: BookingPort | undefined;
  try {
    const { source, slots } = app.pipeline;
    if (!hasProviderSearch(source) || slots === undefined) {
      throw configError(
        `source.use: "${config.source.use}" cannot search providers and read schedules, which the directory needs`,
      );
    }
    const state = app.state;
    if (!hasRecordStore(state)) {
      throw configError(
        `state.use: "${config.state.use}" keeps no records, which bookings need; use sqlite (the default) or postgres`,
      );
    }
    const logger = app.logger;
    const entry = config.booking;
    const plugin = await loadPlugin(entry.use, entry.options, 'booking', 'booking', loaded.baseDir);
    port = (await createComponent(
      { ...plugin, entry: 'booking', name: entry.name ?? plugin.definition.id },
      { logger, clock, state, cache: new MemoryCache() },
      loaded.baseDir,
    )) as BookingPort;
    const schedules = {
      getProvider: source.getProvider.bind(source),
      getSchedule: slots.getSchedule.bind(slots),
    };
    const directory = new Directory(
      { search: source, schedules, cache: new MemoryCache({ maxEntries: 5000 }), clock },
      { lookaheadDays: serve.horizonDays },
    );
    const bookings = new BookingService(
      {
        records: state,
        leases: state,
        port,
        schedules,
        clock,
        logger: logger.child({ component: 'bookings' }),
        ...(hasScheduleWatch(source) ? { watch: source } : {}),
      },
      {
        horizonDays: serve.horizonDays,
        lockWaitMs: 10_000,
        lockTtlMs: 60_000,
        pendingRetentionMs: serve.pendingRetentionHours * 3_600_000,
      },
    );
    const signal = options.signal ?? new AbortController().signal;
    const pendingAtStart = await bookings.reconcile(signal);
    if (pendingAtStart > 0)
      logger.warn('bookings still pending after the start', { pending: pendingAtStart });
    const server = await startApiServer(
      {
        directory,
        finder: new AppointmentFinder({ directory, schedules, clock }),
        bookings,
        keys: new ApiKeys(serve.apiKeys),
        limiter: new RateLimiter(serve.rateLimitPerMinute, clock),
        logger: logger.child({ component: 'api' }),
        ready: async () => {
          await state.getRecord('health', 'ready');
          return true;
        },
        maxBodyBytes: serve.maxBodyBytes,
        metrics: metrics.registry,
      },
      { port: options.port ?? serve.port, host: options.host ?? serve.host, signal },
    );
    // Bookings left pending by an unanswered request are looked up again from time to time.
    let reconciling: Promise<unknown> | undefined;
    const timer = setInterval(() => {
      reconciling ??= bookings
        .reconcile(signal)
        .catch(() => undefined)
        .finally(() => (reconciling = undefined));
    }, serve.reconcileSeconds * 1000);
    timer.unref();
    const started = port;
    return {
      server,
      bookings,
      pendingAtStart,
      async close() {
        try {
          clearInterval(timer);
          await server.close();
          await reconciling;
          await bookings.flush();
          await started.close?.();
        } finally {
          await app.close();
        }
      },
    };
  } catch (error) {
    await port?.close?.();
    await app.close();
    throw error;
  }
}
