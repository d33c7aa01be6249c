import type { SyncRecord } from '../domain/sync-record.js';
import { recordKey } from '../domain/sync-record.js';
import type { ScheduleWindow } from '../domain/slot.js';
import { PmsbridgeError, describeError, errorCategoryOf, isErrorCode } from '../errors/errors.js';
import type { MetricsRecorder } from '../ports/metrics-recorder.js';
import type { RecordOutcome, Sink } from '../ports/sink.js';
import type { SlotSource } from '../ports/slot-source.js';
import type { Stage } from '../ports/stage.js';
import type { DeadLetter, StateStore } from '../ports/state-store.js';
import { batch } from '../pipeline/batch.js';
import { mapConcurrent } from '../pipeline/map-concurrent.js';
import { prefetch } from '../pipeline/prefetch.js';
import { RunTally, isChange, type SyncProgress } from './run-summary.js';
import type { SourceItem, SourcePosition } from './source-reader.js';

/**
 * A unit of work: an item read from the source, or a dead letter being replayed.
 * `superseded` counts the earlier changes of the same provider this item replaced (see
 * `coalesceChanges`); they are done when this item is.
 */
export type WorkItem = SourceItem & { letter?: DeadLetter; superseded?: number };

/** How one pass over work items behaves. */
export interface ProcessingContext {
  pipeline: string;
  /** The mode actually running (a requested incremental run may be a full one). */
  mode: 'full' | 'incremental';
  window: ScheduleWindow;
  batchSize: number;
  batchMaxWaitMs: number;
  concurrency: number;
  errorPolicy: 'dead-letter' | 'fail-fast';
  dryRun: boolean;
  signal: AbortSignal;
  tally: RunTally;
  /** Called after every sink acknowledged a batch, with the position after its last item. */
  onBatchDone?: (position: SourcePosition | undefined) => Promise<void>;
  /** Dead letters of the keys being replayed, to settle once each key's outcome is known. */
  lettersByKey?: ReadonlyMap<string, readonly DeadLetter[]>;
  onProgress?: (progress: SyncProgress) => void;
  /** Told what each acknowledged batch added to the counts (not in dry runs). */
  metrics?: MetricsRecorder;
}

/** The result of processing one item, carried in order to the batch writer. */
interface ProcessedItem {
  key: string;
  position: SourcePosition;
  record?: SyncRecord;
  /** Where the item failed before the sinks, if it did. */
  failedStage?: string;
  isReplay: boolean;
  superseded: number;
}

/** A record-level failure that the error policy decides about; it carries its cause's code. */
export class RecordFailure extends PmsbridgeError {
  constructor(
    readonly stage: string,
    readonly key: string,
    readonly record: unknown,
    cause: unknown,
  ) {
    const reason = describeError(cause);
    const code = isErrorCode(reason.code) ? reason.code : 'PMS_UNEXPECTED';
    super(code, `Record ${key} failed in ${stage}: ${reason.message}`, {
      cause,
      details: { stage, key, reason },
    });
  }
}

/**
 * Errors about one record (bad data, a provider that vanished, a server error that outlived
 * the client's retries) rather than about the run (credentials, rate limits, an open
 * circuit, the network). Checked by code and status, so errors from another copy of core
 * count too.
 */
export function isRecordLevel(error: unknown): boolean {
  const { code, status } = (error ?? {}) as { code?: unknown; status?: unknown };
  if (typeof code === 'string' && errorCategoryOf(code) === 'PMS_VALIDATION') return true;
  if (typeof status !== 'number' || status < 400) return false;
  return ![401, 403, 407, 429].includes(status);
}

/** What a record becomes between the source and the sinks: schedule fetched, stages applied. */
export class RecordProcessor {
  constructor(
    private readonly deps: {
      slots?: SlotSource;
      stages: readonly Stage[];
      sinks: readonly Sink[];
      state: StateStore;
    },
  ) {}

