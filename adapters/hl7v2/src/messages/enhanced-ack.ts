import type { Clock } from '@pmsbridge/core';
import type { Hl7Charset } from '../codec/charset.js';
import { ACKNOWLEDGMENT_CONDITIONS, type AcknowledgmentCondition } from '../codec/codec-options.js';
import { messageControlId } from '../codec/control-id.js';
import { DEFAULT_DELIMITERS } from '../codec/delimiters.js';
import { encodeMessage, type EncodingRules } from '../codec/message-encoder.js';
import { parseMessage, type ParsedMessage } from '../codec/message-parser.js';
import type { OutboundMessage } from '../codec/outbound-message.js';
import { segment } from '../codec/segment.js';
import { formatHl7Timestamp } from '../codec/timestamp.js';

/**
 * What a message asks of its receiver (enhanced acknowledgment mode): MSH-15, the accept
 * (commit) acknowledgment, and MSH-16, the application acknowledgment. A field left empty, or
 * holding a value outside table 0155, is undefined; both undefined is original mode.
 */
export interface AcknowledgmentRequest {
  readonly accept?: AcknowledgmentCondition;
  readonly application?: AcknowledgmentCondition;
}

/**
 * What follows a commit accept (`CA`) under a request: `required` the application
 * acknowledgment must come (MSH-16 `AL`, or `SU`, under which silence means the message was
 * not processed successfully); `on-error` it comes only for an error, so silence is success
 * (`ER`); `none` the `CA` is the final answer (`NE` or empty).
 */
export type ApplicationAckExpectation = 'required' | 'on-error' | 'none';

/** The MSH-15 and MSH-16 of a message, read from its MSH segment only. */
export function acknowledgmentRequestOf(message: string | ParsedMessage): AcknowledgmentRequest {
  const parsed =
    typeof message === 'string' ? parseMessage(message.split(/\r|\n/, 1)[0] ?? '') : message;
  const accept = asCondition(parsed.value('MSH', 15));
  const application = asCondition(parsed.value('MSH', 16));
  return {
    ...(accept === undefined ? {} : { accept }),
    ...(application === undefined ? {} : { application }),
  };
}

/** Whether an application acknowledgment follows a `CA` under `request`, see {@link ApplicationAckExpectation}. */
export function applicationAckAfterCommit(
  request: AcknowledgmentRequest,
): ApplicationAckExpectation {
  switch (request.application) {
    case 'AL':
    case 'SU':
      return 'required';
    case 'ER':
      return 'on-error';
    default:
      return 'none';
  }
}

/**
 * Whether the sender of a message that was taken asks for a commit accept of it: MSH-15 `AL`
 * (always) or `SU` (on success). `ER` asks for one only on error, `NE` and empty never.
 */
export function asksForCommitAccept(request: AcknowledgmentRequest): boolean {
  return request.accept === 'AL' || request.accept === 'SU';
}

/** What {@link buildCommitAccept} needs besides the message: the clock of MSH-7 and the charset. */
export interface CommitAcceptContext {
  readonly clock: Clock;
  readonly charset: Hl7Charset;
}

/**
 * The commit accept of a received message (here: an application acknowledgment whose MSH-15
 * asks for one): an `ACK` with MSH-3/4 and MSH-5/6 swapped, MSH-9 `ACK^<its trigger>^ACK`
 * (`ACK^<trigger>` before 2.4), the version and processing id of the message, MSH-15 and
 * MSH-16 `NE` (it asks for nothing back), and `MSA|CA|<its MSH-10>`. Its control id is
 * derived from the acknowledged one, so an answer sent again is the same message.
 */
export function buildCommitAccept(
  acknowledged: ParsedMessage,
  context: CommitAcceptContext,
): OutboundMessage {
  const theirs = (field: number) => acknowledged.value('MSH', field);
  const acknowledgedId = theirs(10);
  const version = theirs(12) || '2.5.1';
  const trigger = theirs(9) === '' ? '' : acknowledged.value('MSH', 9, { component: 2 });
  const type =
    trigger === '' ? ['ACK'] : hasStructure(version) ? ['ACK', trigger, 'ACK'] : ['ACK', trigger];
  const rules: EncodingRules = {
    delimiters: DEFAULT_DELIMITERS,
    charset: context.charset,
    // Names echoed from the peer's header must never stop the answer.
    unrepresentable: 'fold',
  };
  const header = (sentAt: string, controlId: string) =>
    segment('MSH', {
      3: theirs(5),
      4: theirs(6),
      5: theirs(3),
      6: theirs(4),
      7: sentAt,
      9: type,
      10: controlId,
      11: theirs(11) || 'P',
      12: version,
      15: 'NE',
      16: 'NE',
      18: context.charset,
    });
  const msa = segment('MSA', { 1: 'CA', 2: acknowledgedId });
  const body = encodeMessage([msa], rules);
  const controlId = messageControlId(
    acknowledgedId,
    'CA',
    encodeMessage([header('', '')], rules) + body,
  );
  const sentAt = formatHl7Timestamp(context.clock.now().getTime(), 'UTC');
  return {
    text: encodeMessage([header(sentAt, controlId)], rules) + body,
    controlId,
    messageType: type.join(DEFAULT_DELIMITERS.component),
    key: acknowledgedId,
    charset: context.charset,
  };
}

function asCondition(value: string): AcknowledgmentCondition | undefined {
  const upper = value.toUpperCase();
  return (ACKNOWLEDGMENT_CONDITIONS as readonly string[]).includes(upper)
    ? (upper as AcknowledgmentCondition)
    : undefined;
}

/** MSH-9.3, the message structure, came with 2.4. */
function hasStructure(version: string): boolean {
  return !/^2\.[0-3](\.|$)/.test(version);
}
