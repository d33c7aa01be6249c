import { Hl7Message, Hl7Segment, type AckCode } from '@medplum/core';
import type { AppointmentBook, AppointmentRequest, PeerBooking } from './appointment-book.js';

/** The scheduling requests the peer answers as a filler application. */
export type SchedulingEvent = 'book' | 'cancel' | 'query';

/** Request type (MSH-9 `code^event`) → event, and the response's code, event and structure. */
const SCHEDULING: Readonly<Record<string, { event: SchedulingEvent; response: string[] }>> = {
  'SRM^S01': { event: 'book', response: ['SRR', 'S01', 'SRR_S01'] },
  'SRM^S04': { event: 'cancel', response: ['SRR', 'S04', 'SRR_S01'] },
  'SQM^S25': { event: 'query', response: ['SQR', 'S25', 'SQR_S25'] },
};

/** The HL7 error (table 0357) by which the peer says the slot is already booked. */
export const SLOT_TAKEN_ERROR = { code: '205', text: 'Duplicate key identifier' } as const;

/** The peer's namespace in the filler appointment ids it answers (SCH-2.2). */
const FILLER_NAMESPACE = 'HL7PEER';

/** An error of a scheduling reply: its HL7 code, the code's text and where it is. */
interface ReplyError {
  code: string;
  text: string;
  location: string;
}

/** The scheduling event of a message type (`SRM^S01`…), if it is one. */
export function schedulingEventOf(type: string): SchedulingEvent | undefined {
  return SCHEDULING[type.toUpperCase()]?.event;
}

/**
 * Takes a scheduling request into the book and builds the answer, as a filler would:
 *
 * - `SRM^S01` → `SRR^S01`: `AA` with SCH (SCH-1 the placer id, SCH-2 the filler id, SCH-25
 *   `Booked`) for a new appointment or a resend of a booked placer id (the same appointment);
 *   `AE` with error 205 when another appointment holds the practitioner at that start; `AE`
 *   with error 207 for a placer id already cancelled.
 * - `SRM^S04` → `SRR^S04`: `AA` with the SCH, now `Cancelled` (also when it already was);
 *   `AE` with error 204 for an unknown placer id.
 * - `SQM^S25` → `SQR^S25`: `AA`, QAK-1 the query tag (QRD-4) and QAK-2 `OK` with the SCH of
 *   the placer id (ARQ-1, else QRD-8), or `NF` and no SCH.
 */
export function answerScheduling(
  book: AppointmentBook,
  event: SchedulingEvent,
  message: Hl7Message,
  controlId: string,
): Hl7Message {
  const placerId = placerIdOf(message);
  if (event === 'book') {
    const outcome = book.book({ ...appointmentRequestOf(message), placerId, controlId });
    switch (outcome.result) {
      case 'booked':
      case 'resent':
        return reply(message, 'AA', [...scheduleSegments(message, outcome.booking)]);
      case 'slot-taken':
        return refusal(message, 'AE', { ...SLOT_TAKEN_ERROR, location: 'AIS^1^4' }, 'Slot taken');
      case 'placer-id-cancelled':
        return refusal(
          message,
          'AE',
          { code: '207', text: 'Application internal error', location: 'ARQ^1^1' },
          'Placer appointment id was cancelled',
        );
    }
  }
  if (event === 'cancel') {
    const booking = book.cancel(placerId);
    if (booking === undefined) {
      return refusal(
        message,
        'AE',
        { code: '204', text: 'Unknown key identifier', location: 'ARQ^1^1' },
        'Unknown placer appointment id',
      );
    }
    return reply(message, 'AA', scheduleSegments(message, booking));
  }
  const found = book.find(placerId);
  const tag = message.getSegment('QRD')?.getField(4)?.toString() ?? '';
  return reply(message, 'AA', [
    `QAK|${tag}|${found === undefined ? 'NF' : 'OK'}`,
    ...(found === undefined ? [] : scheduleSegments(message, found)),
  ]);
}

