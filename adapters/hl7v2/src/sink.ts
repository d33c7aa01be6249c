import {
  ContentDiff,
  ErrorCategory,
  ErrorCode,
  describeError,
  hasErrorCategory,
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
import { setTimeout as delay } from 'node:timers/promises';
import {
  buildBatchFile,
  compactUtc,
  writeBatchFile,
  type Hl7BatchFileTarget,
} from './batch-file.js';
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
  readonly file?: Hl7BatchFileTarget;
  /** Replaces real waiting between resends (tests). */
  readonly sleep?: (ms: number, signal: AbortSignal) => Promise<void>;
}

/** What a file-mode run has built but not yet written: kept in the checkpoint between batches. */
export interface Hl7FileResumeState {
  readonly hl7File: {
    readonly messages: readonly PlannedMessage[];
    readonly forget: readonly string[];
  };
}

function isFileResumeState(value: unknown): value is Hl7FileResumeState {
  const file = (value as Partial<Hl7FileResumeState> | undefined)?.hl7File;
  return (
    typeof file === 'object' &&
    file !== null &&
    Array.isArray(file.messages) &&
    Array.isArray(file.forget)
  );
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
 * stops the run (no answer), so the checkpoint does not move past unsent records.
 *
 * In file mode (`deps.file`), the run's messages are collected instead and written as one
 * batch file at `close({ completed: true })`; what they carry is recorded only once the file
 * is in place, and a run with no message writes no file.
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
  /** File mode: the messages of this run (and of the interrupted runs it resumes), in order. */
  #pending: PlannedMessage[] = [];
  /** File mode: keys to forget once the file is in place. */
  #pendingForget: string[] = [];
  #startedAt: Date | undefined;

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
    this.#startedAt = this.deps.clock.now();
    this.#pending = [];
    this.#pendingForget = [];
    if (this.deps.file !== undefined && !context.dryRun && isFileResumeState(context.resumeState)) {
      // An interrupted run's messages were never written: they go into this run's file.
      this.#pending = [...context.resumeState.hl7File.messages];
      this.#pendingForget = [...context.resumeState.hl7File.forget];
    }
  }

  /** File mode: what is built but not written yet, so a resumed run still writes it. */
  checkpointState(): Hl7FileResumeState | undefined {
    if (this.deps.file === undefined || this.#dryRun) return undefined;
    return { hl7File: { messages: [...this.#pending], forget: [...this.#pendingForget] } };
  }

  async close(context: { completed: boolean } = { completed: true }): Promise<void> {
    const transport = this.#transport;
    this.#transport = undefined;
    await transport?.close();
    const pending = this.#pending;
    const forget = this.#pendingForget;
    this.#pending = [];
    this.#pendingForget = [];
    if (this.deps.file === undefined || this.#dryRun || !context.completed) return;
    if (pending.length > 0) await this.#writeFile(this.deps.file, pending);
    // Recorded only now that the file is in place: a failed run sends everything again.
    for (const { written, gone } of pending) await this.#diff.record(written, gone);
    if (forget.length > 0) await this.#diff.record([], forget);
  }

  async #writeFile(target: Hl7BatchFileTarget, pending: readonly PlannedMessage[]): Promise<void> {
    const startedAt = this.#startedAt ?? this.deps.clock.now();
    const messages = pending.map((p) => p.message);
    const { options } = this.deps.messages;
    const path = await writeBatchFile(
      target,
      `${this.name}-${compactUtc(startedAt)}`,
      (fileName) => buildBatchFile(messages, { fileName, startedAt, options }),
      options.charset,
    );
    this.#logger.info('hl7 batch file written', {
      file: path,
      messages: messages.length,
      controlIds: messages.map((m) => m.controlId),
    });
  }

  async write(batch: readonly SyncRecord[], signal: AbortSignal): Promise<RecordOutcome[]> {
    const outcomes: RecordOutcome[] = [];
    for (const record of batch) outcomes.push(await this.#writeRecord(record, signal));
    return outcomes;
  }

  async #writeRecord(record: SyncRecord, signal: AbortSignal): Promise<RecordOutcome> {
    const key = recordKey(record);
    let plan: RecordPlan;
    try {
      plan =
        record.kind === 'provider'
          ? await planProvider(record, this.#diff, this.deps.messages, (keys) =>
              this.deps.stateStore.getHashes(this.#diff.namespace, keys),
            )
          : await planDeactivation(record, this.#diff, this.deps.messages);
    } catch (error) {
      if (!hasErrorCategory(error, ErrorCategory.Validation)) throw error;
      return { key, ok: false, error: describeError(error) };
    }
    if (this.#dryRun) {
      for (const { message } of plan.messages) {
        this.#logger.info('would send', { record: key, messageType: message.messageType });
      }
      return { key, ok: true, counts: countsOf(plan) };
    }
    if (this.deps.file !== undefined) {
      for (const planned of plan.messages) {
        this.#logger.debug('hl7 message queued for the batch file', {
          record: key,
          messageType: planned.message.messageType,
          controlId: planned.message.controlId,
        });
      }
      this.#pending.push(...plan.messages);
      this.#pendingForget.push(...plan.forget);
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
