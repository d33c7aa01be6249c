import { createServer, type AddressInfo, type Socket } from 'node:net';
import { createServer as createTlsServer } from 'node:tls';
import { setTimeout as sleep } from 'node:timers/promises';
import { Hl7Message, Hl7Segment } from '@medplum/core';
import {
  FrameDecoder,
  HL7_CHARSETS,
  decodeBytes,
  encodeBytes,
  frame,
  type Hl7Charset,
} from '@pmsbridge/adapter-hl7v2';
import { AppointmentBook, type PeerBooking } from './appointment-book.js';
import { RuleBook, type PeerAction, type PeerDecision, type PeerRule } from './reply-rules.js';
import {
  answerScheduling,
  refuseScheduling,
  schedulingEventOf,
  type SchedulingEvent,
} from './scheduling-replies.js';

/** Options of {@link startHl7Peer}. */
export interface Hl7PeerOptions {
  /** TCP port; default 0 (a free one). */
  port?: number;
  /** Interface to listen on; default `127.0.0.1`. */
  host?: string;
  /** Reply rules; without any, every message is answered `AA`. */
  rules?: readonly PeerRule[];
  /**
   * Listen with TLS: the peer's certificate and key (PEM), and, to require a client
   * certificate, the CA that must have issued it.
   */
  tls?: { cert: string | Buffer; key: string | Buffer; clientCa?: string | Buffer };
}

/** A message the peer received, as its own parser read it. */
export interface ReceivedMessage {
  /** MSH-9 as `code^event` (`MFN^M02`); empty when the message could not be parsed. */
  type: string;
  /** MSH-10. */
  controlId: string;
  /** The message text as received (segments separated by `\r`), decoded in its MSH-18 charset. */
  raw: string;
  /** `@medplum/core`'s reading of it; undefined when it could not be parsed. */
  message?: Hl7Message;
  /** What the peer did with it. */
  reply: PeerAction;
  /**
   * A message whose control id the peer had already accepted (`AA`): a resend. It is
   * acknowledged again, as HL7's original mode asks, and not taken a second time.
   */
  duplicate: boolean;
  /** Why it could not be parsed. */
  error?: string;
  /**
   * Enhanced mode (a rule with `enhanced`): the application acknowledgment the peer sent after
   * its `CA` — its code, its own MSH-10, and whether it asked for a commit acknowledgment.
   */
  applicationAck?: { code: 'AA' | 'AE' | 'AR'; controlId: string; commitAckRequested: boolean };
}

/**
 * An acknowledgment the peer received (MSH-9 `ACK`): what a sender answers to an application
 * acknowledgment that asked for a commit acknowledgment. It is kept, never answered, and no
 * rule sees it.
 */
export interface ReceivedAck {
  /** MSA-1, e.g. `CA`. */
  code: string;
  /** MSA-2: the MSH-10 of the peer's message it acknowledges. */
  acknowledges: string;
  /** Its own MSH-10. */
  controlId: string;
  /** The text as received. */
  raw: string;
  /** `@medplum/core`'s reading of it. */
  message: Hl7Message;
}

/** A running peer. */
export interface Hl7Peer {
  /** The port it listens on. */
  readonly port: number;
  /** Every message received so far, in arrival order (a copy). */
  received(): ReceivedMessage[];
  /**
   * What the practice-management system took: every message answered `AA`, each control id
   * once (resends left out), in arrival order.
   */
  accepted(): ReceivedMessage[];
  /** The acknowledgments received (answers to the peer's application acknowledgments), in order. */
  acknowledgments(): ReceivedAck[];
  /**
   * Resolves to {@link acknowledgments} once at least `count` have come; rejects when `signal`
   * aborts first.
   */
  acknowledgmentsReceived(count: number, signal: AbortSignal): Promise<ReceivedAck[]>;
  /**
   * The appointments booked by `SRM^S01` (cancelled ones included, with their status), in
   * booking order: at most one `Booked` per practitioner and start.
   */
  bookings(): PeerBooking[];
  /** Replaces the reply rules; their counters start again from zero. */
  setRules(rules: readonly PeerRule[]): void;
  /** Stops listening and closes every connection. */
  close(): Promise<void>;
}

