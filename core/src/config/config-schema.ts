import { z } from 'zod';

/** One plugin entry: the package (or a path) to load and its options. */
export const PluginEntrySchema = z.strictObject({
  /** Package name (`@pmsbridge/adapter-fhir`) or a path relative to the config file (`./my-plugin.js`). */
  use: z.string().min(1),
  /** Name for logs, summaries, dead letters and checkpoints; defaults to the package's short name. */
  name: z
    .string()
    .regex(/^[a-z0-9][a-z0-9-]*$/, 'use lower-case letters, digits and dashes')
    .optional(),
  options: z.record(z.string(), z.unknown()).default({}),
});

/** One API key of `pmsbridge serve`: its id, the SHA-256 of the key, what it may do. */
export const ApiKeyConfigSchema = z.strictObject({
  /** Names the client in logs and scopes its idempotency keys; never secret. */
  id: z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/, 'use letters, digits, dot, dash, underscore'),
  /** `sha256:` and the hex SHA-256 of the key (`pmsbridge serve --hash-key` prints it). */
  hash: z.string().regex(/^sha256:[0-9a-f]{64}$/, 'expected sha256: and 64 hex digits'),
  scopes: z.array(z.enum(['read', 'book'])).min(1),
});

/** The `serve` section. Numbers may come from `${ENV_VAR}` strings. */
export const ServeConfigSchema = z.strictObject({
  port: z.coerce.number().int().min(0).max(65535).default(8095),
  host: z.string().min(1).default('127.0.0.1'),
  apiKeys: z.array(ApiKeyConfigSchema).min(1, 'at least one API key is required'),
  /** Requests per key per minute; beyond it, 429 with Retry-After. */
  rateLimitPerMinute: z.coerce.number().int().min(1).default(600),
  /** Largest request body accepted, in bytes. */
  maxBodyBytes: z.coerce.number().int().min(256).max(1_048_576).default(16_384),
  /** How far ahead a slot can be booked and a next free slot is looked for, in days. */
  horizonDays: z.coerce.number().int().min(1).max(30).default(30),
  /** How often bookings whose outcome is unknown are looked up at the partner, in seconds. */
  reconcileSeconds: z.coerce.number().int().min(1).default(60),
  /** How long such a booking keeps its patient's data before it is purged, in hours. */
  pendingRetentionHours: z.coerce.number().min(0.01).default(72),
});

/** The whole config file. Numbers in `sync` may come from `${ENV_VAR}` strings. */
export const PipelineConfigSchema = z.strictObject({
  /** Name under which checkpoints and dead letters are kept. */
  pipeline: z
    .string()
    .regex(/^[a-z0-9][a-z0-9-]*$/, 'use lower-case letters, digits and dashes')
    .default('default'),
  /**
   * Where checkpoints, dead letters and hashes live: `use` a built-in store (`sqlite`, the
   * default, or `memory`) or a state-store plugin (package or path) with its `options`.
   * `path` is the SQLite file (relative to the config file).
   */
  state: z
    .strictObject({
      use: z.string().min(1).default('sqlite'),
      path: z.string().min(1).optional(),
      options: z.record(z.string(), z.unknown()).default({}),
    })
    .default({ use: 'sqlite', options: {} }),
  log: z
    .strictObject({
      level: z.enum(['debug', 'info', 'warn', 'error', 'silent']).optional(),
      format: z.enum(['json', 'pretty']).optional(),
    })
    .default({}),
  source: PluginEntrySchema,
  stages: z.array(PluginEntrySchema).default([]),
  sinks: z.array(PluginEntrySchema).min(1, 'at least one sink is required'),
  /** The partner system `pmsbridge serve` books in: a booking plugin and its options. */
  booking: PluginEntrySchema.optional(),
  /** `pmsbridge serve`: the directory, availability and booking HTTP API. */
  serve: ServeConfigSchema.optional(),
  /** Distributed full runs (`pmsbridge distribute` and `pmsbridge worker`). */
  distributed: z
    .strictObject({
      /** Shards a full run is split into (fewer when the listing has fewer pages). */
      shards: z.coerce.number().int().min(1).max(10_000).default(20),
      /** A worker silent this long (crashed, cut off) loses its shard to another worker. */
      heartbeatSeconds: z.coerce.number().int().min(10).max(3600).default(30),
      /** Attempts of one shard before the run fails (a shard that keeps failing). */
      maxAttempts: z.coerce.number().int().min(1).max(1000).default(20),
    })
    .prefault({}),
  sync: z
    .strictObject({
      horizonDays: z.coerce.number().int().min(1).max(366).default(14),
      batchSize: z.coerce.number().int().min(1).max(10_000).default(100),
      batchMaxWaitMs: z.coerce.number().int().min(0).default(1000),
      concurrency: z.coerce.number().int().min(1).max(256).default(8),
      errorPolicy: z.enum(['dead-letter', 'fail-fast']).default('dead-letter'),
      /** How far before a full run's start the next incremental run reads changes. */
      changesOverlapSeconds: z.coerce.number().int().min(0).default(300),
      /** Share (0–1) of a run's records that may be dead-lettered; above it the run fails. */
      deadLetterThreshold: z.coerce.number().min(0).max(1).default(0.1),
    })
    .default({
      horizonDays: 14,
      batchSize: 100,
      batchMaxWaitMs: 1000,
      concurrency: 8,
      errorPolicy: 'dead-letter',
      changesOverlapSeconds: 300,
      deadLetterThreshold: 0.1,
    }),
});

export type PluginEntry = z.infer<typeof PluginEntrySchema>;
export type ServeConfig = z.infer<typeof ServeConfigSchema>;
export type ApiKeyConfig = z.infer<typeof ApiKeyConfigSchema>;
export type PipelineConfig = z.infer<typeof PipelineConfigSchema>;
