import { mkdir, open, rm, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { PmsbridgeError, ErrorCode } from '@pmsbridge/core';
import { TABLES, type TableName } from '../codec/tables.js';
import { appendAll, syncDirectory, truncateTo } from '../transport/durable-file.js';

/** Bytes written to each of a run's files. */
export type FileLengths = Record<TableName, number>;

/**
 * The files a run writes before they are published: one per table in a work directory beside
 * the published files (same file system, so publishing is a rename). Appends are durable when
 * {@link RunFiles.append} returns, so a length a checkpoint records is on disk.
 */
export class RunFiles {
  private readonly handles = new Map<TableName, FileHandle>();

  constructor(
    readonly dir: string,
    private readonly fileNames: Record<TableName, string>,
  ) {}

  pathOf(table: TableName): string {
    return join(this.dir, this.fileNames[table]);
  }

  /** Starts every file afresh with its opening bytes (byte order mark, header). */
  async create(openings: Record<TableName, Buffer>): Promise<FileLengths> {
    await rm(this.dir, { recursive: true, force: true });
    await mkdir(this.dir, { recursive: true });
    const lengths = {} as FileLengths;
    for (const table of TABLES) {
      const handle = await open(this.pathOf(table), 'w');
      try {
        await appendAll(handle, openings[table]);
        await handle.datasync();
      } finally {
        await handle.close();
      }
      lengths[table] = openings[table].length;
    }
    await syncDirectory(this.dir);
    return lengths;
  }

  /**
   * Cuts every file back to the recorded lengths (a failed write may have left bytes after
   * them). Throws when a file is missing or shorter: it does not hold what was recorded.
   */
  async restore(lengths: FileLengths, remedy: string): Promise<void> {
    for (const table of TABLES) {
      if (!(await truncateTo(this.pathOf(table), lengths[table]))) {
        throw new PmsbridgeError(
          ErrorCode.PublicationDamaged,
          `${this.pathOf(table)} is missing or shorter than the checkpoint recorded (${lengths[table]} bytes); ${remedy}`,
        );
      }
    }
  }

  /** Appends each table's bytes and flushes them; adds what was written to `lengths`. */
  async append(chunks: Partial<Record<TableName, Buffer>>, lengths: FileLengths): Promise<void> {
    const written: FileHandle[] = [];
    for (const table of TABLES) {
      const chunk = chunks[table];
      if (chunk === undefined || chunk.length === 0) continue;
      const handle = await this.handleFor(table);
      await appendAll(handle, chunk);
      written.push(handle);
    }
    await Promise.all(written.map((handle) => handle.datasync()));
    for (const table of TABLES) lengths[table] += chunks[table]?.length ?? 0;
  }

  private async handleFor(table: TableName): Promise<FileHandle> {
    let handle = this.handles.get(table);
    if (handle === undefined) {
      handle = await open(this.pathOf(table), 'a');
      this.handles.set(table, handle);
    }
    return handle;
  }

  async close(): Promise<void> {
    for (const handle of this.handles.values()) await handle.close();
    this.handles.clear();
  }
}
