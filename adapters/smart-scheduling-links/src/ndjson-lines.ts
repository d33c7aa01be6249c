import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';

/** Large files are read in chunks of this size; smaller ones in one chunk of their size. */
const MAX_CHUNK_BYTES = 1 << 20;
const MIN_CHUNK_BYTES = 1 << 12;

/** The lines of an NDJSON file as byte slices, without their newlines. */
export async function* ndjsonLines(path: string): AsyncGenerator<Buffer> {
  let rest: Buffer = Buffer.alloc(0);
  // A publication split by state and week has many small files: a 1 MiB buffer for each
  // would churn memory (and garbage collections) for nothing.
  const { size } = await stat(path);
  const highWaterMark = Math.min(MAX_CHUNK_BYTES, Math.max(MIN_CHUNK_BYTES, size));
  for await (const chunk of createReadStream(path, { highWaterMark })) {
    const data = rest.length === 0 ? (chunk as Buffer) : Buffer.concat([rest, chunk as Buffer]);
    let start = 0;
    for (let newline = data.indexOf(0x0a); newline >= 0; newline = data.indexOf(0x0a, start)) {
      yield data.subarray(start, newline);
      start = newline + 1;
    }
    rest = data.subarray(start);
  }
  if (rest.length > 0) yield rest;
}

const SLOT_PREFIX = Buffer.from('{"resourceType":"Slot"');
const SCHEDULE_REFERENCE_KEY = Buffer.from('"schedule":{"reference":"');
const SCHEDULE_PATH = Buffer.from('Schedule/');
const END_KEY = Buffer.from('"end":"');

/** What the carry-forward needs from a Slot line. */
export interface SlotLine {
  /** The provider id in the schedule reference. */
  owner: string;
  /** The local date of `end` (`YYYY-MM-DD`). */
  endDate: string;
  /** `end` as epoch milliseconds (parsed on demand). */
  endMs(): number;
}

/**
 * Reads a Slot line as this package writes it (type first, then the schedule reference,
 * then `end`) straight from its bytes: the carry-forward runs this once per published slot,
 * and decoding and parsing each line would dominate it. `undefined` for any other line.
 */
export function readSlotLine(line: Buffer): SlotLine | undefined {
  if (!line.subarray(0, SLOT_PREFIX.length).equals(SLOT_PREFIX)) return undefined;
  const referenceAt = line.indexOf(SCHEDULE_REFERENCE_KEY);
  if (referenceAt < 0) return undefined;
  const referenceEnd = line.indexOf(0x22, referenceAt + SCHEDULE_REFERENCE_KEY.length);
  const idAt = line.lastIndexOf(SCHEDULE_PATH, referenceEnd);
  if (referenceEnd < 0 || idAt < referenceAt) return undefined;
  const idStart = idAt + SCHEDULE_PATH.length;
  const dash = line.indexOf(0x2d, idStart);
  const owner = line.toString(
    'latin1',
    idStart,
    dash < 0 || dash > referenceEnd ? referenceEnd : dash,
  );
  const endAt = line.indexOf(END_KEY, referenceEnd);
  if (endAt < 0) return undefined;
  const endStart = endAt + END_KEY.length;
  return {
    owner,
    endDate: line.toString('latin1', endStart, endStart + 10),
    endMs: () => Date.parse(line.toString('latin1', endStart, line.indexOf(0x22, endStart))),
  };
}

const LOCATION_ID_PATTERN = /^\{"resourceType":"Location","id":"([^"]+)"/;

/** The id of a Location line as this package writes it (type, then id); else `undefined`. */
export function readLocationId(line: Buffer): string | undefined {
  return LOCATION_ID_PATTERN.exec(line.toString('utf8'))?.[1];
}
