import { encodeSegment } from './codec/message-encoder.js';
import { SEGMENT_TERMINATOR } from './codec/delimiters.js';
import { encodingRules } from './codec/outbound-message.js';
import { segment, type Hl7Segment } from './codec/segment.js';
import { formatHl7Timestamp } from './codec/timestamp.js';
import type { Hl7MessageOptions } from './messages/message-options.js';

/** `2026-03-02T15:04:05.123Z` → `20260302T150405Z`: the run start in a file name. */
export function compactUtc(at: Date): string {
  return at
    .toISOString()
    .replace(/\.\d{3}Z$/, 'Z')
    .replaceAll(/[-:]/g, '');
}

/**
 * A header segment (`FHS`, `BHS`) written the way MSH is: field 1 the field separator itself,
 * field 2 the encoding characters.
 */
function headerSegment(
  name: 'FHS' | 'BHS',
  fields: Hl7Segment['fields'],
  options: Hl7MessageOptions,
): string {
  return name + encodeSegment(segment('MSH', fields), encodingRules(options)).slice(3);
}

/** What the header of a batch file names. */
export interface BatchHeaderInput {
  /** FHS-9, the file's own name. */
  readonly fileName: string;
  /** FHS-7/BHS-7: when the run started. */
  readonly startedAt: Date;
  /** FHS-11/BHS-11: the batch control id. */
  readonly batchId: string;
  readonly options: Hl7MessageOptions;
}

/**
 * The `FHS` and `BHS` segments that open a batch file, sender and receiver as in MSH-3..6.
 * Segments are terminated by a carriage return, as in a message.
 */
export function batchHeader({ fileName, startedAt, batchId, options }: BatchHeaderInput): string {
  const sender = {
    3: options.sendingApplication,
    4: options.sendingFacility,
    5: options.receivingApplication,
    6: options.receivingFacility,
    7: formatHl7Timestamp(startedAt.getTime(), options.timeZone),
  };
  return (
    headerSegment('FHS', { ...sender, 9: fileName, 11: batchId }, options) +
    SEGMENT_TERMINATOR +
    headerSegment('BHS', { ...sender, 11: batchId }, options) +
    SEGMENT_TERMINATOR
  );
}

/** The `BTS` (message count) and `FTS` (batch count, 1) segments that close a batch file. */
export function batchTrailer(messageCount: number, options: Hl7MessageOptions): string {
  const rules = encodingRules(options);
  const trailer = (name: 'BTS' | 'FTS', count: number) =>
    encodeSegment(segment(name, { 1: String(count) }), rules) + SEGMENT_TERMINATOR;
  return trailer('BTS', messageCount) + trailer('FTS', 1);
}
