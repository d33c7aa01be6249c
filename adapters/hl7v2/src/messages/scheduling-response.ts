import { RemoteError, type PartnerOutcome } from '@pmsbridge/core';
import { valueOf, type ParsedSegment } from '../codec/message-parser.js';
import type { AckError, Hl7Ack, Hl7Reply } from './ack.js';

/**
 * HL7 error code (table 0357) by which a filler says the slot already holds an appointment:
 * `205` duplicate key identifier, the key being the slot. The booking port's default.
 */
export const SLOT_TAKEN_ERROR_CODE = '205';

/** Filler statuses (SCH-25, table 0278) of an appointment that holds its slot. */
const HOLDS_SLOT = new Set(['', 'PENDING', 'BOOKED', 'OVERBOOK', 'STARTED', 'COMPLETE']);

/** Texts of the HL7 error codes (table 0357), written instead of whatever text a peer sent. */
const ERROR_CODE_TEXT: Readonly<Record<string, string>> = {
  '0': 'Message accepted',
  '100': 'Segment sequence error',
  '101': 'Required field missing',
  '102': 'Data type error',
  '103': 'Table value not found',
  '200': 'Unsupported message type',
  '201': 'Unsupported event code',
  '202': 'Unsupported processing id',
  '203': 'Unsupported version id',
  '204': 'Unknown key identifier',
  '205': 'Duplicate key identifier',
  '206': 'Application record locked',
  '207': 'Application internal error',
};

/** The peer, as errors name it. */
const PEER = { system: 'HL7 v2 peer' };

/**
 * The partner's answer to an `SRM^S01` (an `SRR^S01`, or any acknowledgment of it):
 *
 * - `AA`: booked; the partner id is the filler appointment id (SCH-2), or the reference when
 *   the filler sent no SCH-2. An SCH-1 naming another placer id is not an answer: throws.
 * - `AE`/`AR` with an error whose code (ERR-3, 2.3.1 ERR-1.4, else ERR-5) is one of
 *   `slotTakenCodes`: refused `slot_unavailable`.
 * - any other `AE`/`AR`: refused `rejected`, with the ack and error codes (never the peer's
 *   free text, which may quote the patient).
 * - a commit-level acknowledgment (`CA`/`CE`/`CR`, enhanced mode) is no answer: throws.
 */
export function readBookingResponse(
  reply: Hl7Reply,
  reference: string,
  slotTakenCodes: readonly string[],
): PartnerOutcome {
  const { ack } = requireApplicationAck(reply);
  if (ack.outcome !== 'accepted') {
    const slotTaken = ack.errors.some(
      (e) => e.code !== undefined && slotTakenCodes.includes(e.code),
    );
    if (slotTaken) {
      return { status: 'refused', code: 'slot_unavailable', message: 'The slot is already booked' };
    }
    if (ack.outcome === 'rejected') {
      // AR: not processed (unsupported, the receiver busy or down), not a verdict on the
      // booking: it stays pending, to be looked up and sent again.
      throw new RemoteError(
        `The practice-management system did not process the booking (${describeAck(ack)}); it stays pending`,
        PEER,
        { details: { ack: ack.code } },
      );
    }
    return {
      status: 'refused',
      code: 'rejected',
      message: `The practice-management system refused the appointment (${describeAck(ack)})`,
    };
  }
  const schedule = reply.message.segment('SCH');
  const placerId = schedule === undefined ? '' : valueOf(schedule, 1);
  if (placerId !== '' && placerId !== reference) {
    throw new RemoteError(
      `The booking answer names placer appointment ${placerId}, not ${reference}`,
      PEER,
    );
  }
  const fillerId = schedule === undefined ? '' : valueOf(schedule, 2);
  return { status: 'booked', partnerId: fillerId || reference };
}

/**
 * What an `SQR^S25` says of the booking `reference`: booked (partner id SCH-2, or the
 * reference) when it returns that appointment's SCH (SCH-1 = the reference) with a status that
 * holds the slot — Pending, Booked, Overbook, Started, Complete, or none; undefined when it
 * returns none (QAK-2 `NF`, or no such SCH) or the appointment is cancelled, deleted,
 * discontinued, a no-show, blocked or waitlisted. Throws when the query was not answered
 * (`AE`/`AR`, QAK-2 `AE`/`AR`, a commit-level acknowledgment).
 */
export function readScheduleQueryResponse(
  reply: Hl7Reply,
  reference: string,
): PartnerOutcome | undefined {
  const { ack } = requireApplicationAck(reply);
  const status = reply.message.value('QAK', 2).toUpperCase();
  if (ack.outcome !== 'accepted' || status === 'AE' || status === 'AR') {
    throw new RemoteError(
      `The practice-management system did not answer the lookup of ${reference} (${describeAck(ack)}${status === '' ? '' : `, QAK ${status}`})`,
      PEER,
      { details: { ack: ack.code, queryStatus: status } },
    );
  }
  if (status === 'NF') return undefined;
  const schedule = reply.message
    .segmentsNamed('SCH')
    .find((sch: ParsedSegment) => valueOf(sch, 1) === reference);
  if (schedule === undefined) return undefined;
  if (!HOLDS_SLOT.has(valueOf(schedule, 25).toUpperCase())) return undefined;
  return { status: 'booked', partnerId: valueOf(schedule, 2) || reference };
}

/**
 * Checks the answer to an `SRM^S04`: returns on `AA`, throws on anything else (the booking
 * is then still held, as far as pmsbridge knows).
 */
export function readCancellationResponse(reply: Hl7Reply, reference: string): void {
  const { ack } = requireApplicationAck(reply);
  if (ack.outcome === 'accepted') return;
  throw new RemoteError(
    `The practice-management system did not cancel booking ${reference} (${describeAck(ack)})`,
    PEER,
    { details: { ack: ack.code, errors: ack.errors.map((e) => e.code ?? '') } },
  );
}

/** The reply, when it is an application-level acknowledgment; throws for a commit-level one. */
function requireApplicationAck(reply: Hl7Reply): Hl7Reply {
  if (reply.ack.level === 'commit') {
    throw new RemoteError(
      `The practice-management system sent a commit acknowledgment (${reply.ack.code}) instead of its answer; booking needs original acknowledgment mode (MSH-15 and MSH-16 empty)`,
      PEER,
      { details: { ack: reply.ack.code } },
    );
  }
  return reply;
}

/**
 * The acknowledgment in a few words a booking may keep: its code and, for each error, the
 * HL7 code with the standard's text and where it is — no text the peer wrote.
 */
function describeAck(ack: Hl7Ack): string {
  const errors = ack.errors.map(describeError).filter((text) => text !== '');
  return errors.length === 0 ? ack.code : `${ack.code}: ${errors.join('; ')}`;
}

function describeError(error: AckError): string {
  const code = error.code ?? '';
  const text = ERROR_CODE_TEXT[code];
  const head = text === undefined ? code : `${code} ${text}`;
  const where = error.location === undefined ? '' : ` at ${error.location}`;
  return `${head}${where}`.trim();
}
