import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  ConfigError,
  StateError,
  describeError,
  hasRecordStore,
  hasShardedListing,
  withPipelineLease,
  type Metrics,
  type SyncApp,
} from '@pmsbridge/core';
import type { PgBoss } from 'pg-boss';
import { z } from 'zod';
import { ShardJobSchema, shardJobKey, type ShardJob, type ShardOutcome } from './shard-queue.js';

/** Where the coordinator keeps the plan of a distributed run under way, per pipeline. */
export const DISTRIBUTED_RUNS_NAMESPACE = 'distributed-runs';

const PlanSchema = z.strictObject({
  run: z.string(),
  startedAt: z.string(),
  shards: z.array(ShardJobSchema.shape.shard),
});

/** A distributed run as planned: its id, start and shards. */
export type DistributedPlan = z.infer<typeof PlanSchema>;

/** What {@link coordinateDistributedRun} reports. */
export interface DistributedSummary {
  pipeline: string;
  run: string;
  shards: number;
  /** True when this coordinator took over a run an earlier one planned. */
  resumed: boolean;
  read: number;
  written: number;
  unchanged: number;
  deadLettered: number;
  /** The workers that completed shards, with how many each. */
  workers: Record<string, number>;
  durationMs: number;
}

/** Options of {@link coordinateDistributedRun}. */
export interface CoordinatorOptions {
  app: SyncApp;
  boss: PgBoss;
  queue: string;
  /** How many shards to plan (fewer when the listing is shorter). */
  shards: number;
  heartbeatSeconds: number;
  maxAttempts: number;
  signal: AbortSignal;
  metrics?: Metrics;
  /** How often shard completion is checked. Default 500 ms. */
  pollMs?: number;
  /** Told of every shard completion: `(complete, total)`. */
  onProgress?: (complete: number, total: number) => void;
}

/** How long the coordinator waits through a database outage before it gives up. */
const OUTAGE_TOLERANCE_MS = 120_000;

/** A shard that failed on every attempt. */
class ShardFailedError extends StateError {
  constructor(run: string, shard: string, attempts: number) {
    super(
      `Shard ${shard} of run ${run} failed ${attempts} times; fix the cause and run pmsbridge distribute again to go on with the same run`,
    );
  }
}

function shardIdOf(index: number, count: number): string {
  return String(index).padStart(String(count - 1).length, '0');
}

/**
 * Runs a distributed full sync from one process: holds the pipeline's lease for the whole run
 * (a second coordinator fails at once), plans the shards (or takes over the plan of a
 * coordinator that died), queues one job per shard that is neither complete nor queued,
 * waits until every shard has completed — workers that die lose their shard to others —
 * and finishes the run (the sinks' final step, the incremental checkpoint) exactly once.
 */
