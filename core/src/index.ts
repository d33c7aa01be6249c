import 'reflect-metadata';

export * from './domain/provider.js';
export * from './domain/slot.js';
export type { ProviderChange } from './domain/change.js';
export * from './domain/booking.js';
export * from './domain/sync-record.js';
export * from './domain/parse.js';
export * from './errors/errors.js';
export * from './ports/token.js';
export * from './ports/provider-source.js';
export * from './ports/slot-source.js';
export * from './ports/booking-port.js';
export * from './ports/sink.js';
export * from './ports/stage.js';
export * from './ports/state-store.js';
export * from './ports/cache.js';
export * from './ports/clock.js';
export * from './ports/logger.js';
export * from './plugins/define.js';
export * from './plugins/provider-fields.js';
export * from './cache/memory-cache.js';
export * from './logging/redact.js';
export * from './logging/logger.js';
export * from './pipeline/map-concurrent.js';
export * from './pipeline/batch.js';
export * from './pipeline/race-abort.js';
export * from './sync/run-summary.js';
export {
  ContentDiff,
  type OwnerDiff,
  type TrackedItem,
} from './diff/content-diff.js';
export * from './sync/schedule-window.js';
export type { SourcePosition, FullPosition, IncrementalPosition } from './sync/source-reader.js';
export * from './sync/sync-engine.js';
export { DEFAULT_DEAD_LETTER_THRESHOLD, type RunFailure } from './sync/dead-letter-threshold.js';
export * from './config/config-schema.js';
export * from './config/config-loader.js';
export * from './config/interpolate.js';
export { httpUrl } from './config/http-url.js';
export * from './plugins/plugin-loader.js';
export * from './plugins/pipeline-assembly.js';
export * from './app/sync-app.js';
export { runCli, ExitCode } from './cli/main.js';
export { ProgressReporter } from './cli/progress-reporter.js';
export { formatSummary } from './cli/format-summary.js';
export { SqliteStateStore, type SqliteStateStoreOptions } from './state/sqlite-state-store.js';
export { createDirectory, ensureWritableDirectory } from './files/writable-directory.js';
export { MemoryStateStore, type MemoryStateStoreOptions } from './state/memory-state-store.js';
export { withPipelineLease, PIPELINE_LEASE_TTL_MS } from './sync/pipeline-lease.js';