/**
 * Gives an enhanced-mode application acknowledgment its control id and, when the rule asks,
 * MSH-15 `AL` (a commit acknowledgment of it, please) and MSH-16 `NE`.
 */
function markApplicationAck(ack: Hl7Message, controlId: string, decision: PeerDecision): void {
  const header = ack.getSegment('MSH');
  header?.setField(10, controlId);
  if (decision.requestCommitAck === true) {
    header?.setField(15, 'AL');
    header?.setField(16, 'NE');
  }
}

/** A message's MSH-18 charset when it is one the codec writes; anything else is read as UTF-8. */
function charsetOf(header: string): Hl7Charset {
  const fields = header.split('\r', 1)[0]?.split(header.charAt(3)) ?? [];
  const declared = fields[17] ?? '';
  return (HL7_CHARSETS as readonly string[]).includes(declared)
    ? (declared as Hl7Charset)
    : 'UNICODE UTF-8';
}

/** MSH-9 as `code^event`. */
function typeOf(message: Hl7Message): string {
  const field = message.getSegment('MSH')?.getField(9);
  return [field?.getComponent(1) ?? '', field?.getComponent(2) ?? '']
    .filter((part) => part !== '')
    .join('^');
}

/** What the peer knows of a scheduling request: its event, and its answer when it was taken. */
type Scheduling = { event: SchedulingEvent; answer?: Hl7Message } | undefined;

/**
 * The acknowledgment for `action`, or undefined for silence and drops: a scheduling request's
 * own answer when it was taken, the response type with the rule's error when refused (a
 * commit acknowledgment, `CE` or `CR`, is always a general `ACK`).
 */
function acknowledgment(
  message: Hl7Message,
  action: PeerAction,
  text: string,
  scheduling: Scheduling,
): Hl7Message | undefined {
  if (action === 'silence' || action === 'drop') return undefined;
  if (action === 'AA') return scheduling?.answer ?? message.buildAck();
  if (scheduling !== undefined && (action === 'AE' || action === 'AR')) {
    return refuseScheduling(scheduling.event, message, action, text);
  }
  const err = Hl7Segment.parse(`ERR||MSH^1^10|207^${text}^HL70357|E||||${text}`);
  const ack = message.buildAck({ ackCode: action, errSegment: err });
  ack.getSegment('MSA')?.setField(3, text);
  return ack;
}

/** The application acknowledgment code of an enhanced reply, when it sends one. */
function applicationAckCode(action: PeerAction): 'AA' | 'AE' | 'AR' | undefined {
  return action === 'AA' || action === 'AE' || action === 'AR' ? action : undefined;
}

/**
 * Starts a practice-management peer: an MLLP listener that reads every framed message with
 * `@medplum/core`'s `Hl7Message.parse`, stores it, and answers according to the rules (see
 * {@link PeerRule}), one message at a time per connection. As a filler application it books
 * `SRM^S01`, cancels `SRM^S04` and answers `SQM^S25` lookups (see {@link answerScheduling}):
 * a scheduling request is taken when the rules accept it or answer it with silence. A frame that does not parse as a
 * message with an MSH segment is stored with its error and the connection is closed. An `ACK`
 * it receives (a sender's answer to its enhanced-mode application acknowledgment) is kept in
 * `acknowledgments()` and never answered. With
 * `tls`, it listens with TLS (and requires a client certificate when `tls.clientCa` is set).
 */
