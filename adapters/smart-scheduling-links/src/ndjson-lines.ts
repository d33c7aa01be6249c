import { createReadStream } from 'node:fs';
import { open, stat } from 'node:fs/promises';

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
 * then `end`) straight from its bytes — `data[start, end)`, the whole buffer by default:
 * the carry-forward runs this once per published slot, and decoding and parsing each line
 * would dominate it. `undefined` for any other line.
 */
export function readSlotLine(data: Buffer, start = 0, end = data.length): SlotLine | undefined {
  if (
    end - start < SLOT_PREFIX.length ||
    data.compare(SLOT_PREFIX, 0, SLOT_PREFIX.length, start, start + SLOT_PREFIX.length) !== 0
  )
    return undefined;
  const referenceAt = data.indexOf(SCHEDULE_REFERENCE_KEY, start);
  if (referenceAt < 0 || referenceAt >= end) return undefined;
  const referenceEnd = data.indexOf(0x22, referenceAt + SCHEDULE_REFERENCE_KEY.length);
  if (referenceEnd < 0 || referenceEnd >= end) return undefined;
  const idAt = data.lastIndexOf(SCHEDULE_PATH, referenceEnd);
  if (idAt < referenceAt) return undefined;
  const idStart = idAt + SCHEDULE_PATH.length;
  const dash = data.indexOf(0x2d, idStart);
  const owner = data.toString(
    'latin1',
    idStart,
    dash < 0 || dash > referenceEnd ? referenceEnd : dash,
  );
  const endAt = data.indexOf(END_KEY, referenceEnd);
  if (endAt < 0 || endAt >= end) return undefined;
  const endStart = endAt + END_KEY.length;
  return {
    owner,
    endDate: data.toString('latin1', endStart, endStart + 10),
    endMs: () => Date.parse(data.toString('latin1', endStart, data.indexOf(0x22, endStart))),
  };
}

const HEAD_PATTERN = /^\{"resourceType":"([A-Za-z]+)","id":"([^"]+)"/;
/** Enough of a line for its type and id (an id has at most 64 characters). */
const HEAD_BYTES = 128;

/**
 * The type and id of a resource line as this package writes it (type, then id) from the
 * line `data[start, end)`, without parsing the rest; else `undefined`.
 */
export function readResourceHead(
  data: Buffer,
  start = 0,
  end = data.length,
): { type: string; id: string } | undefined {
  const match = HEAD_PATTERN.exec(
    data.toString('latin1', start, Math.min(end, start + HEAD_BYTES)),
  );
  return match === null ? undefined : { type: match[1] ?? '', id: match[2] ?? '' };
}

/** The id of a Location line as this package writes it (type, then id); else `undefined`. */
export function readLocationId(line: Buffer): string | undefined {
  const head = readResourceHead(line);
  return head?.type === 'Location' ? head.id : undefined;
}

/** Lines are appended in blocks of about this size. */
const BLOCK_BYTES = 1 << 20;
const NEWLINE = Buffer.from('\n');

/**
 * Appends `lines`, each followed by a newline, through `append` in blocks of about 1 MiB
 * (one call per block, each awaited before the next). Returns what was appended.
 */
export async function appendLines(
  lines: AsyncIterable<Buffer>,
  append: (block: Buffer) => Promise<void>,
): Promise<{ bytes: number; lines: number }> {
  let block: Buffer[] = [];
  let blockBytes = 0;
  const total = { bytes: 0, lines: 0 };
  const flush = async () => {
    await append(Buffer.concat(block, blockBytes));
    total.bytes += blockBytes;
    block = [];
    blockBytes = 0;
  };
  for await (const line of lines) {
    block.push(line, NEWLINE);
    blockBytes += line.length + 1;
    total.lines += 1;
    if (blockBytes >= BLOCK_BYTES) await flush();
  }
  if (blockBytes > 0) await flush();
  return total;
}

/**
 * The buffers {@link appendKeptLines} reads into and copies kept lines into: one pair can
 * serve file after file (not two files at once).
 */
export class LineBuffers {
  input = Buffer.allocUnsafe(BLOCK_BYTES);
  readonly output = Buffer.allocUnsafe(BLOCK_BYTES);
}

/**
 * Appends the lines of an NDJSON file that `keep` keeps (`keep(data, start, end)` sees the
 * line `data[start, end)`, without its newline) through `append`, each with its newline, in
 * blocks of about 1 MiB; each block is appended before the next is read. A carry-forward
 * reads most of a publication's bytes through this: lines are read into one buffer and kept
 * lines copied into another, both reused across files (`buffers`), rather than a Buffer per
 * line or per chunk, whose garbage would cost more than the copying. Empty lines are
 * dropped. Returns the bytes appended.
 */
export async function appendKeptLines(
  path: string,
  keep: (data: Buffer, start: number, end: number) => boolean,
  append: (block: Buffer) => Promise<void>,
  buffers: LineBuffers = new LineBuffers(),
): Promise<number> {
  const out = buffers.output;
  let outLength = 0;
  let appended = 0;
  const flush = async () => {
    if (outLength === 0) return;
    await append(out.subarray(0, outLength));
    appended += outLength;
    outLength = 0;
  };
  const copy = async (data: Buffer, from: number, to: number) => {
    while (from < to) {
      const n = Math.min(to - from, out.length - outLength);
      data.copy(out, outLength, from, from + n);
      outLength += n;
      from += n;
      if (outLength === out.length) await flush();
    }
  };
  const input = await open(path, 'r');
  try {
    let buffer = buffers.input;
    /** Bytes of `buffer` read and not yet decided: the start of a line, and what follows. */
    let filled = 0;
    for (;;) {
      // A line longer than the buffer: a bigger one.
      if (filled === buffer.length) {
        const bigger = Buffer.allocUnsafe(buffer.length * 2);
        buffer.copy(bigger, 0, 0, filled);
        buffer = buffers.input = bigger;
      }
      const { bytesRead } = await input.read(buffer, filled, buffer.length - filled, null);
      filled += bytesRead;
      const data = buffer.subarray(0, filled);
      if (bytesRead === 0) {
        // The last line has no newline.
        if (filled > 0 && keep(data, 0, filled)) {
          await copy(data, 0, filled);
          await copy(NEWLINE, 0, 1);
        }
        break;
      }
      /** Start of the run of kept lines not yet copied. */
      let run = 0;
      let start = 0;
      for (let newline = data.indexOf(0x0a); newline >= 0; newline = data.indexOf(0x0a, start)) {
        if (newline === start || !keep(data, start, newline)) {
          await copy(data, run, start);
          run = newline + 1;
        }
        start = newline + 1;
      }
      await copy(data, run, start);
      buffer.copyWithin(0, start, filled);
      filled -= start;
    }
    await flush();
  } finally {
    await input.close();
  }
  return appended;
}
