import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { mkdtemp, open, rm } from 'node:fs/promises';
import { DatabaseSync } from 'node:sqlite';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { StateError } from '../errors/errors.js';
import { SqliteStateStore } from './sqlite-state-store.js';

/** The page number of a table's root page and the file's page size. */
function rootPage(path: string, table: string): { page: number; pageSize: number } {
  const db = new DatabaseSync(path, { readOnly: true });
  try {
    const row = db.prepare('SELECT rootpage FROM sqlite_schema WHERE name = ?').get(table);
    const size = db.prepare('PRAGMA page_size').get();
    return { page: Number(row?.rootpage), pageSize: Number(size?.page_size) };
  } finally {
    db.close();
  }
}

async function overwritePage(path: string, table: string): Promise<void> {
  const { page, pageSize } = rootPage(path, table);
  const handle = await open(path, 'r+');
  try {
    await handle.write(Buffer.alloc(pageSize, 0xa5), 0, pageSize, (page - 1) * pageSize);
  } finally {
    await handle.close();
  }
}

describe('SqliteStateStore integrity check on open', () => {
  let dir: string;
  let path: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'pmsbridge-integrity-'));
    path = join(dir, 'state.sqlite');
    const store = SqliteStateStore.open(path);
    await store.addDeadLetter({
      pipeline: 'p',
      key: 'PRV1',
      stage: 's',
      reason: { code: 'X', message: 'x' },
      record: { id: 'PRV1' },
    });
    const hashes = Array.from({ length: 2000 }, (_, i) => [`Slot/${i}`, `h${i}`] as const);
    await store.setHashes('fhir', hashes);
    await store.close();
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('opens an undamaged file', async () => {
    await SqliteStateStore.open(path, { create: false }).close();
  });

  it('refuses a file with a damaged table, naming the file and what to do', async () => {
    await overwritePage(path, 'content_hashes');
    expect(() => SqliteStateStore.open(path)).toThrow(StateError);
    expect(() => SqliteStateStore.open(path)).toThrow(
      new RegExp(`^The state database ${path} is damaged \\(.+\\)\\. Restore it from a backup`),
    );
  });

  it('checks only the essential tables of a file larger than integrityCheckMaxBytes', async () => {
    await overwritePage(path, 'content_hashes');
    await SqliteStateStore.open(path, { integrityCheckMaxBytes: 0 }).close();
    await overwritePage(path, 'dead_letters');
    expect(() => SqliteStateStore.open(path, { integrityCheckMaxBytes: 0 })).toThrow(/is damaged/);
  });

  it('with create: false, refuses a path where no file exists and creates nothing', () => {
    const missing = join(dir, 'nested', 'state.sqlite');
    expect(() => SqliteStateStore.open(missing, { create: false })).toThrow(
      `There is no state database at ${missing}`,
    );
    expect(() => SqliteStateStore.open(join(dir, 'nested', 'x.sqlite'))).not.toThrow();
  });
});
