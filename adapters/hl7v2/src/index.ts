/**
 * `@pmsbridge/adapter-hl7v2`: pmsbridge's providers and slots as HL7 v2 messages for
 * practice-management systems — the codec (encoding characters, escaping, charsets, control
 * ids, timestamps), the `MFN^M02` staff master file, the `SIU^S23`/`SIU^S24` slot messages and
 * acknowledgment parsing, the `SRM`/`SRR`/`SQM`/`SQR` booking messages — and the sink that
 * sends them over MLLP or writes them as batch files (`hl7v2Plugin`, the package's default
 * export). The booking partner is the `./booking` subpath.
 */
import { hl7v2Plugin } from './plugin.js';

export { hl7v2Plugin } from './plugin.js';
export {
  hl7BookingPlugin,
  Hl7BookingOptionsSchema,
  Hl7BookingPort,
  type Hl7BookingOptions,
  type Hl7BookingPortOptions,
  type Hl7BookingPortDeps,
  type Hl7Requester,
} from './booking/index.js';
export {
  Hl7v2Sink,
  type Hl7v2SinkOptions,
  type Hl7v2SinkDeps,
  type Hl7Transport,
  type Hl7FileResumeState,
} from './sink.js';
export { Hl7SinkOptionsSchema, HL7_SINK_MODES, type Hl7SinkOptions } from './sink-options.js';
export { batchHeader, batchTrailer, compactUtc, type BatchHeaderInput } from './batch-file.js';
export { BatchJournal, publishLeftovers, type PublishedBatch } from './batch-journal.js';
export {
  MllpClient,
  MllpError,
  type MllpClientOptions,
  type MllpClientDeps,
  type MllpFailure,
  type MllpTlsOptions,
} from './mllp/mllp-client.js';
export { FrameDecoder, frame, START_BLOCK, END_BLOCK } from './mllp/framing.js';
export type { Hl7CountType } from './sink-plan.js';

export default hl7v2Plugin;

export {
  Hl7CodecOptionsSchema,
  HL7_VERSIONS,
  ACKNOWLEDGMENT_CONDITIONS,
  type AcknowledgmentCondition,
  type Hl7CodecOptions,
  type Hl7Version,
} from './codec/codec-options.js';
export {
  HL7_CHARSETS,
  encodeBytes,
  decodeBytes,
  type Hl7Charset,
  type UnrepresentablePolicy,
} from './codec/charset.js';
export { DEFAULT_DELIMITERS, SEGMENT_TERMINATOR, type Hl7Delimiters } from './codec/delimiters.js';
export { escapeText, unescapeText } from './codec/escape.js';
export {
  segment,
  repeat,
  type Hl7Segment,
  type Hl7Field,
  type Hl7FieldValue,
  type Hl7Component,
  type Hl7Repetitions,
} from './codec/segment.js';
export { encodeMessage, encodeSegment, type EncodingRules } from './codec/message-encoder.js';
export {
  parseMessage,
  valueOf,
  repetitionCount,
  ParsedMessage,
  type ParsedSegment,
  type ValuePosition,
} from './codec/message-parser.js';
export { messageControlId, CONTROL_ID_LENGTH } from './codec/control-id.js';
export { formatHl7Timestamp, rfc3339ToHl7 } from './codec/timestamp.js';
export {
  assembleMessage,
  encodingRules,
  type CodecContext,
  type Hl7MessageType,
  type MessageDraft,
  type OutboundMessage,
} from './codec/outbound-message.js';
export {
  Hl7MessageOptionsSchema,
  type Hl7MessageOptions,
  type MessageContext,
  type CodedValue,
} from './messages/message-options.js';
export {
  buildStaffMasterFile,
  type StaffEntry,
  type StaffEvent,
} from './messages/staff-master-file.js';
export {
  buildSlotChange,
  buildSlotChanges,
  type SlotChange,
  type SlotChangeKind,
} from './messages/slot-schedule.js';
export {
  buildBookingRequest,
  buildCancellationRequest,
  type HeldBooking,
} from './messages/scheduling-request.js';
export {
  buildScheduleQuery,
  QUERY_ID_LENGTH,
  type BookingQuery,
} from './messages/schedule-query.js';
export {
  readBookingResponse,
  readScheduleQueryResponse,
  readCancellationResponse,
  SLOT_TAKEN_ERROR_CODE,
} from './messages/scheduling-response.js';
export {
  parseAck,
  parseReply,
  type Hl7Reply,
  ACK_CODES,
  type AckCode,
  type AckOutcome,
  type AckError,
  type Hl7Ack,
} from './messages/ack.js';
export {
  acknowledgmentRequestOf,
  applicationAckAfterCommit,
  asksForCommitAccept,
  buildCommitAccept,
  type AcknowledgmentRequest,
  type ApplicationAckExpectation,
  type CommitAcceptContext,
} from './messages/enhanced-ack.js';
export { NPI_ASSIGNING_AUTHORITY, NPI_IDENTIFIER_TYPE } from './messages/provider-fields.js';
