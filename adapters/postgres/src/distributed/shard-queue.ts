import {
  ConfigError,
  checkPlugin,
  describeError,
  type LoadedConfig,
  type Logger,
} from '@pmsbridge/core';
import { PgBoss } from 'pg-boss';
import { z } from 'zod';
import type { PostgresStateOptions } from '../options.js';
import { postgresStateStorePlugin } from '../plugin.js';

/** One shard of a distributed run, as a job carries it. */
export const ShardJobSchema = z.strictObject({
  pipeline: z.string().min(1),
  run: z.string().min(1),
  startedAt: z.iso.datetime({ offset: true }),
  shard: z.strictObject({
    id: z.string().min(1),
    afterId: z.string().optional(),
    throughId: z.string().optional(),
  }),
});

/** What a shard job carries. */
export type ShardJob = z.infer<typeof ShardJobSchema>;

/** What a worker reports for a completed shard (the job's output). */
export interface ShardOutcome {
  read: number;
  written: number;
  unchanged: number;
  deadLettered: number;
  worker: string;
}

/** The queue of a pipeline's shards (pg-boss queue names allow letters, digits, `-`, `_`, `.`). */
export function shardQueueName(pipeline: string): string {
  return `pmsbridge.shards.${pipeline}`;
}

/** The job key of a shard: one live job per shard of a run. */
export function shardJobKey(run: string, shard: string): string {
  return `${run}/${shard}`;
}

/** The database settings of a config whose state is PostgreSQL, or a clear error. */
export function postgresOf(loaded: LoadedConfig, command: string) {
  const { state } = loaded.config;
  if (state.use !== 'postgres' && state.use !== '@pmsbridge/adapter-postgres') {
    throw new ConfigError(
      `state.use: "${state.use}" — pmsbridge ${command} shares its work through PostgreSQL; set state: { use: postgres, options: { connectionString: \${DATABASE_URL} } }`,
    );
  }
  // Checked as the store itself checks them when the app opens it.
  return checkPlugin(postgresStateStorePlugin, state.options, 'state', 'state')
    .options as PostgresStateOptions;
}

/** Options of {@link openShardQueue}. */
export interface ShardQueueOptions {
  connectionString: string;
  /** The state store's schema; the job tables go in `<schema>_jobs`. */
  schema: string;
  pipeline: string;
  /** A worker silent this long loses its shard. */
  heartbeatSeconds: number;
  /** Attempts of one shard before it fails for good. */
  maxAttempts: number;
  logger: Logger;
}

/**
 * Starts pg-boss on the state store's database and makes sure the pipeline's shard queue
 * exists. Jobs are retried at once when their worker fails or goes silent (no heartbeat for
 * `heartbeatSeconds`); the monitor that notices silence runs every few seconds.
 */
export async function openShardQueue(
  options: ShardQueueOptions,
): Promise<{ boss: PgBoss; queue: string }> {
  const boss = new PgBoss({
    connectionString: options.connectionString,
    schema: `${options.schema}_jobs`,
    max: 4,
    superviseIntervalSeconds: Math.max(2, Math.floor(options.heartbeatSeconds / 5)),
    monitorIntervalSeconds: Math.max(2, Math.floor(options.heartbeatSeconds / 5)),
  });
  // Without a listener, an error in pg-boss's background work would end the process.
  boss.on('error', (error) =>
    options.logger.warn('job queue error', { error: describeError(error) }),
  );
  await boss.start();
  const queue = shardQueueName(options.pipeline);
  await boss.createQueue(queue, {
    retryLimit: options.maxAttempts - 1,
    retryDelay: 1,
    heartbeatSeconds: options.heartbeatSeconds,
    expireInSeconds: 24 * 3600,
  });
  return { boss, queue };
}
