import { access, mkdir, open, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { encodeBytes } from './codec/charset.js';
import { contentId } from './codec/control-id.js';
import { SEGMENT_TERMINATOR } from './codec/delimiters.js';
import { encodeSegment } from './codec/message-encoder.js';
import type { OutboundMessage } from './codec/outbound-message.js';
import { encodingRules } from './codec/outbound-message.js';
import { segment, type Hl7Segment } from './codec/segment.js';
import { formatHl7Timestamp } from './codec/timestamp.js';
import type { Hl7MessageOptions } from './messages/message-options.js';

/** Where the file mode writes its batch files. */
export interface Hl7BatchFileTarget {
  /** An existing or creatable directory; one `.hl7` file per run that has messages. */
  readonly outputDir: string;
}

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

/**
 * The text of a batch file: `FHS`, `BHS`, the messages as they are, `BTS` (message count),
 * `FTS` (batch count, 1). Segments are terminated by a carriage return, as in a message.
 * FHS-11/BHS-11 derive from the messages' control ids, so the same messages give the same ids.
 */
export function buildBatchFile(
  messages: readonly OutboundMessage[],
  {
    fileName,
    startedAt,
    options,
  }: { fileName: string; startedAt: Date; options: Hl7MessageOptions },
): string {
  const stamp = formatHl7Timestamp(startedAt.getTime(), options.timeZone);
  const batchId = contentId(messages.map((m) => m.controlId));
  const sender = {
    3: options.sendingApplication,
    4: options.sendingFacility,
    5: options.receivingApplication,
    6: options.receivingFacility,
    7: stamp,
  };
  const rules = encodingRules(options);
  const trailer = (name: 'BTS' | 'FTS', count: number) =>
    encodeSegment(segment(name, { 1: String(count) }), rules) + SEGMENT_TERMINATOR;
  return [
    headerSegment('FHS', { ...sender, 9: fileName, 11: batchId }, options) + SEGMENT_TERMINATOR,
    headerSegment('BHS', { ...sender, 11: batchId }, options) + SEGMENT_TERMINATOR,
    ...messages.map((m) => m.text),
    trailer('BTS', messages.length),
    trailer('FTS', 1),
  ].join('');
}

async function exists(path: string): Promise<boolean> {
  try {
    await access(path);
    return true;
  } catch {
    return false;
  }
}

/**
 * Writes a batch file atomically and durably: a temp file beside it (a dot file ending in
 * `.tmp`, which no `*.hl7` import picks up) is written, flushed, and renamed to
 * `<outputDir>/<base>.hl7` (`<base>-2.hl7`, … when a file of that name is already there, so a
 * file not yet imported is never replaced); then the directory is flushed. A crash leaves no
 * partial `.hl7` file. Returns the file's path.
 */
export async function writeBatchFile(
  target: Hl7BatchFileTarget,
  base: string,
  build: (fileName: string) => string,
  charset: Hl7MessageOptions['charset'],
): Promise<string> {
  const dir = target.outputDir;
  await mkdir(dir, { recursive: true });
  let fileName = `${base}.hl7`;
  for (let n = 2; await exists(join(dir, fileName)); n++) fileName = `${base}-${n}.hl7`;
  const path = join(dir, fileName);
  const temp = join(dir, `.${fileName}.${process.pid}.tmp`);
  const handle = await open(temp, 'w');
  try {
    // writeFile continues after a short write.
    await handle.writeFile(encodeBytes(build(fileName), charset));
    await handle.datasync();
  } catch (error) {
    await handle.close();
    await rm(temp, { force: true });
    throw error;
  }
  await handle.close();
  await rename(temp, path);
  const dirHandle = await open(dir, 'r');
  try {
    await dirHandle.sync();
  } finally {
    await dirHandle.close();
  }
  return path;
}
