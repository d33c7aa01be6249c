import { RemoteError } from '@pmsbridge/core';
import {
  parseMessage,
  valueOf,
  type ParsedMessage,
  type ParsedSegment,
} from '../codec/message-parser.js';

/** Acknowledgment codes (table 0008): `A*` application level, `C*` commit level (enhanced mode). */
export const ACK_CODES = ['AA', 'AE', 'AR', 'CA', 'CE', 'CR'] as const;

/** An acknowledgment code, MSA-1. */
export type AckCode = (typeof ACK_CODES)[number];

/** What an acknowledgment says of the message it answers. */
export type AckOutcome = 'accepted' | 'error' | 'rejected';

/** One ERR segment: the error code, its text, severity and messages, as far as the peer sent them. */
export interface AckError {
  /** HL7 error code (table 0357, e.g. `207`) or the application's own code. */
  readonly code?: string;
  /** The code's text, e.g. `Application internal error`. */
  readonly codeText?: string;
  /** `E` error, `W` warning, `I` information, `F` fatal (ERR-4, from 2.5). */
  readonly severity?: string;
  /** Where the error is, e.g. `PID^1^3` (segment, sequence, field). */
  readonly location?: string;
  /** Diagnostic and user messages (ERR-7, ERR-8). */
  readonly message?: string;
}

/** A parsed acknowledgment: the outcome, the control id it answers and the peer's text. */
export interface Hl7Ack {
  readonly outcome: AckOutcome;
  readonly code: AckCode;
  /** `commit` for CA/CE/CR (enhanced mode: the peer stored the message), else `application`. */
  readonly level: 'application' | 'commit';
  /** MSA-2: the MSH-10 of the message acknowledged. */
  readonly controlId: string;
  /** MSA-3, the text message (deprecated from 2.5 in favour of ERR, still sent by many). */
  readonly text?: string;
  readonly errors: readonly AckError[];
  /** One line for a log or a dead letter: code, MSA-3 and each error. */
  readonly summary: string;
}

const OUTCOME: Record<AckCode, AckOutcome> = {
  AA: 'accepted',
  CA: 'accepted',
  AE: 'error',
  CE: 'error',
  AR: 'rejected',
  CR: 'rejected',
};

/** A reply read as an acknowledgment, with the whole message for what else it carries (SCH, QAK). */
export interface Hl7Reply {
  readonly ack: Hl7Ack;
  readonly message: ParsedMessage;
}

/**
 * Parses an acknowledgment — a general `ACK`, or any reply with an MSA segment such as
 * `MFK^M01` — into its outcome, MSA-2 control id and error texts. ERR is read both ways: the
 * 2.5 fields (ERR-2 location, ERR-3 code, ERR-4 severity, ERR-7/8 messages) and the 2.3.1
 * ERR-1 (segment^sequence^field^code&text). Throws a {@link RemoteError} when the text is not
 * an acknowledgment.
 */
export function parseAck(text: string): Hl7Ack {
  return parseReply(text).ack;
}

/**
 * Parses a reply that answers with an MSA segment — an `ACK`, or a response such as
 * `SRR^S01` or `SQR^S25` — into its acknowledgment (see {@link parseAck}) and the parsed
 * message. Throws a {@link RemoteError} when the text is not an acknowledgment.
 */
export function parseReply(text: string): Hl7Reply {
  let message;
  try {
    message = parseMessage(text);
  } catch (cause) {
    throw notAnAck('it does not start with an MSH segment', cause);
  }
  return { ack: readAck(message), message };
}

function readAck(message: ParsedMessage): Hl7Ack {
  const msa = message.segment('MSA');
  if (msa === undefined) throw notAnAck('it has no MSA segment');
  const rawCode = valueOf(msa, 1).toUpperCase();
  if (!isAckCode(rawCode))
    throw notAnAck(`MSA-1 "${rawCode}" is not one of ${ACK_CODES.join(', ')}`);
  const controlId = valueOf(msa, 2);
  const msaText = valueOf(msa, 3) || undefined;
  const errors = message.segmentsNamed('ERR').flatMap(readErrors);
  return {
    outcome: OUTCOME[rawCode],
    code: rawCode,
    level: rawCode.startsWith('C') ? 'commit' : 'application',
    controlId,
    ...(msaText === undefined ? {} : { text: msaText }),
    errors,
    summary: summarise(rawCode, controlId, msaText, errors),
  };
}

function isAckCode(code: string): code is AckCode {
  return (ACK_CODES as readonly string[]).includes(code);
}

function notAnAck(why: string, cause?: unknown): RemoteError {
  return new RemoteError(
    `The practice-management system's reply is not an HL7 acknowledgment: ${why}`,
    { system: 'HL7 v2 peer' },
    { cause },
  );
}

/** An ERR segment: 2.5 fields when ERR-3 is valued, else the 2.3.1 ERR-1 repetitions. */
function readErrors(err: ParsedSegment): AckError[] {
  if (valueOf(err, 3) !== '' || valueOf(err, 7) !== '' || valueOf(err, 8) !== '') {
    return [readModernError(err)];
  }
  const repetitions = err.fields[1] ?? [];
  return repetitions.map((_, i) => readLegacyError(err, i + 1)).filter(hasContent);
}

function readModernError(err: ParsedSegment): AckError {
  const location = [1, 2, 3, 4]
    .map((component) => valueOf(err, 2, { component }))
    .filter((part) => part !== '')
    .join('^');
  const messages = [valueOf(err, 8), valueOf(err, 7)].filter((m) => m !== '');
  return withoutEmpty({
    code: valueOf(err, 3) || valueOf(err, 5),
    codeText: valueOf(err, 3, { component: 2 }) || valueOf(err, 5, { component: 2 }),
    severity: valueOf(err, 4),
    location,
    message: messages.join(' — '),
  });
}

/** 2.3.1 ERR-1 (ELD): segment^sequence^field^code, the code a CE in subcomponents. */
function readLegacyError(err: ParsedSegment, repetition: number): AckError {
  const at = (component: number, subcomponent = 1): string =>
    valueOf(err, 1, { repetition, component, subcomponent });
  const location = [at(1), at(2), at(3)].filter((part) => part !== '').join('^');
  return withoutEmpty({ code: at(4, 1), codeText: at(4, 2), location });
}

function withoutEmpty(error: Partial<Record<keyof AckError, string>>): AckError {
  return Object.fromEntries(
    Object.entries(error).filter(([, value]) => value !== undefined && value !== ''),
  ) as AckError;
}

function hasContent(error: AckError): boolean {
  return Object.keys(error).length > 0;
}

function summarise(
  code: AckCode,
  controlId: string,
  text: string | undefined,
  errors: readonly AckError[],
): string {
  const parts = [`${code} for ${controlId || '(no control id)'}`];
  if (text !== undefined) parts.push(text);
  for (const error of errors) {
    const head = [error.code, error.codeText].filter(Boolean).join(' ');
    const where = error.location === undefined ? '' : ` at ${error.location}`;
    const what = [head, error.message].filter(Boolean).join(': ');
    parts.push(`${what || 'error'}${where}`);
  }
  return parts.join('; ');
}
