/**
 * `@pmsbridge/test-hl7-peer`: a practice-management system for tests — an MLLP listener that
 * parses every HL7 v2 message it receives with `@medplum/core`, keeps them, and answers `AA`,
 * `AE`, `AR`, late, or not at all, by rule, or in enhanced acknowledgment mode (`CA` then the
 * application acknowledgment; `CE`, `CR`) — and books, cancels and looks up appointments
 * (`SRM^S01`, `SRM^S04`, `SQM^S25`) as a filler application.
 */
export {
  startHl7Peer,
  type Hl7Peer,
  type Hl7PeerOptions,
  type ReceivedMessage,
  type ReceivedAck,
} from './hl7-peer.js';
export {
  AppointmentBook,
  type PeerBooking,
  type AppointmentRequest,
  type BookOutcome,
} from './appointment-book.js';
export { answerScheduling, schedulingEventOf, SLOT_TAKEN_ERROR } from './scheduling-replies.js';
export {
  RuleBook,
  DEFAULT_RULE_TEXT,
  type PeerRule,
  type PeerAction,
  type PeerDecision,
  type RuleInput,
} from './reply-rules.js';
