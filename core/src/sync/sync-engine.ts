import { randomBytes } from 'node:crypto';
import { inject, injectable, multiInject, optional } from 'inversify';
import {
  CancelledError,
  ConfigError,
  PmsbridgeError,
  StateError,
  describeError,
  isPmsbridgeError,
} from '../errors/errors.js';
import { ClockToken, type Clock } from '../ports/clock.js';
import { LoggerToken, type Logger } from '../ports/logger.js';
import { MetricsRecorderToken, type MetricsRecorder } from '../ports/metrics-recorder.js';
import { ProviderSourceToken, type ProviderSource } from '../ports/provider-source.js';
import { SinkToken, type ShardContext, type Sink } from '../ports/sink.js';
import type { ListingShard } from '../ports/sharded-listing.js';
import { SlotSourceToken, type SlotSource } from '../ports/slot-source.js';
import { StageToken, type Stage } from '../ports/stage.js';
import {
  StateStoreToken,
  type Checkpoint,
  type DeadLetter,
  type StateStore,
} from '../ports/state-store.js';
import {
  RecordProcessor,
  isRecordLevel,
  type ProcessingContext,
  type WorkItem,
} from './record-processor.js';
import { withPipelineLease } from './pipeline-lease.js';
import { coalesceChanges } from './change-coalescer.js';
import {
  DEFAULT_DEAD_LETTER_THRESHOLD,
  deadLetterShare,
  judgeDeadLetters,
} from './dead-letter-threshold.js';
import { RunTally, type SyncProgress, type SyncSummary } from './run-summary.js';
import { rollingWindow } from './schedule-window.js';
import {
  readChanges,
  readFull,
  type FullPosition,
  type IncrementalPosition,
  type SourcePosition,
} from './source-reader.js';

/** One shard of a distributed full run (see {@link SyncEngine.runShard}). */
export interface ShardRunOptions extends Omit<SyncOptions, 'mode' | 'dryRun'> {
  /** The distributed run's id, the same for every shard. */
  run: string;
  /** When the distributed run started (RFC 3339): every shard reads the same window. */
  startedAt: string;
  /** The shard: its id in the run and its part of the listing. */
  shard: { id: string } & ListingShard;
}

/** The end of a distributed full run (see {@link SyncEngine.finishDistributedRun}). */
export interface FinishDistributedRunOptions extends Pick<
  SyncOptions,
  'pipeline' | 'changesOverlapMs' | 'signal'
> {
  run: string;
  startedAt: string;
  /** Every shard's id; each has completed. */
  shards: readonly string[];
}

/** What a sync run is assembled from. */
export interface SyncEngineDeps {
  source: ProviderSource;
  /** Without a slot source, records carry no slots. */
  slots?: SlotSource;
  stages: readonly Stage[];
  sinks: readonly Sink[];
  state: StateStore;
  logger: Logger;
  clock: Clock;
  /** Told what every acknowledged batch added to the counts; default none. */
  metrics?: MetricsRecorder;
}

/** How one run behaves. */
export interface SyncOptions {
  /** Name under which checkpoints and dead letters are kept. */
  pipeline: string;
  mode: 'full' | 'incremental';
  /** Days of schedule from today, default 14. */
  horizonDays?: number;
  /** Records per sink write, default 100. */
  batchSize?: number;
  /** A partial batch is written at most this long after its first record, default 1000 ms. */
  batchMaxWaitMs?: number;
  /** Records processed at once (schedule fetches, stages), default 8. */
  concurrency?: number;
  /** `dead-letter` (default): record failures are stored and the run goes on. `fail-fast`: the first one fails the run. */
  errorPolicy?: 'dead-letter' | 'fail-fast';
  /** Compute outcomes without writing to sinks or moving checkpoints. */
  dryRun?: boolean;
  /**
   * After a full run, the next incremental run reads changes from this long before the full
   * run started, default 5 minutes: the source's clock and timestamp resolution may differ
   * from ours, and a change applied twice is harmless while a missed one is not.
   */
  changesOverlapMs?: number;
  /**
   * Share (0–1) of a run's records that may be dead-lettered, default 0.1. Above it the
   * summary carries a `failure` (the CLI exits 1). Replays of dead letters are not judged.
   */
  deadLetterThreshold?: number;
  /**
   * Distinct providers whose changes an incremental run holds back at once to fold each
   * provider's changes into one record, default 10 000 (see `coalesceChanges`).
   */
  maxCoalescedProviders?: number;
  signal?: AbortSignal;
  onProgress?: (progress: SyncProgress) => void;
}

