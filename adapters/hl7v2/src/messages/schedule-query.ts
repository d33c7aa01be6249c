import {
  assembleMessage,
  type Hl7MessageType,
  type OutboundMessage,
} from '../codec/outbound-message.js';
import { segment, type Hl7Segment } from '../codec/segment.js';
import { formatHl7Timestamp } from '../codec/timestamp.js';
import type { MessageContext } from './message-options.js';
import { appointmentRequest } from './scheduling-request.js';

/** `SQM^S25`: schedule query. */
const SCHEDULE_QUERY: Hl7MessageType = { code: 'SQM', trigger: 'S25', structure: 'SQM_S25' };

/** QRD-9 (table 0048) `SAL`: all schedule information, whatever the appointment's status. */
const ALL_SCHEDULE_INFORMATION = ['SAL', 'All schedule related information', 'HL70048'];

/** QRD-4 is an ST of at most 10 characters. */
export const QUERY_ID_LENGTH = 10;

/** One lookup of a booking by its reference. */
export interface BookingQuery {
  /** The booking reference, sent as the placer appointment id. */
  readonly reference: string;
  /** QRD-4, at most {@link QUERY_ID_LENGTH} characters; the answer's QAK-1 echoes it. */
  readonly queryId: string;
}

/**
 * The `SQM^S25` message that looks a booking up by its placer appointment id, the simplest
 * query the standard allows: QRD (now, record-oriented `R`, immediate `I`, the query id, one
 * record `1^RD`, the reference as the who-subject QRD-8, what-subject `SAL`), then the request
 * group with an ARQ whose ARQ-1 is the reference, and the RGS the group requires. QRD-10 (the
 * department) is left empty: the placer id alone names the appointment. The filler answers
 * `SQR^S25` with the appointment's SCH, or none.
 */
export function buildScheduleQuery(query: BookingQuery, context: MessageContext): OutboundMessage {
  const { options, clock } = context;
  if (query.queryId === '' || query.queryId.length > QUERY_ID_LENGTH) {
    throw new RangeError(
      `queryId must have 1 to ${QUERY_ID_LENGTH} characters, got ${query.queryId.length}`,
    );
  }
  const body: Hl7Segment[] = [
    segment('QRD', {
      1: formatHl7Timestamp(clock.now().getTime(), options.timeZone),
      2: 'R',
      3: 'I',
      4: query.queryId,
      7: ['1', 'RD'],
      8: [query.reference],
      9: ALL_SCHEDULE_INFORMATION,
    }),
    segment('ARQ', appointmentRequest(query.reference, options.sendingApplication)),
    segment('RGS', { 1: '1' }),
  ];
  return assembleMessage(
    { type: SCHEDULE_QUERY, body, key: query.reference, revision: query.queryId },
    context,
  );
}
