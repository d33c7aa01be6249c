import type { Clock } from '@pmsbridge/core';
import { DEFAULT_DELIMITERS } from './delimiters.js';
import type { Hl7CodecOptions } from './codec-options.js';
import { messageControlId } from './control-id.js';
import { encodeMessage, type EncodingRules } from './message-encoder.js';
import { segment, type Hl7Segment } from './segment.js';
import { formatHl7Timestamp } from './timestamp.js';

/** MSH-9: message code, trigger event and (from 2.4 on) message structure. */
export interface Hl7MessageType {
  readonly code: string;
  readonly trigger: string;
  readonly structure: string;
}

/** A message ready for a transport. */
export interface OutboundMessage {
  /** The encoded message, segments terminated by `\r`; send it in `charset`. */
  readonly text: string;
  /** MSH-10: stable for the same record key, revision and content; the ACK echoes it in MSA-2. */
  readonly controlId: string;
  /** MSH-9 as written, e.g. `SIU^S24^SIU_S12`. */
  readonly messageType: string;
  /** The record key it was built for. */
  readonly key: string;
  readonly charset: Hl7CodecOptions['charset'];
}

/** What a message is made of, before the header is written. */
export interface MessageDraft {
  readonly type: Hl7MessageType;
  /** Every segment after MSH. */
  readonly body: readonly Hl7Segment[];
  /** The record key, e.g. the provider id. */
  readonly key: string;
  /** What tells apart two sends of the same content; see {@link messageControlId}. */
  readonly revision: string;
}

/** The codec's options and the clock that stamps MSH-7. */
export interface CodecContext {
  readonly options: Hl7CodecOptions;
  readonly clock: Clock;
}

/**
 * Writes the MSH segment and encodes the message. MSH-10 is derived from the key, the revision
 * and the message without MSH-7 and MSH-10; MSH-7 is the clock's time.
 */
export function assembleMessage(draft: MessageDraft, context: CodecContext): OutboundMessage {
  const { options } = context;
  const rules = encodingRules(options);
  // The body is encoded once; only the header differs between the draft and the message.
  const body = encodeMessage(draft.body, rules);
  const unstamped = encodeMessage([header(draft.type, options, '', '')], rules) + body;
  const controlId = messageControlId(draft.key, draft.revision, unstamped);
  const sentAt = formatHl7Timestamp(context.clock.now().getTime(), options.timeZone);
  const text = encodeMessage([header(draft.type, options, sentAt, controlId)], rules) + body;
  return {
    text,
    controlId,
    messageType: messageTypeText(draft.type, options),
    key: draft.key,
    charset: options.charset,
  };
}

/** The encoding rules the options ask for. */
export function encodingRules(options: Hl7CodecOptions): EncodingRules {
  return {
    delimiters: DEFAULT_DELIMITERS,
    charset: options.charset,
    unrepresentable: options.unrepresentable,
  };
}

function messageTypeText(type: Hl7MessageType, options: Hl7CodecOptions): string {
  const components = messageTypeComponents(type, options);
  return components.join(DEFAULT_DELIMITERS.component);
}

/** 2.3.1 has no message structure component (MSH-9.3 came with 2.4). */
function messageTypeComponents(type: Hl7MessageType, options: Hl7CodecOptions): string[] {
  return options.version === '2.3.1'
    ? [type.code, type.trigger]
    : [type.code, type.trigger, type.structure];
}

function header(
  type: Hl7MessageType,
  options: Hl7CodecOptions,
  sentAt: string,
  controlId: string,
): Hl7Segment {
  return segment('MSH', {
    3: options.sendingApplication,
    4: options.sendingFacility,
    5: options.receivingApplication,
    6: options.receivingFacility,
    7: sentAt,
    9: messageTypeComponents(type, options),
    10: controlId,
    11: options.processingId,
    12: options.version,
    15: options.acceptAcknowledgmentType ?? '',
    16: options.applicationAcknowledgmentType ?? '',
    18: options.charset,
  });
}
