import type { SyncRecord } from '../domain/sync-record.js';
import { recordKey } from '../domain/sync-record.js';
import { CancelledError, PmsbridgeError, describeError } from '../errors/errors.js';
import type { Clock } from '../ports/clock.js';
import type { Logger } from '../ports/logger.js';
import type { ProviderSource } from '../ports/provider-source.js';
import type { RecordOutcome, Sink } from '../ports/sink.js';
import type { SlotSource } from '../ports/slot-source.js';
import type { Stage } from '../ports/stage.js';
import type { Checkpoint, StateStore } from '../ports/state-store.js';
import { batch } from '../pipeline/batch.js';
import { mapConcurrent } from '../pipeline/map-concurrent.js';
import { RunTally, isChange, type SyncProgress, type SyncSummary } from './run-summary.js';
import { rollingWindow } from './schedule-window.js';
import {
  readChanges,
  readFull,
  type FullPosition,
  type IncrementalPosition,
  type SourceItem,
  type SourcePosition,
} from './source-reader.js';

/** What a sync run is assembled from; the CLI gets these from the plugin container. */
export interface SyncEngineDeps {
  source: ProviderSource;
  /** Without a slot source, records carry no slots. */
  slots?: SlotSource;
  stages: readonly Stage[];
  sinks: readonly Sink[];
  state: StateStore;
  logger: Logger;
  clock: Clock;
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
  signal?: AbortSignal;
  onProgress?: (progress: SyncProgress) => void;
}

/** The result of processing one item, carried in order to the batch writer. */
interface ProcessedItem {
  position?: SourcePosition;
  record?: SyncRecord;
  /** Dead letter to drop once the record lands (replay). */
  deadLetterId?: number;
  /** The item failed before reaching the sinks and went to the dead-letter store. */
  isDeadLettered?: boolean;
}

const FULL_STREAM = 'full';
const DEFAULT_CHANGES_OVERLAP_MS = 5 * 60 * 1000;
const INCREMENTAL_STREAM = 'incremental';

/** A record-level failure that the error policy decides about. */
class RecordFailure extends PmsbridgeError {
  constructor(
    readonly stage: string,
    readonly key: string,
    readonly record: unknown,
    cause: unknown,
  ) {
    const reason = describeError(cause);
    super('PMS_VALIDATION', `Record ${key} failed in ${stage}: ${reason.message}`, {
      cause,
      details: { stage, key, reason },
    });
  }
}

/**
 * Runs full and incremental syncs: reads the source, fetches schedules with bounded
 * concurrency, applies the stages in order, writes batches to every sink and moves the
 * checkpoint only after the sinks acknowledged a batch. A run that dies at any point and
 * is started again ends with the same output as one that never died.
 */
export class SyncEngine {
  constructor(private readonly deps: SyncEngineDeps) {}

