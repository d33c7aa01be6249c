import { createReadStream } from 'node:fs';
import { mkdir, open, readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { ErrorCode, PmsbridgeError } from '@pmsbridge/core';
import type { FileWriter } from './durable-file.js';

/** What to do when an interrupted run's files cannot be trusted, by default. */
export const RESUME_REMEDY =
  "so the interrupted run cannot be resumed. The published manifest is unchanged. Start the sync over from an empty checkpoint (a fresh state store, or remove this pipeline's checkpoint)";

/**
 * A run's files do not hold what its checkpoint says was written, so the run cannot be
 * resumed: acknowledged lines are missing or damaged, and the records that produced them
 * will not be sent again. Code `PMS_PUBLICATION_DAMAGED`; the message ends with what to do.
 */
export class RunFilesMismatchError extends PmsbridgeError {
  constructor(file: string, problem: string, remedy: string = RESUME_REMEDY) {
    super(ErrorCode.PublicationDamaged, `${file} ${problem}, ${remedy}`, { details: { file } });
  }
}

/** What the checked prefix of a file looked like. */
interface PrefixCheck {
  hasNul: boolean;
  /** Whether the prefix ends with `\n`. */
  endsWithNewline: boolean;
  /** The last complete line (without its `\n`). */
  lastLine: Buffer;
}

/** Reads bytes `[0, length)` of `path`: whether any is NUL, and how it ends. */
async function checkPrefix(path: string, length: number): Promise<PrefixCheck> {
  let hasNul = false;
  let current: Buffer = Buffer.alloc(0);
  let lastLine: Buffer = Buffer.alloc(0);
  for await (const chunk of createReadStream(path, {
    start: 0,
    end: length - 1,
    highWaterMark: 1 << 20,
  })) {
    const data = chunk as Buffer;
    if (data.includes(0)) hasNul = true;
    const newline = data.lastIndexOf(0x0a);
    if (newline < 0) {
      current = Buffer.concat([current, data]);
      continue;
    }
    const previous = newline === 0 ? -1 : data.lastIndexOf(0x0a, newline - 1);
    lastLine =
      previous >= 0
        ? data.subarray(previous + 1, newline)
        : Buffer.concat([current, data.subarray(0, newline)]);
    current = data.subarray(newline + 1);
  }
  return { hasNul, endsWithNewline: current.length === 0, lastLine };
}

function isResourceLine(line: Buffer, type: string): boolean {
  try {
    const parsed = JSON.parse(line.toString('utf8')) as { resourceType?: unknown } | null;
    return parsed?.resourceType === type;
  } catch {
    return false;
  }
}

/**
 * Checks one file against the length a checkpoint recorded, and cuts off what a failed
 * write left after it. Never pads: a file shorter than recorded is an error, as is a
 * recorded part with a NUL byte, or whose last line is not a complete resource of `type`.
 */
async function restoreFile(
  writer: FileWriter,
  outputDir: string,
  rel: string,
  length: number,
  type: string,
  remedy: string,
) {
  const path = join(outputDir, rel);
  const handle = await open(path, 'r+').catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT' && length === 0) return undefined;
    if (error.code === 'ENOENT') throw new RunFilesMismatchError(rel, 'is missing', remedy);
    throw error;
  });
  if (handle === undefined) return;
  try {
    const { size } = await handle.stat();
    if (size < length) {
      throw new RunFilesMismatchError(
        rel,
        `holds ${size} bytes where ${length} were recorded`,
        remedy,
      );
    }
    if (length > 0) {
      const { hasNul, endsWithNewline, lastLine } = await checkPrefix(path, length);
      if (hasNul) throw new RunFilesMismatchError(rel, 'holds NUL bytes', remedy);
      if (!endsWithNewline || !isResourceLine(lastLine, type)) {
        throw new RunFilesMismatchError(
          rel,
          `does not end in a complete ${type} line at the recorded length (${length} bytes)`,
          remedy,
        );
      }
    }
    if (size > length) {
      await handle.truncate(length);
      await writer.sync(handle);
    }
  } finally {
    await handle.close();
  }
}

/**
 * Brings a run's files back to exactly what a checkpoint recorded before a resumed run
 * appends to them: files the checkpoint does not name are removed, longer files are cut
 * to their recorded length (lines written after the last acknowledged batch), and each
 * recorded part is verified. Throws {@link RunFilesMismatchError} when a file cannot be
 * brought back, rather than trusting it; its message ends with `remedy`.
 */
export async function restoreRunFiles(
  writer: FileWriter,
  outputDir: string,
  runDir: string,
  files: Readonly<Record<string, number>>,
  typeOf: (rel: string) => string,
  remedy: string = RESUME_REMEDY,
): Promise<void> {
  await mkdir(join(outputDir, runDir), { recursive: true });
  const kept = new Set(Object.keys(files));
  for (const name of await readdir(join(outputDir, runDir))) {
    if (!kept.has(`${runDir}/${name}`))
      await rm(join(outputDir, runDir, name), { recursive: true, force: true });
  }
  for (const [rel, length] of Object.entries(files))
    await restoreFile(writer, outputDir, rel, length, typeOf(rel), remedy);
  await writer.syncDirectory(join(outputDir, runDir));
}