/**
 * The answer to a scheduling request a reply rule refuses (`AE`/`AR`): the response type, the
 * rule's text in MSA-3 and the ERR the peer writes for rules (and QAK-2 for a query).
 */
export function refuseScheduling(
  event: SchedulingEvent,
  message: Hl7Message,
  code: 'AE' | 'AR',
  text: string,
): Hl7Message {
  const answer = refusal(message, code, { code: '207', text, location: 'MSH^1^10' }, text);
  if (event !== 'query') return answer;
  const tag = message.getSegment('QRD')?.getField(4)?.toString() ?? '';
  return new Hl7Message([...answer.segments, Hl7Segment.parse(`QAK|${tag}|${code}`)]);
}

/** The placer appointment id: ARQ-1.1, or QRD-8.1 for a query without a request group. */
function placerIdOf(message: Hl7Message): string {
  const arq = message.getSegment('ARQ')?.getComponent(1, 1) ?? '';
  return arq !== '' ? arq : (message.getSegment('QRD')?.getComponent(8, 1) ?? '');
}

function appointmentRequestOf(
  message: Hl7Message,
): Omit<AppointmentRequest, 'placerId' | 'controlId'> {
  const start = message.getSegment('AIS')?.getField(4)?.toString() ?? '';
  return {
    practitioner: message.getSegment('AIP')?.getComponent(3, 1) ?? '',
    start: start !== '' ? start : (message.getSegment('ARQ')?.getComponent(11, 1) ?? ''),
    slotId: message.getSegment('RGS')?.getComponent(3, 1) ?? '',
    location: message.getSegment('AIL')?.getComponent(3, 1) ?? '',
    service: message.getSegment('AIS')?.getComponent(3, 1) ?? '',
  };
}

/** SCH (placer id, filler id, event reason, filler status) and the RGS the structure requires. */
function scheduleSegments(message: Hl7Message, booking: PeerBooking): string[] {
  const placerNamespace = message.getSegment('ARQ')?.getComponent(1, 2) ?? '';
  const fields = Array<string>(26).fill('');
  fields[0] = 'SCH';
  fields[1] = placerNamespace === '' ? booking.placerId : `${booking.placerId}^${placerNamespace}`;
  fields[2] = `${booking.fillerId}^${FILLER_NAMESPACE}`;
  fields[6] = booking.status === 'Booked' ? 'BOOKED^Booked' : 'CANCELLED^Cancelled';
  fields[25] = booking.status;
  return [fields.join('|'), 'RGS|1'];
}

function refusal(message: Hl7Message, code: AckCode, error: ReplyError, text: string): Hl7Message {
  return reply(message, code, [errorSegment(message, error)], text);
}

/** ERR as the message's version writes it: 2.5 fields (ERR-2/3/4), or the 2.3.1 ERR-1. */
function errorSegment(message: Hl7Message, error: ReplyError): string {
  const version = message.header.getField(12)?.toString() ?? '';
  const { code, text, location } = error;
  return version.startsWith('2.3')
    ? `ERR|${location}^${code}&${text}&HL70357`
    : `ERR||${location}|${code}^${text}^HL70357|E`;
}

/** The response to `message`: its acknowledgment as the response type, and the segments. */
function reply(message: Hl7Message, code: AckCode, segments: string[], text?: string): Hl7Message {
  const ack = message.buildAck({ ackCode: code });
  const type = message.header.getField(9)?.toString() ?? '';
  const [requestCode = '', trigger = '', structure = ''] = type.split('^');
  const response = SCHEDULING[`${requestCode}^${trigger}`.toUpperCase()]?.response;
  if (response !== undefined) {
    ack.header.setField(9, (structure === '' ? response.slice(0, 2) : response).join('^'));
  }
  if (text !== undefined) ack.getSegment('MSA')?.setField(3, text);
  return new Hl7Message([...ack.segments, ...segments.map((s) => Hl7Segment.parse(s))]);
}