export async function startHl7Peer(options: Hl7PeerOptions = {}): Promise<Hl7Peer> {
  const received: ReceivedMessage[] = [];
  const acknowledgments: ReceivedAck[] = [];
  const ackWaiters = new Set<() => void>();
  const appointments = new AppointmentBook();
  let ackCount = 0;
  // Own control ids for enhanced-mode acknowledgments, so that a CA and the application
  // acknowledgment sent within one millisecond are told apart.
  const nextAckId = () => `HL7PEER${String(++ackCount).padStart(6, '0')}`;
  const acceptedIds = new Set<string>();
  const sockets = new Set<Socket>();
  let rules = new RuleBook(options.rules);

  const handle = async (socket: Socket, bytes: Buffer): Promise<void> => {
    const charset = charsetOf(bytes.toString('latin1', 0, Math.min(bytes.length, 512)));
    const raw = decodeBytes(bytes, charset);
    let message: Hl7Message;
    try {
      message = Hl7Message.parse(raw);
      if (message.getSegment('MSH') === undefined) throw new Error('no MSH segment');
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      received.push({
        type: '',
        controlId: '',
        raw,
        reply: 'drop',
        duplicate: false,
        error: reason,
      });
      socket.destroy();
      return;
    }
    const type = typeOf(message);
    const controlId = message.getSegment('MSH')?.getField(10)?.toString() ?? '';
    if (type.split('^')[0] === 'ACK') {
      acknowledgments.push({
        code: message.getSegment('MSA')?.getField(1)?.toString() ?? '',
        acknowledges: message.getSegment('MSA')?.getField(2)?.toString() ?? '',
        controlId,
        raw,
        message,
      });
      for (const wake of ackWaiters) wake();
      return;
    }
    const decision = rules.decide({ type, raw });
    const appCode = decision.enhanced === true ? applicationAckCode(decision.action) : undefined;
    const applicationAck =
      appCode === undefined
        ? undefined
        : {
            code: appCode,
            controlId: nextAckId(),
            commitAckRequested: decision.requestCommitAck === true,
          };
    received.push({
      type,
      controlId,
      raw,
      message,
      reply: decision.action,
      duplicate: decision.action === 'AA' && acceptedIds.has(controlId),
      ...(applicationAck === undefined ? {} : { applicationAck }),
    });
    if (decision.action === 'AA') acceptedIds.add(controlId);
    const event = schedulingEventOf(type);
    // Taken into the book when accepted, or when its answer is lost (silence); not when
    // refused by a rule or dropped.
    const taken = decision.action === 'AA' || decision.action === 'silence';
    const scheduling =
      event === undefined
        ? undefined
        : {
            event,
            ...(taken ? { answer: answerScheduling(appointments, event, message, controlId) } : {}),
          };
    const send = (reply: Hl7Message) => socket.write(frame(encodeBytes(reply.toString(), charset)));
    if (decision.enhanced === true) {
      const commit = message.buildAck({ ackCode: 'CA' });
      commit.getSegment('MSH')?.setField(10, nextAckId());
      send(commit);
    }
    if (decision.delayMs > 0) await sleep(decision.delayMs);
    if (socket.destroyed) return;
    if (decision.action === 'drop') {
      socket.destroy();
      return;
    }
    const ack = acknowledgment(message, decision.action, decision.text, scheduling);
    if (ack === undefined) return;
    if (applicationAck !== undefined) markApplicationAck(ack, applicationAck.controlId, decision);
    send(ack);
  };

  const serve = (socket: Socket) => {
    sockets.add(socket);
    const decoder = new FrameDecoder();
    let queue = Promise.resolve();
    socket.on('data', (chunk) => {
      for (const bytes of decoder.push(chunk)) queue = queue.then(() => handle(socket, bytes));
    });
    socket.on('error', () => socket.destroy());
    socket.on('close', () => sockets.delete(socket));
  };
  const { tls } = options;
  const server =
    tls === undefined
      ? createServer(serve)
      : createTlsServer(
          {
            cert: tls.cert,
            key: tls.key,
            ...(tls.clientCa === undefined
              ? {}
              : { ca: tls.clientCa, requestCert: true, rejectUnauthorized: true }),
          },
          serve,
        );
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });

  return {
    port: (server.address() as AddressInfo).port,
    received: () => [...received],
    acknowledgments: () => [...acknowledgments],
    acknowledgmentsReceived: (count, signal) =>
      new Promise((resolve, reject) => {
        const check = () => {
          if (acknowledgments.length < count) return;
          done();
          resolve([...acknowledgments]);
        };
        const abort = () => {
          done();
          reject(signal.reason instanceof Error ? signal.reason : new Error('aborted'));
        };
        const done = () => {
          ackWaiters.delete(check);
          signal.removeEventListener('abort', abort);
        };
        ackWaiters.add(check);
        signal.addEventListener('abort', abort, { once: true });
        check();
        if (signal.aborted) abort();
      }),
    accepted: () => received.filter((m) => m.reply === 'AA' && !m.duplicate),
    bookings: () => appointments.list(),
    setRules: (next) => {
      rules = new RuleBook(next);
    },
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