  /**
   * Processes every item, writes batches to the sinks, and reports each acknowledged batch.
   * Items are processed ahead of the writes (up to a batch ready and `concurrency` in
   * flight), so fetching goes on while a batch is written.
   */
  async process(items: AsyncIterable<WorkItem>, context: ProcessingContext): Promise<void> {
    // Stops the work under way at once when writing fails, rather than letting it finish.
    const reading = new AbortController();
    const stopReading = (): void => reading.abort(context.signal.reason);
    context.signal.addEventListener('abort', stopReading, { once: true });
    const work = prefetch(
      mapConcurrent(
        countRead(items, context.tally),
        context.concurrency,
        (item, signal) => this.#processItem(item, context, signal),
        reading.signal,
      ),
      context.batchSize,
    );
    try {
      for await (const group of batch(work, {
        size: context.batchSize,
        maxWaitMs: context.batchMaxWaitMs,
      })) {
        try {
          await this.#handleBatch(group, context);
        } catch (error) {
          reading.abort(error);
          throw error;
        }
      }
    } finally {
      context.signal.removeEventListener('abort', stopReading);
    }
  }

  async #handleBatch(group: ProcessedItem[], context: ProcessingContext): Promise<void> {
    context.signal.throwIfAborted();
    const failedInSinks = await this.#writeToSinks(group, context);
    await context.onBatchDone?.(group.at(-1)?.position);
    if (context.lettersByKey !== undefined && !context.dryRun) {
      await this.#settleLetters(group, failedInSinks, context);
    }
    for (const item of group) {
      if (item.failedStage !== undefined) context.tally.addDeadLetter(item.failedStage);
      else if (item.record === undefined) context.tally.filtered += 1;
      context.tally.coalesced += item.superseded;
      context.tally.done += 1 + item.superseded;
    }
    context.onProgress?.(context.tally.progress(Date.now()));
    if (!context.dryRun) {
      context.metrics?.recordBatch({
        pipeline: context.pipeline,
        ...context.tally.takeUnreported(),
      });
    }
  }

  async #processItem(
    item: WorkItem,
    context: ProcessingContext,
    signal: AbortSignal,
  ): Promise<ProcessedItem> {
    const key =
      item.kind === 'provider'
        ? item.provider.id
        : item.kind === 'deactivation'
          ? item.providerId
          : item.invalid.key;
    const processed = {
      key,
      position: item.position,
      isReplay: item.letter !== undefined,
      superseded: item.superseded ?? 0,
    };
    try {
      const record = await this.#toRecord(item, context.window, signal);
      return { ...processed, record: await this.#runStages(record, context, signal) };
    } catch (error) {
      if (!(error instanceof RecordFailure)) throw error;
      if (context.errorPolicy === 'fail-fast') throw error;
      if (!context.dryRun) {
        await this.deps.state.addDeadLetter({
          pipeline: context.pipeline,
          key: error.key,
          stage: error.stage,
          reason: describeError(error.cause),
          record: error.record,
        });
      }
      return { ...processed, failedStage: error.stage };
    }
  }

  async #toRecord(
    item: SourceItem,
    window: ScheduleWindow,
    signal: AbortSignal,
  ): Promise<SyncRecord> {
    switch (item.kind) {
      case 'invalid':
        throw new RecordFailure('source', item.invalid.key, item.invalid.raw, item.invalid.error);
      case 'deactivation':
        return { kind: 'deactivation', providerId: item.providerId, changedAt: item.changedAt };
      case 'provider': {
        const { provider } = item;
        const record: SyncRecord = { kind: 'provider', provider, window, slots: [] };
        if (this.deps.slots === undefined || provider.status !== 'active') return record;
        try {
          return {
            ...record,
            slots: await this.deps.slots.getSchedule(provider.id, window, signal),
          };
        } catch (error) {
          if (signal.aborted || !isRecordLevel(error)) throw error;
          throw new RecordFailure('slot-source', provider.id, record, error);
        }
      }
    }
  }

  async #runStages(
    record: SyncRecord,
    context: ProcessingContext,
    signal: AbortSignal,
  ): Promise<SyncRecord | undefined> {
    let current: SyncRecord = record;
    for (const stage of this.deps.stages) {
      try {
        const next = await stage.process(current, { signal, mode: context.mode });
        if (next === null) return undefined;
        current = next;
      } catch (error) {
        if (signal.aborted) throw error;
        throw new RecordFailure(stage.name, recordKey(current), current, error);
      }
    }
    return current;
  }

  /**
   * Writes one batch to every sink and dead-letters what a sink failed. A sink that returns
   * no outcome (or the wrong key) for a record has failed that record: nothing is dropped
   * silently. Returns, per failed key, the sink that failed it.
   */
  async #writeToSinks(
    group: ProcessedItem[],
    context: ProcessingContext,
  ): Promise<Map<string, string>> {
    const records = group.flatMap((item) => (item.record === undefined ? [] : [item.record]));
    const failed = new Map<string, { sink: string; outcome: RecordOutcome; record: SyncRecord }>();
    const changed = new Set<string>();
    if (records.length > 0) {
      for (const sink of this.deps.sinks) {
        if (context.dryRun && sink.supportsDryRun !== true) continue;
        const outcomes = await sink.write(records, context.signal);
        context.tally.addOutcomes(sink.name, outcomes);
        records.forEach((record, index) => {
          const key = recordKey(record);
          const outcome = outcomes[index];
          if (outcome === undefined || outcome.key !== key) {
            const error = {
              code: 'PMS_SINK_NO_OUTCOME',
              message: `${sink.name} returned no outcome for this record`,
            };
            failed.set(key, { sink: sink.name, outcome: { key, ok: false, error }, record });
          } else if (!outcome.ok) failed.set(key, { sink: sink.name, outcome, record });
          else if (isChange(outcome)) changed.add(key);
        });
      }
    }
    for (const { sink, outcome, record } of failed.values()) {
      const reason = outcome.error ?? { code: 'PMS_SINK', message: 'write failed' };
      if (context.errorPolicy === 'fail-fast') {
        throw new RecordFailure(
          sink,
          outcome.key,
          record,
          Object.assign(new Error(reason.message), { code: reason.code }),
        );
      }
      if (!context.dryRun) {
        await this.deps.state.addDeadLetter({
          pipeline: context.pipeline,
          key: outcome.key,
          stage: sink,
          reason,
          record,
        });
      }
    }
    for (const record of records) {
      const key = recordKey(record);
      const failure = failed.get(key);
      if (failure !== undefined) context.tally.addDeadLetter(failure.sink);
      else if (changed.has(key)) context.tally.written += 1;
      else context.tally.unchanged += 1;
    }
    return new Map([...failed].map(([key, { sink }]) => [key, sink]));
  }

  /**
   * After a replayed batch: a key that landed or was filtered out loses all its letters; a
   * key that failed again keeps only the letter of the stage it failed in now (that one was
   * just written or counted up), so a record never sits in the store twice.
   */
  async #settleLetters(
    group: ProcessedItem[],
    failedInSinks: Map<string, string>,
    context: ProcessingContext,
  ): Promise<void> {
    const purge: number[] = [];
    for (const item of group) {
      if (!item.isReplay) continue;
      const failedStage = item.failedStage ?? failedInSinks.get(item.key);
      for (const letter of context.lettersByKey?.get(item.key) ?? []) {
        if (letter.stage !== failedStage) purge.push(letter.id);
      }
    }
    if (purge.length > 0) await this.deps.state.purgeDeadLetters(context.pipeline, purge);
  }
}

/** Counts what the source handed out, changes folded into `item` included. */
async function* countRead(
  items: AsyncIterable<WorkItem>,
  tally: RunTally,
): AsyncGenerator<WorkItem> {
  for await (const item of items) {
    tally.read += 1 + (item.superseded ?? 0);
    yield item;
  }
}
