import net from 'node:net';
import { setTimeout as delay } from 'node:timers/promises';
import tls from 'node:tls';
import {
  CancelledError,
  ErrorCode,
  RemoteError,
  systemClock,
  type Clock,
  type Logger,
} from '@pmsbridge/core';
import { decodeBytes, encodeBytes } from '../codec/charset.js';
import type { OutboundMessage } from '../codec/outbound-message.js';
import { parseReply, type Hl7Ack, type Hl7Reply } from '../messages/ack.js';
import {
  acknowledgmentRequestOf,
  applicationAckAfterCommit,
  asksForCommitAccept,
  buildCommitAccept,
} from '../messages/enhanced-ack.js';
import { FrameDecoder, frame } from './framing.js';

/** TLS for the MLLP connection: PEM contents (not paths), all optional. */
export interface MllpTlsOptions {
  /** Certificates to trust instead of the system's (the peer's CA). */
  readonly ca?: string | Buffer;
  /** The client certificate, for a peer that asks for one. */
  readonly cert?: string | Buffer;
  /** The client certificate's private key. */
  readonly key?: string | Buffer;
  /** The name the peer's certificate must carry; default `host`. */
  readonly servername?: string;
  /** Default true: refuse a peer whose certificate does not verify. */
  readonly rejectUnauthorized?: boolean;
}

/** Where and how {@link MllpClient} connects. */
export interface MllpClientOptions {
  readonly host: string;
  readonly port: number;
  /** Connect with TLS; plain TCP when left out. */
  readonly tls?: MllpTlsOptions;
  /** How long a connection attempt may take. */
  readonly connectTimeoutMs: number;
  /** How long to wait for the acknowledgment of a message. */
  readonly ackTimeoutMs: number;
  /**
   * Enhanced mode: how long to wait, after a commit accept (`CA`), for the application
   * acknowledgment of a message whose MSH-16 asks for one; default `ackTimeoutMs`.
   */
  readonly applicationAckTimeoutMs?: number;
  /** Connection attempts before giving up, and the backoff between them (doubling, capped). */
  readonly reconnect: {
    readonly attempts: number;
    readonly baseDelayMs: number;
    readonly maxDelayMs: number;
  };
}

/** Injected collaborators of {@link MllpClient}. */
export interface MllpClientDeps {
  readonly logger: Logger;
  /** Stamps MSH-7 of the commit accepts the client sends; default the system clock. */
  readonly clock?: Clock;
  /** Waits between connection attempts; tests replace it. */
  readonly sleep?: (ms: number, signal: AbortSignal) => Promise<void>;
}

/**
 * Why an exchange failed: `connect` no connection could be made (after every attempt),
 * `closed` the connection dropped before the acknowledgment, `timeout` no acknowledgment in
 * time (in enhanced mode also: a `CA` but no application acknowledgment in time), `protocol`
 * the reply was not the acknowledgment of the message sent.
 */
export type MllpFailure = 'connect' | 'closed' | 'timeout' | 'protocol';

/** An MLLP exchange that did not produce an acknowledgment. */
export class MllpError extends RemoteError {
  constructor(
    readonly failure: MllpFailure,
    message: string,
    cause?: unknown,
  ) {
    super(
      message,
      { system: 'HL7 v2 peer' },
      {
        cause,
        code: failure === 'connect' ? ErrorCode.NetUnreachable : ErrorCode.Remote,
        details: { failure },
      },
    );
  }
}

interface Waiter {
  readonly socket: net.Socket;
  resolve(frame: Buffer | undefined): void;
  reject(error: Error): void;
}

/** A socket error in one line: OpenSSL's short reason (`tlsv13 alert certificate required`) when there is one. */
function reasonOf(error: unknown): string {
  const reason = (error as { reason?: unknown } | undefined)?.reason;
  if (typeof reason === 'string' && reason !== '') return reason;
  return error instanceof Error ? error.message : String(error);
}

/** An unexpected frame for a log line: its acknowledgment code and control id, never content. */
function describeFrame(bytes: Buffer): { ack: string; controlId?: string } {
  try {
    const { ack } = parseReply(decodeBytes(bytes, 'UNICODE UTF-8'));
    return { ack: ack.code, controlId: ack.controlId };
  } catch {
    return { ack: '(not an acknowledgment)' };
  }
}

