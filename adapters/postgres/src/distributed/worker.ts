import { hostname } from 'node:os';
import { CancelledError, describeError, type Metrics, type SyncApp } from '@pmsbridge/core';
import type { PgBoss } from 'pg-boss';
import { ShardJobSchema, type ShardOutcome } from './shard-queue.js';

/** `<host>:<pid>`: what tells this worker apart in logs and shard outcomes. */
export function workerIdOfThisProcess(): string {
  return `${hostname()}:${process.pid}`;
}

/** Options of {@link startShardWorker}. */
export interface ShardWorkerOptions {
  app: SyncApp;
  boss: PgBoss;
  queue: string;
  metrics?: Metrics;
  /** The worker's id in logs and outcomes. Default `<host>:<pid>`. */
  id?: string;
  /** How often an idle worker looks for a shard. Default 1 s. */
  pollingIntervalSeconds?: number;
}

/** A running worker. */
export interface ShardWorker {
  /** `<host>:<pid>`, in logs and in each completed shard's outcome. */
  readonly id: string;
  /**
   * Stops taking shards; the shard under way is cancelled at its last acknowledged batch
   * and released (its job fails and is retried at once by another worker), not waited for.
   */
  stop(): Promise<void>;
}

/**
 * Takes shards from the pipeline's queue one at a time and runs each through the engine
 * (`SyncEngine.runShard`), heartbeating while it runs: a worker that dies loses its shard to
 * another after the heartbeat interval, which resumes it from the shard's checkpoint.
 */
export async function startShardWorker(options: ShardWorkerOptions): Promise<ShardWorker> {
  const { app, boss, queue } = options;
  const id = options.id ?? workerIdOfThisProcess();
  const logger = app.logger.child({ worker: id });
  let current: AbortController | undefined;
  const { pipeline } = app.syncOptions;
  options.metrics?.watchShards(pipeline, 'running', () => (current === undefined ? 0 : 1));
  await boss.work<unknown, ShardOutcome>(
    queue,
    { batchSize: 1, pollingIntervalSeconds: options.pollingIntervalSeconds ?? 1 },
    async ([job]) => {
      if (job === undefined) throw new Error('no job');
      const shard = ShardJobSchema.parse(job.data);
      if (shard.pipeline !== app.syncOptions.pipeline) {
        throw new Error(
          `the shard belongs to pipeline ${shard.pipeline}, this worker's config runs ${app.syncOptions.pipeline}`,
        );
      }
      const controller = new AbortController();
      current = controller;
      logger.info('shard taken', { run: shard.run, shard: shard.shard.id });
      try {
        const summary = await app.engine.runShard({
          ...app.syncOptions,
          run: shard.run,
          startedAt: shard.startedAt,
          shard: shard.shard,
          signal: controller.signal,
        });
        return {
          read: summary.read,
          written: summary.written,
          unchanged: summary.unchanged,
          deadLettered: summary.deadLettered,
          worker: id,
        };
      } catch (error) {
        logger.warn('shard not completed: released for a retry', {
          run: shard.run,
          shard: shard.shard.id,
          error: describeError(error),
        });
        throw error;
      } finally {
        current = undefined;
      }
    },
  );
  logger.info('worker waiting for shards', { queue });
  return {
    id,
    stop: async () => {
      current?.abort(new CancelledError('the worker is stopping: the shard is released'));
      await boss.stop({ graceful: true, timeout: 30_000 });
    },
  };
}
