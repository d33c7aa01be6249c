import 'reflect-metadata';

export {
  RecordIdSchema,
  PostalAddressSchema,
  LocationSchema,
  ProviderIdSchema,
  NpiSchema,
  ProviderSchema,
  type PostalAddress,
  type Location,
  type Provider,
} from './domain/provider.js';
export {
  VisitTypeSchema,
  SlotSchema,
  ScheduleWindowSchema,
  type VisitType,
  type Slot,
  type ScheduleWindow,
} from './domain/slot.js';
export type { ProviderChange } from './domain/change.js';
export { zonedEpochMs, formatInstant, zoneOffsetMinutes, isoWeek } from './domain/zoned-time.js';
export {
  PatientSchema,
  BookingRequestSchema,
  BookingStatusSchema,
  RefusalCodeSchema,
  BookingSchema,
  type Patient,
  type BookingRequest,
  type BookingStatus,
  type RefusalCode,
  type Booking,
} from './booking/booking.js';
export {
  BookingService,
  BookingError,
  bookingIdOf,
  BOOKINGS_NAMESPACE,
  SLOT_CLAIMS_NAMESPACE,
  type BookingFailure,
  type BookingResult,
  type BookingServiceDeps,
  type BookingServiceOptions,
} from './booking/booking-service.js';
export {
  Directory,
  DEFAULT_DIRECTORY_OPTIONS,
  type DirectoryEntry,
  type DirectoryOptions,
  type DirectoryPage,
  type NextSlot,
} from './booking/directory.js';
export {
  AppointmentFinder,
  TIMES_OF_DAY,
  type AppointmentCriteria,
  type FoundSlot,
  type FoundSlotsPage,
  type TimeOfDay,
} from './booking/finder.js';
export { freeSlotsAhead, lookaheadWindow, type BookableSchedules } from './booking/schedules.js';
export { zonedInstant } from './booking/zoned-instant.js';
export { LeaseBusyError, withWaitingLease, type LeaseStore } from './booking/waiting-lease.js';
export {
  recordKey,
  type ProviderRecord,
  type DeactivationRecord,
  type SyncRecord,
} from './domain/sync-record.js';
export { formatIssues, formatPath, parseWith } from './domain/parse.js';
export {
  isPmsbridgeError,
  hasErrorCategory,
  describeError,
  ErrorCategory,
  ErrorCode,
  errorCategoryOf,
  errorCodes,
  exitCodeOf,
  isErrorCode,
  pmsbridgeErrorBrand,
  PmsbridgeError,
  ConfigError,
  ValidationError,
  PluginError,
  RemoteError,
  CancelledError,
  StateError,
  type ErrorCodeIn,
  type RemoteErrorInfo,
} from './errors/errors.js';
export { createToken, type Token } from './ports/token.js';
export {
  ProviderSourceToken,
  type InvalidRecord,
  type ProviderPageRead,
  type ListProvidersOptions,
  type SourceCursor,
  type ChangesOptions,
  type ChangesPageRead,
  type ProviderSource,
} from './ports/provider-source.js';
export { SlotSourceToken, type SlotSource } from './ports/slot-source.js';
export {
  BookingPortToken,
  type BookingPort,
  type PartnerBookingRequest,
  type PartnerOutcome,
} from './ports/booking-port.js';
export {
  hasProviderSearch,
  type ProviderSearch,
  type ProviderSearchCriteria,
  type ProviderSearchResult,
} from './ports/provider-search.js';
export { hasScheduleWatch, type ScheduleWatch } from './ports/schedule-watch.js';
export {
  hasShardedListing,
  type ListingShard,
  type ShardedListing,
} from './ports/sharded-listing.js';
export {
  hasRecordStore,
  type RecordStore,
  type StoredRecord,
  type ListedRecord,
} from './ports/record-store.js';
export {
  SinkToken,
  type ResourceCounts,
  type RecordOutcome,
  type SinkOpenContext,
  type ShardContext,
  type FinishRunContext,
  type Sink,
} from './ports/sink.js';
export { StageToken, type StageContext, type Stage } from './ports/stage.js';
export {
  StateStoreToken,
  type Checkpoint,
  type DeadLetter,
  type DeadLetterInput,
  type Lease,
  type StateStore,
} from './ports/state-store.js';
export { CacheToken, type Cache } from './ports/cache.js';
export { systemClock, ClockToken, type Clock } from './ports/clock.js';
export { LoggerToken, type LogFields, type Logger } from './ports/logger.js';
export {
  MetricsRecorderToken,
  noMetrics,
  type CircuitState,
  type HttpAttempt,
  type HttpObserver,
  type HttpRetry,
  type MetricsRecorder,
  type SyncBatchReport,
} from './ports/metrics-recorder.js';
export { Metrics, type MetricsOptions } from './metrics/metrics.js';
export {
  answerOperationsRequest,
  metricsResponse,
  type MetricsResponse,
  type OperationsEndpoints,
} from './metrics/operations-endpoints.js';
export { prepareGracefulClose } from './http-server/graceful-close.js';
export {
  defineSource,
  defineStage,
  defineSink,
  defineStateStore,
  defineBookingPort,
  isPluginDefinition,
  SERVICE_NAMES,
  PLUGIN_DEFINITION,
  type PluginServices,
  type RuntimeServices,
  type ServiceName,
  type Needs,
  type Provided,
  type PluginKind,
  type CreateContext,
  type Lifecycle,
  type SourceComponent,
  type SourceDefinition,
  type StageDefinition,
  type SinkDefinition,
  type StateStoreDefinition,
  type BookingPortDefinition,
  type PluginDefinition,
} from './plugins/define.js';
export {
  checkProviderFields,
  ProviderFieldSchema,
  ALL_PROVIDER_FIELDS,
  type ProviderField,
  type ProviderFieldReader,
  type ProviderFieldCheck,
} from './plugins/provider-fields.js';
export { MemoryCache } from './cache/memory-cache.js';
export { redactText, redact, REDACTED } from './logging/redact.js';
export { createLogger, silentLogger, type LogLevel, type LoggerOptions } from './logging/logger.js';
export { mapConcurrent } from './pipeline/map-concurrent.js';
export { batch, type BatchOptions } from './pipeline/batch.js';
export { raceAbort } from './pipeline/race-abort.js';
export { isChange, RunTally, type SyncProgress, type SyncSummary } from './sync/run-summary.js';
export { ContentDiff, type OwnerDiff, type TrackedItem } from './diff/content-diff.js';
export { rollingWindow } from './sync/schedule-window.js';
export type { SourcePosition, FullPosition, IncrementalPosition } from './sync/source-reader.js';
export {
  SyncEngine,
  type SyncEngineDeps,
  type SyncOptions,
  type ShardRunOptions,
  type FinishDistributedRunOptions,
} from './sync/sync-engine.js';
export {
  DEFAULT_DEAD_LETTER_THRESHOLD,
  judgeDeadLetters,
  type RunFailure,
} from './sync/dead-letter-threshold.js';
export {
  PluginEntrySchema,
  PipelineConfigSchema,
  type PluginEntry,
  type PipelineConfig,
} from './config/config-schema.js';
export { loadConfig, parseConfig, type LoadedConfig } from './config/config-loader.js';
export { interpolateEnv } from './config/interpolate.js';
export { httpUrl } from './config/http-url.js';
export { loadPlugin, checkPlugin, type LoadedPlugin } from './plugins/plugin-loader.js';
export {
  createComponent,
  assemblePipeline,
  type AssembledPipeline,
  type LoadedEntry,
} from './plugins/pipeline-assembly.js';
export { openSyncApp, type SyncApp, type SyncAppOptions } from './app/sync-app.js';
export { runCli, ExitCode } from './cli/main.js';
export {
  defineCommand,
  isCommandDefinition,
  type CommandContext,
  type CommandDefinition,
} from './cli/command.js';
export { ProgressReporter } from './cli/progress-reporter.js';
export { formatSummary } from './cli/format-summary.js';
export { SqliteStateStore, type SqliteStateStoreOptions } from './state/sqlite-state-store.js';
export { createDirectory, ensureWritableDirectory } from './files/writable-directory.js';
export { MemoryStateStore, type MemoryStateStoreOptions } from './state/memory-state-store.js';
// For state-store plugins: what the built-in stores share, so that every store behaves alike.
export { encodeStoredJson, decodeStoredJson } from './state/stored-json.js';
export { prefixUpperBound, compareCodePoints } from './state/prefix-range.js';
export { leaseExpiry, type LeaseExpiry } from './state/lease-expiry.js';
export { checkTtl } from './state/seen-expiry.js';
export {
  openStateStore,
  sqliteStateStorePlugin,
  memoryStateStorePlugin,
  DEFAULT_STATE_PATH,
} from './state/open-state-store.js';
export { withPipelineLease, PIPELINE_LEASE_TTL_MS } from './sync/pipeline-lease.js';
export { openServeApp, type ServeApp, type ServeAppOptions } from './serve/serve-app.js';
export {
  startApiServer,
  apiRoutes,
  type ApiServer,
  type ApiServices,
  type Route,
} from './serve/api-server.js';
export { ApiKeys, hashApiKey, newApiKey, type ApiClient, type ApiScope } from './serve/api-keys.js';
export { RateLimiter } from './serve/rate-limiter.js';
export { buildOpenApi } from './serve/openapi.js';
export { problem, PROBLEM_BASE, type Problem } from './serve/problem.js';
