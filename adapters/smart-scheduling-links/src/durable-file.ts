import { open, rename, rm, type FileHandle } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

/**
 * The calls through which a bulk publication puts bytes into files and makes them
 * durable. `write(2)` may write fewer bytes than asked — on a nearly full disk it writes
 * what fits and fails only on the next call — so `write` resolves with the count written,
 * and {@link appendAll} loops. The default is the disk; tests inject one that fills up
 * (`ENOSPC` after a short write, as a full disk does) or that records what a power loss
 * would keep.
 */
export interface FileWriter {
  /** Writes a prefix of `data` at the end of the file; resolves with its length in bytes. */
  write(handle: FileHandle, data: Uint8Array): Promise<number>;
  /** Flushes the file's data and length to disk (`fdatasync`: what reading it back needs). */
  sync(handle: FileHandle): Promise<void>;
  /**
   * Flushes a directory's entries to disk: a file created, renamed or removed in it is
   * only durable once its directory is.
   */
  syncDirectory(path: string): Promise<void>;
}

/** The {@link FileWriter} of the disk. */
export const diskFileWriter: FileWriter = {
  write: async (handle, data) => (await handle.write(data, 0, data.length)).bytesWritten,
  sync: (handle) => handle.datasync(),
  syncDirectory: async (path) => {
    const handle = await open(path, 'r');
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
  },
};

/**
 * Appends all of `data` (a short write is continued, not counted as done). Throws what the
 * writer throws; the file may then hold part of `data`, which the caller must not count.
 */
export async function appendAll(
  writer: FileWriter,
  handle: FileHandle,
  data: Uint8Array,
): Promise<void> {
  let rest = data;
  while (rest.length > 0) {
    const written = await writer.write(handle, rest);
    if (written <= 0 || written > rest.length) {
      throw Object.assign(new Error(`write made no progress (${written} bytes written)`), {
        code: 'EIO',
      });
    }
    rest = rest.subarray(written);
  }
}

/**
 * Replaces `path` with `data` atomically and durably: a temp file beside it is written,
 * flushed (`fdatasync`), renamed over `path`, and the directory is flushed. A reader sees
 * the old content or the new one, never a part, even after a crash or a full disk.
 */
export function replaceFileDurably(
  writer: FileWriter,
  path: string,
  data: string | Uint8Array,
): Promise<void> {
  return replaceFileDurablyWith(writer, path, (append) =>
    append(typeof data === 'string' ? Buffer.from(data) : data),
  );
}

/**
 * {@link replaceFileDurably} for content too large to hold at once: `fill` appends it in
 * blocks (each written in full before the next). On a failure the temp file is removed and
 * `path` is left as it was.
 */
export async function replaceFileDurablyWith(
  writer: FileWriter,
  path: string,
  fill: (append: (data: Uint8Array) => Promise<void>) => Promise<void>,
): Promise<void> {
  const temp = join(dirname(path), `.${basename(path)}.${process.pid}.tmp`);
  const handle = await open(temp, 'w');
  try {
    await fill((data) => appendAll(writer, handle, data));
    await writer.sync(handle);
  } catch (error) {
    await handle.close();
    await rm(temp, { force: true });
    throw error;
  }
  await handle.close();
  await rename(temp, path);
  await writer.syncDirectory(dirname(path));
}
