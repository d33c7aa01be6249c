import { constants } from 'node:fs';
import { copyFile, link, open, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import type { FileWriter } from './durable-file.js';

/** Errors of `link(2)` that mean the file system cannot link there: the file is copied instead. */
const CANNOT_LINK = new Set(['EXDEV', 'EPERM', 'ENOTSUP', 'EOPNOTSUPP', 'EMLINK', 'ENOSYS']);

/**
 * Puts a published file, `source`, at `target` in a new run's directory without writing its
 * bytes: a hard link (the same inode, nothing written, nothing read). Where the file system
 * refuses one (another device, no hard links, too many links), a copy (a reflink where the
 * file system can), flushed to disk before it gets its name. Either way the caller flushes
 * `target`'s directory before a manifest names it. Neither file may be written afterwards:
 * they may be one inode.
 */
export async function reuseFile(
  writer: FileWriter,
  source: string,
  target: string,
): Promise<'linked' | 'copied'> {
  try {
    await link(source, target).catch(async (error: NodeJS.ErrnoException) => {
      if (error.code !== 'EEXIST') throw error;
      // Left by an interrupted publication of the same run: replaced.
      await rm(target, { force: true });
      await link(source, target);
    });
    return 'linked';
  } catch (error) {
    if (!CANNOT_LINK.has((error as NodeJS.ErrnoException).code ?? '')) throw error;
  }
  const temp = join(dirname(target), `.${basename(target)}.${process.pid}.copy`);
  try {
    await copyFile(source, temp, constants.COPYFILE_FICLONE);
    const handle = await open(temp, 'r+');
    try {
      await writer.sync(handle);
    } finally {
      await handle.close();
    }
    await rename(temp, target);
  } catch (error) {
    await rm(temp, { force: true });
    throw error;
  }
  return 'copied';
}
