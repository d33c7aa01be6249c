import {
  ContentDiff,
  ErrorCategory,
  ErrorCode,
  PmsbridgeError,
  describeError,
  hasErrorCategory,
  isPmsbridgeError,
  recordKey,
  type Clock,
  type Logger,
  type RecordOutcome,
  type ResourceCounts,
  type Sink,
  type SinkOpenContext,
  type StateStore,
  type SyncRecord,
} from '@pmsbridge/core';
import { mkdir } from 'node:fs/promises';
import { setTimeout as delay } from 'node:timers/promises';
import { BatchJournal, JournalMissingError, publishLeftovers } from './batch-journal.js';
import type { OutboundMessage } from './codec/outbound-message.js';
import type { Hl7Ack } from './messages/ack.js';
import type { MessageContext } from './messages/message-options.js';
import { MllpError } from './mllp/mllp-client.js';
import {
  planDeactivation,
  planProvider,
  type PlannedMessage,
  type RecordPlan,
} from './sink-plan.js';

/** What the sink sends messages through: an {@link MllpClient} in production. */
export interface Hl7Transport {
  /** The message's final acknowledgment (in enhanced mode, the application one when asked for). */
  send(message: OutboundMessage, signal: AbortSignal): Promise<Hl7Ack>;
  close(): Promise<void>;
}

/** Options of {@link Hl7v2Sink}. */
export interface Hl7v2SinkOptions {
  /** Sink name: logs, dead letters and the state namespace `hl7v2:<name>`. */
  readonly name: string;
  /** Sends again after an `AR`, a timeout or a dropped connection, this many times. */
  readonly maxRetries: number;
  /** Wait before the first resend; doubles with each one. */
  readonly retryDelayMs: number;
}

/** Injected collaborators of {@link Hl7v2Sink}. */
export interface Hl7v2SinkDeps {
  readonly stateStore: StateStore;
  readonly logger: Logger;
  readonly clock: Clock;
  /** The message options and the clock that stamps MSH-7. */
  readonly messages: MessageContext;
  /**
   * Opens the transport; called at the first send, never during a dry run. Leave it out for
   * the file mode.
   */
  readonly connect?: () => Hl7Transport;
  /**
   * File mode: the run's messages go into one batch file in this directory, written at
   * `close({ completed: true })`, instead of through a transport.
   */
  readonly file?: { readonly outputDir: string };
  /** Replaces real waiting between resends (tests). */
  readonly sleep?: (ms: number, signal: AbortSignal) => Promise<void>;
}

/** A file-mode run's checkpoint: the journal its messages are in (see {@link BatchJournal}). */
export interface Hl7FileResumeState {
  readonly hl7File: { readonly journal: string };
}

function isFileResumeState(value: unknown): value is Hl7FileResumeState {
  const file = (value as Partial<Hl7FileResumeState> | undefined)?.hl7File;
  return typeof file?.journal === 'string';
}

async function abortableSleep(ms: number, signal: AbortSignal): Promise<void> {
  await delay(ms, undefined, { signal });
}

/** Failures after which the same message is sent again: the peer may simply not have answered. */
function isRetryable(error: unknown): error is MllpError {
  return error instanceof MllpError && error.failure !== 'connect';
}

/**
 * Sends providers and their slots to a practice-management system as HL7 v2 messages: per
 * record, the staff master file entry the change calls for (`MFN^M02` with `MAD`, `MUP`,
 * `MDC` or `MAC`) and the slots opened (`SIU^S24`) or blocked (`SIU^S23`) since the last
 * acknowledged send, one message at a time, in order. What the peer acknowledged (`AA`) is
 * recorded in the state store at once; an `AE` fails the record with the peer's error text;
 * an `AR`, a timeout or a dropped connection is retried, and then fails the record (`AR`) or
 * stops the run (no answer), so the checkpoint does not move past unsent records. In enhanced
 * acknowledgment mode the transport gives the application acknowledgment that follows a `CA`
 * (see {@link MllpClient}), read the same way; a `CE` is an error like `AE`, a `CR` is retried
 * like `AR`, and a `CA` is acceptance only when no application acknowledgment was asked for
 * (or, under MSH-16 `ER`, none came).
 *
 * In file mode (`deps.file`), each batch's messages are appended to the run's journal in the
 * output directory and flushed before what they carry is recorded; the checkpoint names the
 * journal, so a resumed run appends to it (a replayed record's messages are not added twice).
 * `close({ completed: true })` turns the journal into one batch file, atomically; a run with
 * no message writes no file, and a journal a run left behind is published by the next one.
 */