async function abortableSleep(ms: number, signal: AbortSignal): Promise<void> {
  await delay(ms, undefined, { signal });
}

/**
 * An MLLP client: frames each message (`0x0B … 0x1C 0x0D`), sends one at a time on its
 * connection and waits for its acknowledgment, which must answer the message's control id.
 * A connection is opened on the first send and reopened, with backoff, after it dropped. A
 * connection on which an acknowledgment timed out or came wrong is closed, so that a late
 * reply can never be taken for the answer to another message.
 *
 * Enhanced acknowledgment mode: when the acknowledgment is a commit accept (`CA`) and the
 * message's MSH-16 asks for an application acknowledgment, the exchange goes on, on the same
 * connection, until that acknowledgment (`AA`/`AE`/`AR`, MSA-2 the message's control id)
 * comes, or `applicationAckTimeoutMs` runs out: under `AL` or `SU` that is a `timeout`, under
 * `ER` (an answer on error only) it is success and the `CA` is the answer. An application
 * acknowledgment whose MSH-15 asks for a commit acknowledgment is answered with a `CA`; no
 * other acknowledgment is ever acknowledged.
 */
export class MllpClient {
  readonly #options: MllpClientOptions;
  readonly #logger: Logger;
  readonly #clock: Clock;
  readonly #sleep: (ms: number, signal: AbortSignal) => Promise<void>;
  readonly #decoder = new FrameDecoder();
  #socket: net.Socket | undefined;
  #waiter: Waiter | undefined;
  /** Frames of the current connection that came while no exchange waited, oldest first. */
  #inbox: Buffer[] = [];
  #queue: Promise<unknown> = Promise.resolve();

  constructor(options: MllpClientOptions, deps: MllpClientDeps) {
    this.#options = options;
    this.#logger = deps.logger;
    this.#clock = deps.clock ?? systemClock;
    this.#sleep = deps.sleep ?? abortableSleep;
  }

  /** `host:port`, for messages. */
  get peer(): string {
    return `${this.#options.host}:${String(this.#options.port)}`;
  }

  /**
   * Sends a message and resolves to its parsed acknowledgment, whatever its code: in enhanced
   * mode the application acknowledgment that followed the `CA`, or the `CA` when none was
   * asked for (or, under MSH-16 `ER`, none came). Rejects with an {@link MllpError} when no
   * acknowledgment came. Calls are queued: one message is outstanding at a time.
   */
  async send(message: OutboundMessage, signal: AbortSignal): Promise<Hl7Ack> {
    return (await this.request(message, signal)).ack;
  }

  /**
   * Like {@link send}, for a message answered by a response that carries more than the
   * acknowledgment (`SRR^S01`, `SQR^S25`): resolves to the acknowledgment and the parsed reply.
   */
  request(message: OutboundMessage, signal: AbortSignal): Promise<Hl7Reply> {
    const sent = this.#queue.then(() => this.#exchange(message, signal));
    this.#queue = sent.catch(() => undefined);
    return sent;
  }

  /** Closes the connection, if any. */
  async close(): Promise<void> {
    const socket = this.#socket;
    this.#socket = undefined;
    if (socket === undefined || socket.destroyed) return;
    await new Promise<void>((resolve) => {
      socket.once('close', () => resolve());
      socket.end();
      setTimeout(() => socket.destroy(), 1000).unref();
    });
  }