  /** Runs one sync and returns its summary. Throws when the run fails or is cancelled. */
  async run(options: SyncOptions): Promise<SyncSummary> {
    const signal = options.signal ?? new AbortController().signal;
    const logger = this.deps.logger.child({ pipeline: options.pipeline });
    const startedAt = this.deps.clock.now();
    const tally = new RunTally(Date.now());
    const { mode, position, checkpoint } = await this.#startPosition(options, startedAt, logger);
    const window = rollingWindow(startedAt, options.horizonDays ?? 14);
    let finalIncremental: IncrementalPosition | undefined;

    const items =
      position.mode === 'full'
        ? readFull(this.deps.source, position, signal, (total) => {
            tally.total = total;
          })
        : readChanges(this.deps.source, position, signal, (next) => {
            finalIncremental = next;
          });

    logger.info('sync started', {
      mode,
      resumed: checkpoint !== undefined,
      window,
      dryRun: options.dryRun === true,
    });
    await this.#openSinks(options, mode, checkpoint, signal);
    let isCompleted = false;
    try {
      await this.#process(
        this.#toWork(items, tally, window, options, signal),
        tally,
        options,
        signal,
        mode,
      );
      if (options.dryRun !== true) {
        if (position.mode === 'full') {
          const since = new Date(
            Date.parse(position.startedAt) -
              (options.changesOverlapMs ?? DEFAULT_CHANGES_OVERLAP_MS),
          ).toISOString();
          await this.#save(
            options.pipeline,
            INCREMENTAL_STREAM,
            { mode: 'incremental', since },
            true,
          );
          await this.deps.state.clearCheckpoint(options.pipeline, FULL_STREAM);
        } else if (finalIncremental !== undefined) {
          await this.#save(options.pipeline, INCREMENTAL_STREAM, finalIncremental, true);
        }
      }
      isCompleted = true;
    } catch (error) {
      throw signal.aborted
        ? new CancelledError('The sync was cancelled; the checkpoint is consistent', error)
        : error;
    } finally {
      await this.#closeSinks(isCompleted, logger);
    }
    const summary = this.#summary(options, mode, checkpoint !== undefined, tally);
    logger.info('sync finished', { ...summary });
    return summary;
  }

  /**
   * Sends the pipeline's dead letters through the current pipeline again, fetching each
   * provider afresh from the source. Letters whose record now lands are removed; the
   * others stay with their attempts counted up.
   */
  async replayDeadLetters(options: Omit<SyncOptions, 'mode' | 'dryRun'>): Promise<SyncSummary> {
    const signal = options.signal ?? new AbortController().signal;
    const letters = await this.deps.state.listDeadLetters(options.pipeline);
    const tally = new RunTally(Date.now());
    const now = this.deps.clock.now();
    const window = rollingWindow(now, options.horizonDays ?? 14);
    const source = this.deps.source;
    async function* items(): AsyncGenerator<SourceItem & { deadLetterId: number }> {
      for (const letter of letters) {
        const position = { mode: 'incremental', since: '' } as const;
        let provider;
        try {
          provider = await source.getProvider(letter.key, signal);
        } catch (error) {
          if (signal.aborted || !isRecordLevel(error)) throw error;
          const invalid = { key: letter.key, raw: letter.record, error: error as PmsbridgeError };
          yield { kind: 'invalid', invalid, position, deadLetterId: letter.id };
          continue;
        }
        if (provider !== undefined) {
          yield { kind: 'provider', provider, position, deadLetterId: letter.id };
        } else if ((letter.record as Partial<SyncRecord> | null)?.kind === 'deactivation') {
          yield {
            kind: 'deactivation',
            providerId: letter.key,
            changedAt: now.toISOString(),
            position,
            deadLetterId: letter.id,
          };
        }
      }
    }
    const runOptions: SyncOptions = { ...options, mode: 'incremental' };
    await this.#openSinks(runOptions, 'incremental', undefined, signal);
    let isCompleted = false;
    try {
      await this.#process(
        this.#toWork(items(), tally, window, runOptions, signal),
        tally,
        runOptions,
        signal,
        'incremental',
        false,
      );
      isCompleted = true;
    } finally {
      await this.#closeSinks(isCompleted, this.deps.logger);
    }
    return this.#summary(runOptions, 'incremental', false, tally);
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

  async #openSinks(
    options: SyncOptions,
    mode: 'full' | 'incremental',
    checkpoint: Checkpoint | undefined,
    signal: AbortSignal,
  ): Promise<void> {
    for (const sink of this.deps.sinks) {
      await sink.open?.({
        resumeState: checkpoint?.sinkStates[sink.name],
        dryRun: options.dryRun === true,
        mode,
        signal,
      });
    }
  }

  async #closeSinks(completed: boolean, logger: Logger): Promise<void> {
    for (const sink of this.deps.sinks) {
      try {
        await sink.close?.({ completed });
      } catch (error) {
        logger.error('sink failed to close', { sink: sink.name, error: describeError(error) });
        if (completed) throw error;
      }
    }
  }

  /** Turns source items into processed items: fetch the schedule, run the stages. */
  #toWork(
    items: AsyncIterable<SourceItem & { deadLetterId?: number }>,
    tally: RunTally,
    window: ReturnType<typeof rollingWindow>,
    options: SyncOptions,
    signal: AbortSignal,
  ): AsyncIterable<ProcessedItem> {
    return mapConcurrent(
      countRead(items, tally),
      options.concurrency ?? 8,
      async (item) => {
        try {
          const record = await this.#toRecord(item, window, signal);
          return {
            position: item.position,
            record: await this.#runStages(record, options, signal),
            deadLetterId: item.deadLetterId,
          };
        } catch (error) {
          if (!(error instanceof RecordFailure)) throw error;
          if (options.errorPolicy === 'fail-fast') throw error;
          await this.#deadLetter(options, error);
          return { position: item.position, isDeadLettered: true };
        }
      },
      signal,
    );
  }

  async #toRecord(
    item: SourceItem,
    window: ReturnType<typeof rollingWindow>,
    signal: AbortSignal,
  ): Promise<SyncRecord> {
    switch (item.kind) {
      case 'invalid':
        throw new RecordFailure('source', item.invalid.key, item.invalid.raw, item.invalid.error);
      case 'deactivation':
        return { kind: 'deactivation', providerId: item.providerId, changedAt: item.changedAt };
      case 'provider': {
        const { provider } = item;
        if (this.deps.slots === undefined || provider.status !== 'active') {
          return { kind: 'provider', provider, window, slots: [] };
        }
        try {
          const slots = await this.deps.slots.getSchedule(provider.id, window, signal);
          return { kind: 'provider', provider, window, slots };
        } catch (error) {
          if (signal.aborted || !isRecordLevel(error)) throw error;
          throw new RecordFailure(
            'slot-source',
            provider.id,
            { kind: 'provider', provider, window, slots: [] },
            error,
          );
        }
      }
    }
  }

  async #runStages(
    record: SyncRecord,
    options: SyncOptions,
    signal: AbortSignal,
  ): Promise<SyncRecord | undefined> {
    let current: SyncRecord = record;
    for (const stage of this.deps.stages) {
      try {
        const next = await stage.process(current, { signal, mode: options.mode });
        if (next === null) return undefined;
        current = next;
      } catch (error) {
        if (signal.aborted) throw error;
        throw new RecordFailure(stage.name, recordKey(current), current, error);
      }
    }
    return current;
  }

  async #deadLetter(options: SyncOptions, failure: RecordFailure): Promise<void> {
    if (options.dryRun === true) return;
    await this.deps.state.addDeadLetter({
      pipeline: options.pipeline,
      key: failure.key,
      stage: failure.stage,
      reason: describeError(failure.cause),
      record: failure.record,
    });
  }

  /** Writes batches to the sinks and checkpoints after each acknowledged batch. */
  async #process(
    work: AsyncIterable<ProcessedItem>,
    tally: RunTally,
    options: SyncOptions,
    signal: AbortSignal,
    mode: 'full' | 'incremental',
    isCheckpointed = true,
  ): Promise<void> {
    for await (const items of batch(work, {
      size: options.batchSize ?? 100,
      maxWaitMs: options.batchMaxWaitMs ?? 1000,
    })) {
      signal.throwIfAborted();
      const live = items.filter(
        (item): item is ProcessedItem & { record: SyncRecord } => item.record !== undefined,
      );
      const failedKeys = await this.#writeToSinks(
        live.map((item) => item.record),
        tally,
        options,
        signal,
      );
      const last = items.at(-1);
      if (options.dryRun !== true && isCheckpointed && last?.position !== undefined) {
        await this.#save(
          options.pipeline,
          mode === 'full' ? FULL_STREAM : INCREMENTAL_STREAM,
          last.position,
        );
      }
      const landed = live.filter(
        (item) => !failedKeys.has(recordKey(item.record)) && item.deadLetterId !== undefined,
      );
      if (landed.length > 0 && options.dryRun !== true) {
        await this.deps.state.purgeDeadLetters(
          options.pipeline,
          landed.map((item) => item.deadLetterId ?? -1),
        );
      }
      for (const item of items) {
        if (item.isDeadLettered === true) tally.deadLettered += 1;
        else if (item.record === undefined) tally.filtered += 1;
      }
      tally.done += items.length;
      options.onProgress?.(tally.progress(Date.now()));
    }
  }

  /** Writes one batch to every sink; returns the keys of records some sink failed. */
  async #writeToSinks(
    records: SyncRecord[],
    tally: RunTally,
    options: SyncOptions,
    signal: AbortSignal,
  ): Promise<Set<string>> {
    const failed = new Map<string, { sink: string; outcome: RecordOutcome; record: SyncRecord }>();
    const changed = new Set<string>();
    if (records.length > 0) {
      for (const sink of this.deps.sinks) {
        const outcomes = await sink.write(records, signal);
        tally.addOutcomes(sink.name, outcomes);
        outcomes.forEach((outcome, index) => {
          const record = records[index];
          if (record === undefined) return;
          if (!outcome.ok) failed.set(outcome.key, { sink: sink.name, outcome, record });
          else if (isChange(outcome)) changed.add(outcome.key);
        });
      }
    }
    for (const { sink, outcome, record } of failed.values()) {
      const failure = new RecordFailure(
        sink,
        outcome.key,
        record,
        Object.assign(new Error(outcome.error?.message ?? 'write failed'), {
          code: outcome.error?.code,
        }),
      );
      if (options.errorPolicy === 'fail-fast') throw failure;
      if (options.dryRun !== true) {
        await this.deps.state.addDeadLetter({
          pipeline: options.pipeline,
          key: outcome.key,
          stage: sink,
          reason: outcome.error ?? { code: 'PMS_SINK', message: 'write failed' },
          record,
        });
      }
    }
    for (const record of records) {
      const key = recordKey(record);
      if (failed.has(key)) tally.deadLettered += 1;
      else if (changed.has(key)) tally.written += 1;
      else tally.unchanged += 1;
    }
    return new Set(failed.keys());
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
      durationMs: progress.elapsedMs,
      sinks: tally.sinks,
    };
  }
}

/**
 * Errors about one record (bad data, a provider that vanished) rather than about the whole
 * run. Checked by code and status, so errors from another copy of core count too.
 */
function isRecordLevel(error: unknown): boolean {
  const { code, status } = (error ?? {}) as { code?: unknown; status?: unknown };
  if (code === 'PMS_VALIDATION') return true;
  return status === 404 || status === 400 || status === 422;
}

async function* countRead<T>(items: AsyncIterable<T>, tally: RunTally): AsyncGenerator<T> {
  for await (const item of items) {
    tally.read += 1;
    yield item;
  }
}