export class Hl7v2Sink implements Sink {
  readonly name: string;
  /** A dry run sends nothing and reports what would be sent. */
  readonly supportsDryRun = true;
  readonly #diff: ContentDiff;
  readonly #logger: Logger;
  readonly #sleep: (ms: number, signal: AbortSignal) => Promise<void>;
  #transport: Hl7Transport | undefined;
  #dryRun = false;
  /** File mode: this run's journal. */
  #journal: BatchJournal | undefined;

  constructor(
    private readonly options: Hl7v2SinkOptions,
    private readonly deps: Hl7v2SinkDeps,
  ) {
    this.name = options.name;
    this.#diff = new ContentDiff(deps.stateStore, `hl7v2:${options.name}`, deps.clock);
    this.#logger = deps.logger.child({ component: 'hl7v2-sink', sink: options.name });
    this.#sleep = deps.sleep ?? abortableSleep;
    if ((deps.connect === undefined) === (deps.file === undefined)) {
      throw new Error('Hl7v2Sink needs either connect (MLLP) or file (file mode)');
    }
  }

  async open(context: SinkOpenContext): Promise<void> {
    this.#dryRun = context.dryRun;
    this.#journal = undefined;
    const file = this.deps.file;
    if (file === undefined || context.dryRun) return;
    const resumed = isFileResumeState(context.resumeState)
      ? context.resumeState.hl7File.journal
      : undefined;
    const { options } = this.deps.messages;
    await this.#guard(file.outputDir, async () => {
      await mkdir(file.outputDir, { recursive: true });
      for (const batch of await publishLeftovers(file.outputDir, this.name, options, resumed)) {
        this.#logger.warn('hl7 batch file of an earlier run written', {
          file: batch.path,
          messages: batch.messages,
        });
      }
      this.#journal =
        resumed === undefined
          ? await BatchJournal.begin(file.outputDir, this.name, this.deps.clock.now())
          : await BatchJournal.resume(file.outputDir, resumed);
    });
  }

  /** File mode: the journal this run appends to, so a resumed run goes on with it. */
  checkpointState(): Hl7FileResumeState | undefined {
    const journal = this.#journal;
    return journal === undefined ? undefined : { hl7File: { journal: journal.base } };
  }

  async close(context: { completed: boolean } = { completed: true }): Promise<void> {
    const transport = this.#transport;
    this.#transport = undefined;
    await transport?.close();
    const journal = this.#journal;
    this.#journal = undefined;
    if (journal === undefined) return;
    if (!context.completed) {
      await journal.close();
      return;
    }
    const batch = await this.#guard(journal.dir, () => journal.publish(this.deps.messages.options));
    if (batch !== undefined) {
      this.#logger.info('hl7 batch file written', {
        file: batch.path,
        messages: batch.messages,
        controlIds: batch.controlIds,
      });
    }
  }

  /**
   * Runs a file-mode step; an I/O failure (a full disk, a directory that cannot be written,
   * a journal gone missing) stops the run with what happened and what to do.
   */
  async #guard<T>(outputDir: string, step: () => Promise<T>): Promise<T> {
    try {
      return await step();
    } catch (cause) {
      if (isPmsbridgeError(cause)) throw cause;
      if (cause instanceof JournalMissingError) {
        throw new PmsbridgeError(
          ErrorCode.PublicationDamaged,
          `${this.name}: the journal of the interrupted run, ${cause.path}, so its messages cannot be written. Start the sync over from an empty checkpoint (a fresh state store, or remove this pipeline's checkpoint)`,
          { cause },
        );
      }
      const code = (cause as NodeJS.ErrnoException | undefined)?.code;
      const full = code === 'ENOSPC' || code === 'EDQUOT';
      throw new PmsbridgeError(
        full ? ErrorCode.PublicationDiskFull : ErrorCode.PublicationWriteFailed,
        `${this.name}: ${full ? `the disk holding ${outputDir} is full (${code})` : `writing to ${outputDir} failed (${code ?? describeError(cause).message})`}. No batch file was written; fix the cause and run the sync again: it resumes from the last checkpoint`,
        { cause },
      );
    }
  }

  async write(batch: readonly SyncRecord[], signal: AbortSignal): Promise<RecordOutcome[]> {
    const journal = this.#journal;
    if (journal !== undefined) return this.#journalBatch(journal, batch);
    const outcomes: RecordOutcome[] = [];
    for (const record of batch) outcomes.push(await this.#writeRecord(record, signal));
    return outcomes;
  }

  /**
   * File mode: plans the batch, appends its messages to the journal (those a resumed run
   * already holds are not appended again), and records what they carry once they are on disk.
   */
  async #journalBatch(
    journal: BatchJournal,
    batch: readonly SyncRecord[],
  ): Promise<RecordOutcome[]> {
    const outcomes: RecordOutcome[] = [];
    const plans: RecordPlan[] = [];
    for (const record of batch) {
      const planned = await this.#plan(record);
      if (!('messages' in planned)) {
        outcomes.push(planned);
        continue;
      }
      plans.push(planned);
      outcomes.push({ key: recordKey(record), ok: true, counts: countsOf(planned) });
    }
    const messages = plans
      .flatMap((plan) => plan.messages.map((p) => p.message))
      .filter((message) => !journal.has(message.controlId));
    await this.#guard(journal.dir, () => journal.append(messages));
    for (const message of messages) {
      this.#logger.debug('hl7 message journaled for the batch file', {
        record: message.key,
        messageType: message.messageType,
        controlId: message.controlId,
      });
    }
    for (const plan of plans) {
      for (const { written, gone } of plan.messages) await this.#diff.record(written, gone);
      if (plan.forget.length > 0) await this.#diff.record([], plan.forget);
    }
    return outcomes;
  }

  /** The record's messages, or the outcome of a record they cannot be built for. */
  async #plan(record: SyncRecord): Promise<RecordPlan | RecordOutcome> {
    try {
      return record.kind === 'provider'
        ? await planProvider(record, this.#diff, this.deps.messages, (keys) =>
            this.deps.stateStore.getHashes(this.#diff.namespace, keys),
          )
        : await planDeactivation(record, this.#diff, this.deps.messages, (keys) =>
            this.deps.stateStore.getHashes(this.#diff.namespace, keys),
          );
    } catch (error) {
      if (!hasErrorCategory(error, ErrorCategory.Validation)) throw error;
      return { key: recordKey(record), ok: false, error: describeError(error) };
    }
  }

  async #writeRecord(record: SyncRecord, signal: AbortSignal): Promise<RecordOutcome> {
    const key = recordKey(record);
    const plan = await this.#plan(record);
    if (!('messages' in plan)) return plan;
    if (this.#dryRun) {
      for (const { message } of plan.messages) {
        this.#logger.info('would send', { record: key, messageType: message.messageType });
      }
      return { key, ok: true, counts: countsOf(plan) };
    }
    for (const planned of plan.messages) {
      const refusal = await this.#deliver(planned, signal);
      if (refusal !== undefined) return { key, ok: false, error: refusal };
      await this.#diff.record(planned.written, planned.gone);
    }
    if (plan.forget.length > 0) await this.#diff.record([], plan.forget);
    return { key, ok: true, counts: countsOf(plan) };
  }

  /**
   * Sends one message until it is accepted (undefined) or refused (the error for the record).
   * Throws when the peer cannot be reached or does not answer after every retry.
   */
  async #deliver(
    { message }: PlannedMessage,
    signal: AbortSignal,
  ): Promise<RecordOutcome['error'] | undefined> {
    const { maxRetries, retryDelayMs } = this.options;
    for (let attempt = 0; ; attempt++) {
      const isLast = attempt >= maxRetries;
      let ack: Hl7Ack;
      try {
        ack = await this.#transportNow().send(message, signal);
      } catch (error) {
        if (!isRetryable(error) || isLast || signal.aborted) throw error;
        this.#logger.warn('hl7 message not acknowledged, sending again', {
          messageType: message.messageType,
          controlId: message.controlId,
          failure: error.failure,
          attempt: attempt + 1,
        });
        await this.#sleep(retryDelayMs * 2 ** attempt, signal);
        continue;
      }
      const fields = {
        messageType: message.messageType,
        controlId: message.controlId,
        ack: ack.code,
        level: ack.level,
      };
      if (ack.outcome === 'accepted') {
        this.#logger.debug('hl7 message accepted', fields);
        return undefined;
      }
      if (ack.outcome === 'error' || isLast) {
        this.#logger.warn('hl7 message refused', fields);
        return {
          code: ErrorCode.Remote,
          message: `${message.messageType} refused by the practice-management system: ${ack.summary}`,
          details: { controlId: message.controlId, ackCode: ack.code, errors: ack.errors },
        };
      }
      this.#logger.warn('hl7 message rejected, sending again', { ...fields, attempt: attempt + 1 });
      await this.#sleep(retryDelayMs * 2 ** attempt, signal);
    }
  }

  #transportNow(): Hl7Transport {
    const connect = this.deps.connect;
    if (connect === undefined) throw new Error('Hl7v2Sink has no transport in file mode');
    this.#transport ??= connect();
    return this.#transport;
  }
}

function countsOf(plan: RecordPlan): Record<string, ResourceCounts> {
  return Object.fromEntries(
    Object.entries(plan.counts).filter(
      ([, c]) => c.created + c.updated + c.unchanged + c.deleted > 0,
    ),
  );
}