  async #exchange(message: OutboundMessage, signal: AbortSignal): Promise<Hl7Reply> {
    if (signal.aborted) throw new CancelledError();
    const socket = await this.#connection(signal);
    this.#discardUnsolicited();
    socket.write(frame(encodeBytes(message.text, message.charset)));
    const { ackTimeoutMs } = this.#options;
    const bytes = await this.#receive(socket, ackTimeoutMs);
    if (bytes === undefined) {
      this.#drop(socket);
      throw new MllpError(
        'timeout',
        `${this.peer} sent no acknowledgment within ${String(ackTimeoutMs)} ms`,
      );
    }
    const reply = this.#read(socket, bytes, message);
    return reply.ack.code === 'CA'
      ? this.#awaitApplicationAck(socket, message, reply, signal)
      : reply;
  }

  /**
   * Enhanced mode, after a `CA`: the application acknowledgment, when the message's MSH-16
   * asks for one; the `CA` itself when it asks for none, or for one on error only (`ER`) and
   * none came in time.
   */
  async #awaitApplicationAck(
    socket: net.Socket,
    message: OutboundMessage,
    commit: Hl7Reply,
    signal: AbortSignal,
  ): Promise<Hl7Reply> {
    const expectation = applicationAckAfterCommit(acknowledgmentRequestOf(message.text));
    if (expectation === 'none') return commit;
    const timeoutMs = this.#options.applicationAckTimeoutMs ?? this.#options.ackTimeoutMs;
    const bytes = await this.#receive(socket, timeoutMs, signal);
    if (bytes === undefined) {
      // Under ER the receiver speaks again only about an error: silence is success.
      if (expectation === 'on-error') return commit;
      this.#drop(socket);
      throw new MllpError(
        'timeout',
        `${this.peer} committed ${message.controlId} (CA) but sent no application acknowledgment within ${String(timeoutMs)} ms`,
      );
    }
    const reply = this.#read(socket, bytes, message);
    if (reply.ack.level === 'commit') {
      this.#drop(socket);
      throw new MllpError(
        'protocol',
        `${this.peer} sent a second commit acknowledgment (${reply.ack.code}) for ${message.controlId} instead of its application acknowledgment`,
      );
    }
    this.#answerCommitRequest(socket, reply, message);
    return reply;
  }

  /**
   * Answers an application acknowledgment with a `CA` when its MSH-15 asks for a commit
   * acknowledgment (`AL`, `SU`); otherwise sends nothing (an ACK is never acknowledged).
   */
  #answerCommitRequest(socket: net.Socket, reply: Hl7Reply, message: OutboundMessage): void {
    if (!asksForCommitAccept(acknowledgmentRequestOf(reply.message))) return;
    let answer: OutboundMessage;
    try {
      answer = buildCommitAccept(reply.message, { clock: this.#clock, charset: message.charset });
    } catch (cause) {
      this.#drop(socket);
      throw new MllpError(
        'protocol',
        `${this.peer} asked for a commit acknowledgment of its application acknowledgment of ${message.controlId}, and none could be written for its header`,
        cause,
      );
    }
    socket.write(frame(encodeBytes(answer.text, answer.charset)));
    this.#logger.debug('mllp application acknowledgment answered CA', {
      peer: this.peer,
      controlId: message.controlId,
      acknowledged: answer.key,
    });
  }

  /** A reply read as the acknowledgment of `message`; the connection is dropped when it is not. */
  #read(socket: net.Socket, bytes: Buffer, message: OutboundMessage): Hl7Reply {
    let reply: Hl7Reply;
    try {
      reply = parseReply(decodeBytes(bytes, message.charset));
    } catch (cause) {
      this.#drop(socket);
      throw new MllpError(
        'protocol',
        `${this.peer} replied with something not an acknowledgment`,
        cause,
      );
    }
    const { controlId } = reply.ack;
    if (controlId !== message.controlId) {
      this.#drop(socket);
      throw new MllpError(
        'protocol',
        `${this.peer} acknowledged control id ${controlId || '(none)'} instead of ${message.controlId}`,
      );
    }
    return reply;
  }

  /**
   * The next frame of the connection (one already waiting first), or undefined when none came
   * within `timeoutMs`; rejects when the connection ends, or `signal` aborts (which drops it).
   */
  #receive(
    socket: net.Socket,
    timeoutMs: number,
    signal?: AbortSignal,
  ): Promise<Buffer | undefined> {
    const waiting = this.#inbox.shift();
    if (waiting !== undefined) return Promise.resolve(waiting);
    if (socket.destroyed) return Promise.reject(this.#closedError());
    if (signal?.aborted === true) {
      this.#drop(socket);
      return Promise.reject(new CancelledError());
    }
    return new Promise<Buffer | undefined>((resolve, reject) => {
      const settle = (): void => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        if (this.#waiter === waiter) this.#waiter = undefined;
      };
      const onAbort = (): void => {
        settle();
        this.#drop(socket);
        reject(new CancelledError());
      };
      const timer = setTimeout(() => {
        settle();
        resolve(undefined);
      }, timeoutMs);
      const waiter: Waiter = {
        socket,
        resolve: (bytes) => {
          settle();
          resolve(bytes);
        },
        reject: (error) => {
          settle();
          reject(error);
        },
      };
      this.#waiter = waiter;
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  /**
   * Frames that came between exchanges (e.g. an `AE` after the wait under MSH-16 `ER` ran
   * out) answer nothing being sent: they are dropped, and said so.
   */
  #discardUnsolicited(): void {
    for (const bytes of this.#inbox.splice(0)) {
      this.#logger.warn('mllp reply nobody waited for dropped', {
        peer: this.peer,
        ...describeFrame(bytes),
      });
    }
  }

  #closedError(failure?: Error): MllpError {
    // E.g. a TLS 1.3 peer refusing the client certificate only after the handshake.
    const reason = failure === undefined ? '' : ` (${reasonOf(failure)})`;
    return new MllpError(
      'closed',
      `${this.peer} closed the connection before acknowledging${reason}`,
      failure,
    );
  }

  /** The open connection, or a new one after up to `reconnect.attempts` tries with backoff. */
  async #connection(signal: AbortSignal): Promise<net.Socket> {
    if (this.#socket !== undefined && !this.#socket.destroyed) return this.#socket;
    const { attempts, baseDelayMs, maxDelayMs } = this.#options.reconnect;
    let lastError: unknown;
    for (let attempt = 1; attempt <= attempts; attempt++) {
      try {
        const socket = await this.#connect();
        this.#adopt(socket);
        return socket;
      } catch (error) {
        lastError = error;
        this.#logger.warn('mllp connection failed', {
          peer: this.peer,
          attempt,
          reason: reasonOf(error),
        });
      }
      if (attempt < attempts) {
        try {
          await this.#sleep(Math.min(maxDelayMs, baseDelayMs * 2 ** (attempt - 1)), signal);
        } catch (cause) {
          throw new CancelledError(undefined, cause);
        }
      }
    }
    throw new MllpError(
      'connect',
      `Could not connect to ${this.peer} after ${String(attempts)} attempt(s): ${reasonOf(lastError)}`,
      lastError,
    );
  }

  #connect(): Promise<net.Socket> {
    const { host, port, tls: secure, connectTimeoutMs } = this.#options;
    return new Promise<net.Socket>((resolve, reject) => {
      const socket =
        secure === undefined
          ? net.connect({ host, port })
          : tls.connect({
              host,
              port,
              ca: secure.ca,
              cert: secure.cert,
              key: secure.key,
              servername: secure.servername ?? (net.isIP(host) === 0 ? host : undefined),
              rejectUnauthorized: secure.rejectUnauthorized ?? true,
            });
      const fail = (error: Error): void => {
        clearTimeout(timer);
        socket.destroy();
        reject(error);
      };
      const timer = setTimeout(
        () => fail(new Error(`no connection within ${String(connectTimeoutMs)} ms`)),
        connectTimeoutMs,
      );
      socket.once('error', fail);
      socket.once(secure === undefined ? 'connect' : 'secureConnect', () => {
        clearTimeout(timer);
        socket.off('error', fail);
        resolve(socket);
      });
    });
  }

  #adopt(socket: net.Socket): void {
    this.#socket = socket;
    this.#decoder.reset();
    this.#inbox = [];
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => {
      if (this.#socket !== socket) return;
      for (const reply of this.#decoder.push(chunk)) {
        const waiter = this.#waiter;
        if (waiter?.socket !== socket) {
          // A CA and the application acknowledgment may come in one chunk.
          this.#inbox.push(reply);
          continue;
        }
        this.#waiter = undefined;
        waiter.resolve(reply);
      }
    });
    let failure: Error | undefined;
    socket.on('error', (error) => {
      failure = error;
      this.#logger.warn('mllp connection error', { peer: this.peer, reason: reasonOf(error) });
    });
    socket.on('close', () => {
      if (this.#socket === socket) this.#socket = undefined;
      const waiter = this.#waiter;
      if (waiter?.socket !== socket) return;
      this.#waiter = undefined;
      waiter.reject(this.#closedError(failure));
    });
  }

  #drop(socket: net.Socket): void {
    if (this.#socket === socket) this.#socket = undefined;
    socket.destroy();
  }
}