const FULL_STREAM = 'full';

/** Where the incremental run after a full run that started at `startedAt` reads from. */
function sinceFullRun(startedAt: string, overlapMs?: number): IncrementalPosition {
  const since = Date.parse(startedAt) - (overlapMs ?? DEFAULT_CHANGES_OVERLAP_MS);
  return { mode: 'incremental', since: new Date(since).toISOString() };
}

/** The checkpoint stream of one shard of a distributed run. */
function shardStream(run: string, shard: string): string {
  return `shard/${run}/${shard}`;
}
const INCREMENTAL_STREAM = 'incremental';
const DEFAULT_CHANGES_OVERLAP_MS = 5 * 60 * 1000;

/** A random id for one run, carried by every log line of the run (`run`). */
function newRunId(): string {
  return randomBytes(6).toString('hex');
}

/** A provider the source no longer has, met while replaying its dead letter. */
class ProviderGoneError extends PmsbridgeError {
  constructor(id: string) {
    super('PMS_RECORD_GONE', `Provider ${id} no longer exists at the source`, {
      details: { status: 404 },
    });
  }
}

/**
 * Runs full and incremental syncs: reads the source, fetches schedules with bounded
 * concurrency, applies the stages in order, writes batches to every sink and moves the
 * checkpoint only after the sinks acknowledged a batch. A run that dies at any point and
 * is started again ends with the same output as one that never died.
 */
@injectable()
export class SyncEngine {
  readonly #processor: RecordProcessor;
  private readonly deps: SyncEngineDeps;

  /** Injected by the application's container; code that wires an engine by hand uses {@link SyncEngine.of}. */
  constructor(
    @inject(ProviderSourceToken) source: ProviderSource,
    @multiInject(StageToken) @optional() stages: readonly Stage[] | undefined,
    @multiInject(SinkToken) sinks: readonly Sink[],
    @inject(StateStoreToken) state: StateStore,
    @inject(LoggerToken) logger: Logger,
    @inject(ClockToken) clock: Clock,
    @inject(SlotSourceToken) @optional() slots?: SlotSource,
    @inject(MetricsRecorderToken) @optional() metrics?: MetricsRecorder,
  ) {
    this.deps = { source, slots, stages: stages ?? [], sinks, state, logger, clock, metrics };
    this.#processor = new RecordProcessor(this.deps);
  }

  /** An engine over the given parts, without a container. */
  static of(deps: SyncEngineDeps): SyncEngine {
    const { source, stages, sinks, state, logger, clock, slots, metrics } = deps;
    return new SyncEngine(source, stages, sinks, state, logger, clock, slots, metrics);
  }

  /**
   * Runs one sync and returns its summary. Throws when the run fails or is cancelled, or
   * when another run of the same pipeline is under way (dry runs write no state and need
   * no lease).
   */
  async run(options: SyncOptions): Promise<SyncSummary> {
    if (options.dryRun === true)
      return this.#run(options, options.signal ?? new AbortController().signal);
    return withPipelineLease(
      this.deps.state,
      options.pipeline,
      this.deps.logger,
      options.signal,
      (signal) => this.#run(options, signal),
    );
  }

  async #run(options: SyncOptions, signal: AbortSignal): Promise<SyncSummary> {
    const logger = this.deps.logger.child({ pipeline: options.pipeline, run: newRunId() });
    const startedAt = this.deps.clock.now();
    const tally = new RunTally(Date.now());
    const { mode, position, checkpoint } = await this.#startPosition(options, startedAt, logger);
    const window = rollingWindow(startedAt, options.horizonDays ?? 14);
    let finalIncremental: IncrementalPosition | undefined;
    const items =
      position.mode === 'full'
        ? readFull(
            this.deps.source,
            position,
            signal,
            (total) => {
              tally.total = total;
            },
            options.dryRun === true,
          )
        : coalesceChanges(
            readChanges(
              this.deps.source,
              position,
              signal,
              (next) => {
                finalIncremental = next;
              },
              options.dryRun === true,
            ),
            options.maxCoalescedProviders,
          );
    const dryRun = options.dryRun === true;
    const stream = mode === 'full' ? FULL_STREAM : INCREMENTAL_STREAM;
    logger.info('sync started', { mode, resumed: checkpoint !== undefined, window, dryRun });

