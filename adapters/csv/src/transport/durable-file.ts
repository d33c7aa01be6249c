import { open, rename, rm, truncate, stat, type FileHandle } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

/** Appends all of `data` to `handle` (a short write is continued, not counted as done). */
export async function appendAll(handle: FileHandle, data: Uint8Array): Promise<void> {
  let rest = data;
  while (rest.length > 0) {
    const { bytesWritten } = await handle.write(rest, 0, rest.length);
    if (bytesWritten <= 0) {
      throw Object.assign(new Error('write made no progress'), { code: 'EIO' });
    }
    rest = rest.subarray(bytesWritten);
  }
}

/** Flushes a directory's entries: a file created or renamed in it is durable only then. */
export async function syncDirectory(path: string): Promise<void> {
  const handle = await open(path, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/**
 * Replaces `path` with `data` atomically and durably: a temp file beside it is written,
 * flushed, renamed over `path`, and the directory is flushed.
 */
export async function replaceFileDurably(path: string, data: string): Promise<void> {
  const temp = join(dirname(path), `.${basename(path)}.${process.pid}.tmp`);
  const handle = await open(temp, 'w');
  try {
    await appendAll(handle, Buffer.from(data));
    await handle.datasync();
  } catch (error) {
    await handle.close();
    await rm(temp, { force: true });
    throw error;
  }
  await handle.close();
  await rename(temp, path);
  await syncDirectory(dirname(path));
}

/** The size of `path`, or undefined when it does not exist. */
export async function sizeOf(path: string): Promise<number | undefined> {
  try {
    return (await stat(path)).size;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

/**
 * Cuts `path` back to `length` bytes (what a checkpoint recorded). Returns false when the file
 * is missing or shorter: it does not hold what was recorded.
 */
export async function truncateTo(path: string, length: number): Promise<boolean> {
  const size = await sizeOf(path);
  if (size === undefined || size < length) return false;
  if (size > length) await truncate(path, length);
  return true;
}