export async function coordinateDistributedRun(
  options: CoordinatorOptions,
): Promise<DistributedSummary> {
  const { app, boss, queue } = options;
  const { pipeline } = app.syncOptions;
  const state = app.state;
  if (!hasRecordStore(state)) {
    throw new ConfigError(
      'state.use: the state store keeps no records, which a distributed run needs',
    );
  }
  const cannot = app.engine.sinksThatCannotShard();
  if (cannot.length > 0) {
    throw new ConfigError(
      `sinks ${cannot.join(', ')} cannot take part in a distributed run: each shard is written by another process, and they are not shardable`,
    );
  }
  const source = app.pipeline.source;
  if (!hasShardedListing(source)) {
    throw new ConfigError('source.use: this source cannot split its listing into shards');
  }
  const startedMs = Date.now();
  return withPipelineLease(state, pipeline, app.logger, options.signal, async (signal) => {
    const stored = await state.getRecord(DISTRIBUTED_RUNS_NAMESPACE, pipeline);
    let plan: DistributedPlan;
    const resumed = stored !== undefined;
    if (stored !== undefined) {
      plan = PlanSchema.parse(JSON.parse(stored.value));
      app.logger.warn('taking over a distributed run an earlier coordinator planned', {
        pipeline,
        run: plan.run,
        shards: plan.shards.length,
      });
    } else {
      const ranges = await source.planShards(options.shards, signal);
      plan = {
        run: randomBytes(6).toString('hex'),
        startedAt: new Date().toISOString(),
        shards: ranges.map((range, index) => ({ id: shardIdOf(index, ranges.length), ...range })),
      };
      await state.createRecord(DISTRIBUTED_RUNS_NAMESPACE, pipeline, JSON.stringify(plan));
      app.logger.info('distributed run planned', {
        pipeline,
        run: plan.run,
        shards: plan.shards.length,
      });
    }
    const logger = app.logger.child({ pipeline, run: plan.run });
    const ids = plan.shards.map((shard) => shard.id);
    let complete = new Set<string>();
    options.metrics?.watchShards(pipeline, 'planned', () => plan.shards.length);
    options.metrics?.watchShards(pipeline, 'done', () => complete.size);
    options.metrics?.watchShards(pipeline, 'pending', () => plan.shards.length - complete.size);

    const isComplete = (id: string) => app.engine.isShardComplete(pipeline, plan.run, id);
    const send = async (shard: DistributedPlan['shards'][number]): Promise<void> => {
      const job: ShardJob = { pipeline, run: plan.run, startedAt: plan.startedAt, shard };
      await boss.send(queue, job, {
        singletonKey: shardJobKey(plan.run, shard.id),
        retryLimit: options.maxAttempts - 1,
        // A shard whose lease a slow (not dead) worker still holds fails fast: back off.
        retryDelay: 1,
        retryBackoff: true,
        retryDelayMax: 30,
        heartbeatSeconds: options.heartbeatSeconds,
      });
    };
    /** The shard's latest job: its state and, once it completed, its outcome. */
    /** Every shard's latest job (its state and, once completed, its outcome): one query. */
    const latestJobs = async () => {
      const jobs = await boss.findJobs<ShardJob>(queue, {
        data: { run: plan.run },
        limit: 100_000,
      });
      const byKey = new Map<string, (typeof jobs)[number]>();
      for (const job of jobs) if (job.singletonKey !== null) byKey.set(job.singletonKey, job);
      return (id: string) => byKey.get(shardJobKey(plan.run, id));
    };

    const queued = await latestJobs();
    for (const shard of plan.shards) {
      if (await isComplete(shard.id)) continue;
      const job = queued(shard.id);
      if (job === undefined || job.state === 'cancelled' || job.state === 'failed') {
        await send(shard);
      }
    }
    let lastReported = -1;
    let outages = 0;
    for (;;) {
      try {
        const done = new Set<string>();
        for (const id of ids) if (await isComplete(id)) done.add(id);
        complete = done;
        if (done.size !== lastReported) {
          lastReported = done.size;
          options.onProgress?.(done.size, ids.length);
          logger.info('shards complete', { complete: done.size, shards: ids.length });
        }
        if (done.size === ids.length) break;
        const jobOf = await latestJobs();
        for (const shard of plan.shards) {
          if (done.has(shard.id)) continue;
          const job = jobOf(shard.id);
          if (job?.state === 'failed')
            throw new ShardFailedError(plan.run, shard.id, options.maxAttempts);
          if (job === undefined || job.state === 'cancelled') await send(shard);
        }
        outages = 0;
      } catch (error) {
        if (error instanceof ShardFailedError || signal.aborted) throw error;
        // The database restarting or out of reach for a moment: the workers wait for it
        // too, and the run goes on once it answers.
        outages += 1;
        if (outages * (options.pollMs ?? 500) > OUTAGE_TOLERANCE_MS) throw error;
        logger.warn('the database did not answer: trying again', { error: describeError(error) });
      }
      await sleep(options.pollMs ?? 500, undefined, { signal });
    }
    await app.engine.finishDistributedRun({
      pipeline,
      run: plan.run,
      startedAt: plan.startedAt,
      shards: ids,
      changesOverlapMs: app.syncOptions.changesOverlapMs,
      signal,
    });
    await state.deleteRecord(DISTRIBUTED_RUNS_NAMESPACE, pipeline);

    const summary: DistributedSummary = {
      pipeline,
      run: plan.run,
      shards: ids.length,
      resumed,
      read: 0,
      written: 0,
      unchanged: 0,
      deadLettered: 0,
      workers: {},
      durationMs: Date.now() - startedMs,
    };
    const finished = await latestJobs();
    for (const id of ids) {
      const outcome = finished(id)?.output as Partial<ShardOutcome> | undefined;
      summary.read += outcome?.read ?? 0;
      summary.written += outcome?.written ?? 0;
      summary.unchanged += outcome?.unchanged ?? 0;
      summary.deadLettered += outcome?.deadLettered ?? 0;
      if (outcome?.worker !== undefined) {
        summary.workers[outcome.worker] = (summary.workers[outcome.worker] ?? 0) + 1;
      }
    }
    logger.info('distributed run finished', { ...summary });
    return summary;
  });
}
