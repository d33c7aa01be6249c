import { Container } from 'inversify';
import { MemoryCache } from '../cache/memory-cache.js';
import type { LoadedConfig } from '../config/config-loader.js';
import { createLogger } from '../logging/logger.js';
import { assemblePipeline, type AssembledPipeline } from '../plugins/pipeline-assembly.js';
import { CacheToken } from '../ports/cache.js';
import { ProviderSourceToken } from '../ports/provider-source.js';
import { SinkToken } from '../ports/sink.js';
import { SlotSourceToken } from '../ports/slot-source.js';
import { StageToken } from '../ports/stage.js';
import { ClockToken, systemClock, type Clock } from '../ports/clock.js';
import { LoggerToken, type Logger } from '../ports/logger.js';
import { MetricsRecorderToken, type MetricsRecorder } from '../ports/metrics-recorder.js';
import { StateStoreToken, type StateStore } from '../ports/state-store.js';
import { openStateStore } from '../state/open-state-store.js';
import { SyncEngine, type SyncOptions } from '../sync/sync-engine.js';

/** A pipeline assembled from a config, ready to run. */
export interface SyncApp {
  engine: SyncEngine;
  pipeline: AssembledPipeline;
  state: StateStore;
  logger: Logger;
  /** The config's sync settings as engine options (mode aside). */
  syncOptions: Omit<SyncOptions, 'mode'>;
  /** Stops the plugins and closes the state store. */
  close(): Promise<void>;
}

/** Overrides for embedding and tests. */
export interface SyncAppOptions {
  logger?: Logger;
  clock?: Clock;
  state?: StateStore;
  signal?: AbortSignal;
  /**
   * Whether a state file that does not exist yet is created (default). Commands that only
   * read or tidy existing state (`dlq`) pass `false`, so that a mistyped `state.path` is
   * reported instead of answered from a new, empty store.
   */
  createState?: boolean;
  /** Where the engine and the plugins report metrics; default nowhere. */
  metrics?: MetricsRecorder;
}

/**
 * The composition root: builds the one container of the application from a loaded config.
 * The shared services (logger, clock, state store, cache) are bound first; each plugin is
 * created with the services it asked for and bound to its port; the engine is resolved with
 * everything injected. Nothing else in pmsbridge touches the container.
 */
export async function openSyncApp(
  loaded: LoadedConfig,
  options: SyncAppOptions = {},
): Promise<SyncApp> {
  const { config } = loaded;
  const logger =
    options.logger ?? createLogger({ level: config.log.level, format: config.log.format });
  const clock = options.clock ?? systemClock;
  const cache = new MemoryCache({ maxEntries: 1000 });
  const state =
    options.state ??
    (await openStateStore(
      config.state,
      loaded.baseDir,
      { logger, clock, cache },
      options.createState === false,
    ));
  const container = new Container();
  container.bind(LoggerToken).toConstantValue(logger);
  container.bind(ClockToken).toConstantValue(clock);
  container.bind(StateStoreToken).toConstantValue(state);
  container.bind(CacheToken).toConstantValue(cache);
  if (options.metrics !== undefined)
    container.bind(MetricsRecorderToken).toConstantValue(options.metrics);

  let pipeline: AssembledPipeline | undefined;
  try {
    pipeline = await assemblePipeline(config, loaded.baseDir, {
      logger,
      clock,
      state,
      cache,
      metrics: options.metrics,
    });
    container.bind(ProviderSourceToken).toConstantValue(pipeline.source);
    if (pipeline.slots !== undefined)
      container.bind(SlotSourceToken).toConstantValue(pipeline.slots);
    for (const stage of pipeline.stages) container.bind(StageToken).toConstantValue(stage);
    for (const sink of pipeline.sinks) container.bind(SinkToken).toConstantValue(sink);
    container.bind(SyncEngine).toSelf().inSingletonScope();
    await pipeline.start(options.signal ?? new AbortController().signal);
  } catch (error) {
    await pipeline?.stop();
    if (options.state === undefined) await state.close();
    throw error;
  }
  const started = pipeline;
  return {
    engine: container.get(SyncEngine),
    pipeline: started,
    state,
    logger,
    syncOptions: {
      pipeline: config.pipeline,
      horizonDays: config.sync.horizonDays,
      batchSize: config.sync.batchSize,
      batchMaxWaitMs: config.sync.batchMaxWaitMs,
      concurrency: config.sync.concurrency,
      errorPolicy: config.sync.errorPolicy,
      changesOverlapMs: config.sync.changesOverlapSeconds * 1000,
      deadLetterThreshold: config.sync.deadLetterThreshold,
    },
    async close() {
      try {
        await started.stop();
      } finally {
        if (options.state === undefined) await state.close();
      }
    },
  };
}