    await this.#withSinks(options, mode, checkpoint, signal, logger, async () => {
      await this.#processor.process(items, {
        ...this.#context(options, mode, window, tally, signal),
        onBatchDone: async (last) => {
          if (!dryRun && last !== undefined) await this.#save(options.pipeline, stream, last);
        },
      });
      if (dryRun) return;
      if (position.mode === 'full') {
        await this.#save(
          options.pipeline,
          INCREMENTAL_STREAM,
          sinceFullRun(position.startedAt, options.changesOverlapMs),
          true,
        );
        await this.deps.state.clearCheckpoint(options.pipeline, FULL_STREAM);
      } else if (finalIncremental !== undefined) {
        await this.#save(options.pipeline, INCREMENTAL_STREAM, finalIncremental, true);
      }
    });
    const summary = this.#summary(options, mode, checkpoint !== undefined, tally);
    summary.failure = judgeDeadLetters(
      { records: tally.read - tally.coalesced, deadLettered: tally.deadLettered },
      options.deadLetterThreshold ?? DEFAULT_DEAD_LETTER_THRESHOLD,
    );
    if (summary.failure === undefined) logger.info('sync finished', { ...summary });
    else logger.error('sync finished with too many dead letters', { ...summary });
    return summary;
  }

  /**
   * The sinks that cannot take part in a distributed full run (not {@link Sink.shardable}),
   * by name; empty when every sink can.
   */
  sinksThatCannotShard(): string[] {
    return this.deps.sinks.filter((sink) => sink.shardable !== true).map((sink) => sink.name);
  }

  /**
   * Runs one shard of a distributed full run: the providers of its part of the listing,
   * through the stages into every sink (opened with {@link SinkOpenContext.shard}), with its
   * own checkpoint, so a shard taken over from a process that died resumes where that one
   * was acknowledged. A shard already complete returns at once. One process at a time runs
   * a shard (a lease); the pipeline's own lease stays with the coordinator.
   */
  async runShard(options: ShardRunOptions): Promise<SyncSummary> {
    const cannot = this.sinksThatCannotShard();
    if (cannot.length > 0) {
      throw new ConfigError(
        `sinks ${cannot.join(', ')} cannot take part in a distributed run (they are not shardable)`,
      );
    }
    const { run, shard } = options;
    const stream = shardStream(run, shard.id);
    return withPipelineLease(
      this.deps.state,
      `${options.pipeline}/${stream}`,
      this.deps.logger,
      options.signal,
      async (signal) => {
        const logger = this.deps.logger.child({ pipeline: options.pipeline, run, shard: shard.id });
        const runOptions: SyncOptions = { ...options, mode: 'full' };
        const tally = new RunTally(Date.now());
        const checkpoint = await this.deps.state.getCheckpoint(options.pipeline, stream);
        const saved = checkpoint?.position as FullPosition | undefined;
        if (saved?.shardComplete === true) {
          logger.info('shard already complete');
          return this.#summary(runOptions, 'full', true, tally);
        }
        const position: FullPosition = saved ?? {
          mode: 'full',
          startedAt: options.startedAt,
          ...(shard.afterId === undefined ? {} : { afterId: shard.afterId }),
          ...(shard.throughId === undefined ? {} : { throughId: shard.throughId }),
        };
        const window = rollingWindow(new Date(options.startedAt), options.horizonDays ?? 14);
        logger.info('shard started', { resumed: checkpoint !== undefined, window });
        const items = readFull(this.deps.source, position, signal, (total) => {
          tally.total = total;
        });
        let last: SourcePosition = position;
        await this.#withSinks(
          runOptions,
          'full',
          checkpoint,
          signal,
          logger,
          async () => {
            await this.#processor.process(items, {
              ...this.#context(runOptions, 'full', window, tally, signal),
              onBatchDone: async (at) => {
                if (at === undefined) return;
                last = at;
                await this.#save(options.pipeline, stream, at);
              },
            });
          },
          { run, id: shard.id },
        );
        await this.#save(
          options.pipeline,
          stream,
          { ...(last as FullPosition), shardComplete: true },
          true,
        );
        const summary = this.#summary(runOptions, 'full', checkpoint !== undefined, tally);
        logger.info('shard finished', { ...summary });
        return summary;
      },
    );
  }

  /** Whether shard `shard` of distributed run `run` has been read and acknowledged to its end. */
  async isShardComplete(pipeline: string, run: string, shard: string): Promise<boolean> {
    const checkpoint = await this.deps.state.getCheckpoint(pipeline, shardStream(run, shard));
    return (checkpoint?.position as FullPosition | undefined)?.shardComplete === true;
  }

  /**
   * Ends a distributed full run whose shards have all completed: the sinks' final step
   * ({@link Sink.finishRun}, e.g. a publication's manifest), then the checkpoint the next
   * incremental run starts from (as after a full run), then the shards' checkpoints are
   * dropped. Safe to call again after a failure: every step is idempotent.
   */
  async finishDistributedRun(options: FinishDistributedRunOptions): Promise<void> {
    const signal = options.signal ?? new AbortController().signal;
    const logger = this.deps.logger.child({ pipeline: options.pipeline, run: options.run });
    for (const shard of options.shards) {
      if (!(await this.isShardComplete(options.pipeline, options.run, shard))) {
        throw new StateError(
          `Shard ${shard} of run ${options.run} has not completed; the run cannot be finished`,
        );
      }
    }
    for (const sink of this.deps.sinks) {
      await sink.finishRun?.({ run: options.run, shards: options.shards, signal });
    }
    await this.#save(
      options.pipeline,
      INCREMENTAL_STREAM,
      sinceFullRun(options.startedAt, options.changesOverlapMs),
      true,
    );
    for (const shard of options.shards) {
      await this.deps.state.clearCheckpoint(options.pipeline, shardStream(options.run, shard));
    }
    logger.info('distributed run finished', { shards: options.shards.length });
  }

  /**
   * Sends the pipeline's dead letters through the current pipeline again, fetching each
   * provider afresh from the source. A provider that now lands (or is filtered out) loses
   * its letters; one that fails again keeps a single letter, for the stage it failed in now,
   * with its attempts counted up. Letters whose key is not a provider id (a record the
   * source could not identify) cannot be fetched again and stay as they are.
   */
  async replayDeadLetters(options: Omit<SyncOptions, 'mode' | 'dryRun'>): Promise<SyncSummary> {
    return withPipelineLease(
      this.deps.state,
      options.pipeline,
      this.deps.logger,
      options.signal,
      (signal) => this.#replay(options, signal),
    );
  }

  /**
   * Sends the named providers through the pipeline again, read afresh from the source with
   * their schedules over the horizon: what a webhook that a provider's data or schedule
   * changed calls for, instead of a whole incremental sync. A provider the source no longer
   * has goes through as a deactivation. No checkpoint moves: the next incremental sync still
   * reads every change.
   */
  async refresh(
    options: Omit<SyncOptions, 'mode' | 'dryRun'> & { providerIds: readonly string[] },
  ): Promise<SyncSummary> {
    return withPipelineLease(
      this.deps.state,
      options.pipeline,
      this.deps.logger,
      options.signal,
      async (signal) => {
        const logger = this.deps.logger.child({
          pipeline: options.pipeline,
          run: newRunId(),
          refresh: true,
        });
        const now = this.deps.clock.now();
        const tally = new RunTally(Date.now());
        const window = rollingWindow(now, options.horizonDays ?? 14);
        const runOptions: SyncOptions = { ...options, mode: 'incremental' };
        const ids = [...new Set(options.providerIds)];
        logger.info('refresh started', { providers: ids.length, window });
        await this.#withSinks(runOptions, 'incremental', undefined, signal, logger, () =>
          this.#processor.process(
            this.#refreshItems(ids, now, signal),
            this.#context(runOptions, 'incremental', window, tally, signal),
          ),
        );
        const summary = this.#summary(runOptions, 'incremental', false, tally);
        logger.info('refresh finished', { ...summary });
        return summary;
      },
    );
  }

  async *#refreshItems(
    ids: readonly string[],
    now: Date,
    signal: AbortSignal,
  ): AsyncGenerator<WorkItem> {
    const position: SourcePosition = { mode: 'incremental', since: now.toISOString() };
    for (const id of ids) {
      const provider = await this.deps.source.getProvider(id, signal);
      yield provider === undefined
        ? { kind: 'deactivation', providerId: id, changedAt: now.toISOString(), position }
        : { kind: 'provider', provider, position };
    }
  }

  async #replay(
    options: Omit<SyncOptions, 'mode' | 'dryRun'>,
    signal: AbortSignal,
  ): Promise<SyncSummary> {
    const logger = this.deps.logger.child({
      pipeline: options.pipeline,
      run: newRunId(),
      replay: true,
    });
    const now = this.deps.clock.now();
    const lettersByKey = new Map<string, DeadLetter[]>();
    for (const letter of await this.deps.state.listDeadLetters(options.pipeline)) {
      if (this.deps.source.isProviderId?.(letter.key) === false) {
        logger.warn('dead letter cannot be replayed: its key is not a provider id', {
          id: letter.id,
          key: letter.key,
        });
        continue;
      }
      lettersByKey.set(letter.key, [...(lettersByKey.get(letter.key) ?? []), letter]);
    }
    const tally = new RunTally(Date.now());
    const window = rollingWindow(now, options.horizonDays ?? 14);
    const runOptions: SyncOptions = { ...options, mode: 'incremental' };
    await this.#withSinks(runOptions, 'incremental', undefined, signal, logger, () =>
      this.#processor.process(this.#replayItems(lettersByKey, now, signal), {
        ...this.#context(runOptions, 'incremental', window, tally, signal),
        lettersByKey,
      }),
    );
    return this.#summary(runOptions, 'incremental', false, tally);
  }

  async *#replayItems(
    lettersByKey: ReadonlyMap<string, DeadLetter[]>,
    now: Date,
    signal: AbortSignal,
  ): AsyncGenerator<WorkItem> {
    const position: SourcePosition = { mode: 'incremental', since: now.toISOString() };
    for (const [key, letters] of lettersByKey) {
      const letter = letters[0];
      if (letter === undefined) continue;
      let provider;
      try {
        provider = await this.deps.source.getProvider(key, signal);
      } catch (error) {
        if (signal.aborted || !isRecordLevel(error)) throw error;
        const cause = isPmsbridgeError(error) ? error : new ProviderGoneError(key);
        yield {
          kind: 'invalid',
          invalid: { key, raw: letter.record, error: cause },
          position,
          letter,
        };
        continue;
      }
      if (provider !== undefined) {
        yield { kind: 'provider', provider, position, letter };
      } else if (
        letters.some((l) => (l.record as { kind?: unknown } | null)?.kind === 'deactivation')
      ) {
        yield {
          kind: 'deactivation',
          providerId: key,
          changedAt: now.toISOString(),
          position,
          letter,
        };
      } else {
        const invalid = { key, raw: letter.record, error: new ProviderGoneError(key) };
        yield { kind: 'invalid', invalid, position, letter };
      }
    }
  }

  #context(
    options: SyncOptions,
    mode: 'full' | 'incremental',
    window: ReturnType<typeof rollingWindow>,
    tally: RunTally,
    signal: AbortSignal,
  ): ProcessingContext {
    return {
      pipeline: options.pipeline,
      mode,
      window,
      batchSize: options.batchSize ?? 100,
      batchMaxWaitMs: options.batchMaxWaitMs ?? 1000,
      concurrency: options.concurrency ?? 8,
      errorPolicy: options.errorPolicy ?? 'dead-letter',
      dryRun: options.dryRun === true,
      signal,
      tally,
      onProgress: options.onProgress,
      metrics: this.deps.metrics,
    };
  }

  async #startPosition(
    options: SyncOptions,
    now: Date,
    logger: Logger,
  ): Promise<{ mode: 'full' | 'incremental'; position: SourcePosition; checkpoint?: Checkpoint }> {
    const state = this.deps.state;
    const unfinishedFull = await state.getCheckpoint(options.pipeline, FULL_STREAM);
    if (unfinishedFull !== undefined) {
      if (options.mode === 'incremental') logger.warn('an interrupted full sync is resumed first');
      return {
        mode: 'full',
        position: unfinishedFull.position as FullPosition,
        checkpoint: unfinishedFull,
      };
    }
    if (options.mode === 'incremental') {
      const incremental = await state.getCheckpoint(options.pipeline, INCREMENTAL_STREAM);
      if (incremental !== undefined) {
        const position = incremental.position as IncrementalPosition;
        const isMidRun = position.cursor !== undefined || position.index !== undefined;
        return { mode: 'incremental', position, checkpoint: isMidRun ? incremental : undefined };
      }
      logger.warn('no incremental cursor yet: running a full sync first');
    }
    return { mode: 'full', position: { mode: 'full', startedAt: now.toISOString() } };
  }

  /**
   * Opens the sinks, runs `body`, and closes every sink that opened — with `completed` only
   * when `body` succeeded. A failure while opening closes the ones already open.
   */
  async #withSinks(
    options: SyncOptions,
    mode: 'full' | 'incremental',
    checkpoint: Checkpoint | undefined,
    signal: AbortSignal,
    logger: Logger,
    body: () => Promise<void>,
    shard?: ShardContext,
  ): Promise<void> {
    const opened: Sink[] = [];
    let failure: unknown;
    try {
      for (const sink of this.deps.sinks) {
        if (options.dryRun === true && sink.supportsDryRun !== true) {
          logger.warn('sink does not support dry runs: nothing is sent to it', {
            sink: sink.name,
          });
          continue;
        }
        await sink.open?.({
          resumeState: checkpoint?.sinkStates[sink.name],
          dryRun: options.dryRun === true,
          mode,
          signal,
          ...(shard === undefined ? {} : { shard }),
        });
        opened.push(sink);
      }
      await body();
    } catch (error) {
      failure = signal.aborted
        ? new CancelledError('The sync was cancelled; the checkpoint is consistent', error)
        : error;
    }
    let closeFailure: unknown;
    for (const sink of opened) {
      try {
        await sink.close?.({ completed: failure === undefined });
      } catch (error) {
        logger.error('sink failed to close', { sink: sink.name, error: describeError(error) });
        closeFailure ??= error;
      }
    }
    if (failure !== undefined) throw failure;
    if (closeFailure !== undefined) throw closeFailure;
  }

  /** Saves a checkpoint; mid-run ones carry the sinks' states, the final one starts the next run clean. */
  async #save(
    pipeline: string,
    stream: string,
    position: SourcePosition,
    isFinal = false,
  ): Promise<void> {
    const sinkStates: Record<string, unknown> = {};
    for (const sink of isFinal ? [] : this.deps.sinks) {
      const state = sink.checkpointState?.();
      if (state !== undefined) sinkStates[sink.name] = state;
    }
    await this.deps.state.saveCheckpoint(pipeline, stream, {
      position,
      sinkStates,
      updatedAt: this.deps.clock.now().toISOString(),
    });
  }

  #summary(
    options: SyncOptions,
    mode: 'full' | 'incremental',
    resumed: boolean,
    tally: RunTally,
  ): SyncSummary {
    const progress = tally.progress(Date.now());
    return {
      pipeline: options.pipeline,
      mode,
      dryRun: options.dryRun === true,
      resumed,
      read: tally.read,
      written: tally.written,
      unchanged: tally.unchanged,
      filtered: tally.filtered,
      deadLettered: tally.deadLettered,
      coalesced: tally.coalesced,
      deadLetterShare: deadLetterShare({
        records: tally.read - tally.coalesced,
        deadLettered: tally.deadLettered,
      }),
      durationMs: progress.elapsedMs,
      sinks: tally.sinks,
    };
  }
}
