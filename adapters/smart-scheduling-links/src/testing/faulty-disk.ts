import { readdir, rm, stat, truncate, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { diskFileWriter, type FileWriter } from '../durable-file.js';

function enospc(): Error {
  return Object.assign(new Error('ENOSPC: no space left on device, write'), {
    code: 'ENOSPC',
    errno: -28,
    syscall: 'write',
  });
}

/**
 * Test fixture: a {@link FileWriter} over the real disk that fills up and loses power.
 *
 * - Write call `failAt` (counted from 0) writes half of its bytes and reports a short
 *   write, as `write(2)` does when the disk fills; every later write fails with `ENOSPC`,
 *   as on a disk that stays full. `Infinity` never fails (and counts the calls).
 * - It records what `fsync` made durable — each file's length (by inode, so a renamed file
 *   keeps it) and each directory's entries — so that {@link FaultyDisk.losePower} can
 *   leave on disk only that, as a power cut would.
 */
export class FaultyDisk implements FileWriter {
  /** Write calls so far. */
  calls = 0;
  private readonly syncedLength = new Map<number, number>();
  private readonly syncedEntries = new Map<string, Set<string>>();

  constructor(private failAt = Infinity) {}

  /** Makes the disk fill up `writes` write calls from now. */
  fillAfter(writes: number): this {
    this.failAt = this.calls + writes;
    return this;
  }

  async write(handle: FileHandle, data: Uint8Array): Promise<number> {
    const call = this.calls++;
    if (call > this.failAt) throw enospc();
    if (call < this.failAt || data.length < 2) return diskFileWriter.write(handle, data);
    return diskFileWriter.write(handle, data.subarray(0, Math.floor(data.length / 2)));
  }

  async sync(handle: FileHandle): Promise<void> {
    await diskFileWriter.sync(handle);
    const info = await handle.stat();
    this.syncedLength.set(info.ino, info.size);
  }

  async syncDirectory(path: string): Promise<void> {
    await diskFileWriter.syncDirectory(path);
    this.syncedEntries.set(path, new Set(await readdir(path)));
  }

  /**
   * Cuts the power: under `root`, every file loses the bytes no `fsync` covered, and every
   * entry created since its directory was last flushed disappears (a directory never
   * flushed keeps its entries: it predates the run, as the output directory does).
   */
  async losePower(root: string): Promise<void> {
    for (const name of await readdir(root)) {
      const path = join(root, name);
      const entries = this.syncedEntries.get(root);
      if (entries !== undefined && !entries.has(name)) {
        await rm(path, { recursive: true, force: true });
        continue;
      }
      const info = await stat(path);
      if (info.isDirectory()) await this.losePower(path);
      else await truncate(path, Math.min(info.size, this.syncedLength.get(info.ino) ?? 0));
    }
  }
}
