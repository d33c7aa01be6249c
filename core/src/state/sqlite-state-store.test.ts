import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { DatabaseSync } from 'node:sqlite';
import { fileURLToPath } from 'node:url';
import { ErrorCode, StateError } from '../errors/errors.js';
import { SEEN_PRUNE_INTERVAL_MS } from './seen-expiry.js';
import { SCHEMA_VERSION } from './sqlite-schema.js';
import { SqliteStateStore } from './sqlite-state-store.js';
import {
  describeRecordStoreContract,
  describeStateStoreContract,
  ManualClock,
} from '../testing/index.js';

let root: string;
let fileCount = 0;

beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'pmsbridge-state-'));
});

afterAll(() => {
  rmSync(root, { recursive: true, force: true });
});

/** A database path not used before in this run. */
function freshPath(): string {
  fileCount += 1;
  return join(root, `db-${fileCount}`, 'state.sqlite');
}

/** Runs `read` on a second, raw connection to the file, as an operator's sqlite3 would. */
function inspect<T>(path: string, read: (db: DatabaseSync) => T): T {
  const db = new DatabaseSync(path);
  try {
    return read(db);
  } finally {
    db.close();
  }
}

function count(db: DatabaseSync, sql: string): number {
  const row = db.prepare(sql).get();
  return Number(row?.n);
}

describeStateStoreContract('SqliteStateStore on a file', (clock) =>
  SqliteStateStore.open(freshPath(), { clock }),
);

describeStateStoreContract('SqliteStateStore in memory', (clock) =>
  SqliteStateStore.open(':memory:', { clock }),
);

describeRecordStoreContract('SqliteStateStore on a file', (clock) =>
  SqliteStateStore.open(freshPath(), { clock }),
);

describe('SqliteStateStore', () => {
  it('creates parent directories, WAL mode and the current schema version', async () => {
    const path = join(root, 'deep', 'er', 'state.sqlite');
    const store = SqliteStateStore.open(path);
    await store.close();
    const pragmas = inspect(path, (db) => ({
      journal: db.prepare('PRAGMA journal_mode').get()?.journal_mode,
      version: db.prepare('PRAGMA user_version').get()?.user_version,
    }));
    expect(pragmas).toEqual({ journal: 'wal', version: SCHEMA_VERSION });
  });

  it('keeps everything across close and reopen', async () => {
    const path = freshPath();
    const clock = new ManualClock();
    const first = SqliteStateStore.open(path, { clock });
    await first.saveCheckpoint('p', 'full', {
      position: { page: 4 },
      sinkStates: {},
      updatedAt: 't',
    });
    await first.addDeadLetter({
      pipeline: 'p',
      key: 'k',
      stage: 's',
      reason: { code: 'PMS_SINK', message: 'no' },
      record: { id: 1 },
    });
    await first.markSeen('events', 'evt-1', 60_000);
    await first.setHashes('fhir', [['Slot/1', 'h1']]);
    await first.close();

    const second = SqliteStateStore.open(path, { clock });
    try {
      expect((await second.getCheckpoint('p', 'full'))?.position).toEqual({ page: 4 });
      expect(await second.listDeadLetters('p')).toMatchObject([{ key: 'k', attempts: 1 }]);
      expect(await second.markSeen('events', 'evt-1', 60_000)).toBe(false);
      expect(await second.getHashes('fhir', ['Slot/1'])).toEqual(new Map([['Slot/1', 'h1']]));
    } finally {
      await second.close();
    }
  });

  it('migrates a schema version 1 file to the current version, keeping its data', async () => {
    const path = freshPath();
    const before = SqliteStateStore.open(path);
    await before.saveCheckpoint('p', 'full', { position: 3, sinkStates: {}, updatedAt: 't' });
    await before.close();
    // Version 1 had every table but the leases and the records.
    inspect(path, (db) =>
      db.exec('DROP TABLE leases; DROP TABLE records; PRAGMA user_version = 1'),
    );

    const after = SqliteStateStore.open(path);
    try {
      expect(inspect(path, (db) => db.prepare('PRAGMA user_version').get()?.user_version)).toBe(
        SCHEMA_VERSION,
      );
      expect((await after.getCheckpoint('p', 'full'))?.position).toBe(3);
      expect(await after.acquireLease('p', 'run-a', 1_000)).toMatchObject({ owner: 'run-a' });
      expect(await after.createRecord('bookings', 'k', 'v')).toBe(true);
    } finally {
      await after.close();
    }
  });

  it('refuses a database written by a newer schema version', async () => {
    const path = freshPath();
    await SqliteStateStore.open(path).close();
    inspect(path, (db) => db.exec('PRAGMA user_version = 99'));
    expect(() => SqliteStateStore.open(path)).toThrow(/schema version 99/);
  });

  it('reports a file that is not a database as a StateError naming the path', () => {
    const path = join(root, 'not-a-database.sqlite');
    writeFileSync(path, 'this is a text file, not SQLite, and long enough to have a header');
    let caught: unknown;
    try {
      SqliteStateStore.open(path);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(StateError);
    expect((caught as StateError).code).toBe(ErrorCode.StateDamaged);
    expect((caught as StateError).message).toContain(path);
  });

  it('prunes expired seen ids once per interval of clock time', async () => {
    const path = freshPath();
    const clock = new ManualClock();
    const store = SqliteStateStore.open(path, { clock });
    try {
      for (let i = 0; i < 10; i += 1) await store.markSeen('events', `short-${i}`, 1_000);
      await store.markSeen('events', 'long', 10 * SEEN_PRUNE_INTERVAL_MS);
      clock.advance(SEEN_PRUNE_INTERVAL_MS - 1);
      await store.markSeen('events', 'a', 1_000);
      expect(inspect(path, (db) => count(db, 'SELECT count(*) AS n FROM seen_ids'))).toBe(12);

      clock.advance(1);
      await store.markSeen('events', 'b', 1_000);
      const ids = inspect(path, (db) =>
        db
          .prepare('SELECT id FROM seen_ids ORDER BY id')
          .all()
          .map((row) => row.id),
      );
      expect(ids).toEqual(['a', 'b', 'long']);
    } finally {
      await store.close();
    }
  });

  it('rolls back a whole hash batch when one row fails, and stays usable', async () => {
    const store = SqliteStateStore.open(':memory:');
    try {
      // A null hash breaks the NOT NULL constraint on the second row of the batch.
      const broken = [
        ['a', '1'],
        ['b', null],
        ['c', '3'],
      ] as unknown as ReadonlyArray<readonly [string, string]>;
      await expect(store.setHashes('fhir', broken)).rejects.toThrow(
        /Could not save 3 content hashes of namespace "fhir"/,
      );
      expect(await store.listHashKeys('fhir', '')).toEqual([]);
      await store.setHashes('fhir', [['a', '1']]);
      expect(await store.listHashKeys('fhir', '')).toEqual(['a']);
    } finally {
      await store.close();
    }
  });

  it('fails a write with a StateError when another connection holds the lock too long', async () => {
    const path = freshPath();
    const store = SqliteStateStore.open(path, { busyTimeoutMs: 20 });
    const other = new DatabaseSync(path);
    try {
      other.exec('BEGIN IMMEDIATE');
      await expect(
        store.saveCheckpoint('p', 'full', { position: 1, sinkStates: {}, updatedAt: 't' }),
      ).rejects.toThrow(/Could not save the checkpoint of pipeline "p" stream "full": .*locked/);
      other.exec('ROLLBACK');
      await store.saveCheckpoint('p', 'full', { position: 1, sinkStates: {}, updatedAt: 't' });
      expect((await store.getCheckpoint('p', 'full'))?.position).toBe(1);
    } finally {
      other.close();
      await store.close();
    }
  });
});

describe('SqliteStateStore leases shared by several stores on one file', () => {
  it('lets only one of two stores on the same file acquire, and hands over on expiry', async () => {
    const path = freshPath();
    const clockA = new ManualClock();
    const clockB = new ManualClock();
    const a = SqliteStateStore.open(path, { clock: clockA });
    const b = SqliteStateStore.open(path, { clock: clockB });
    try {
      const first = await Promise.all([
        a.acquireLease('providers', 'run-a', 30_000),
        b.acquireLease('providers', 'run-b', 30_000),
      ]);
      expect(first.map((lease) => lease?.owner)).toEqual(['run-a', undefined]);
      expect(await b.renewLease('providers', 'run-b', 30_000)).toBe(false);

      // Both clocks pass the expiry; of two stores trying to take it over, one wins.
      clockA.advance(30_000);
      clockB.advance(30_000);
      const second = await Promise.all([
        b.acquireLease('providers', 'run-c', 30_000),
        a.acquireLease('providers', 'run-d', 30_000),
      ]);
      expect(second.map((lease) => lease?.owner)).toEqual(['run-c', undefined]);
      expect(await a.renewLease('providers', 'run-a', 30_000)).toBe(false);
      expect(await a.renewLease('providers', 'run-c', 30_000)).toBe(true);
    } finally {
      await a.close();
      await b.close();
    }
  });

  it('lets exactly one of several processes racing for a free lease acquire it', async () => {
    const racer = fileURLToPath(new URL('./fixtures/lease-racer.mjs', import.meta.url));
    const path = freshPath();
    await SqliteStateStore.open(path).close();
    const env = { ...process.env };
    delete env.NODE_OPTIONS;
    const children = ['p1', 'p2', 'p3', 'p4'].map((owner) => {
      const child = spawn(process.execPath, [racer, path, owner], {
        env,
        stdio: ['pipe', 'pipe', 'inherit'],
      });
      const exited = new Promise((resolve) => child.once('exit', resolve));
      const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
      return { child, exited, lines };
    });
    try {
      // Start the race only once every process has the database open.
      for (const { lines } of children) expect((await lines.next()).value).toBe('ready');
      for (const { child } of children) child.stdin.write('go\n');
      const outcomes = await Promise.all(
        children.map(async ({ lines }) => {
          const line: unknown = (await lines.next()).value;
          return JSON.parse(String(line)) as { owner: string; acquired: boolean };
        }),
      );
      const winners = outcomes.filter((outcome) => outcome.acquired).map((o) => o.owner);
      expect(winners).toHaveLength(1);
      // Read the row once every process has closed the file (closing checkpoints the WAL).
      await Promise.all(children.map(({ exited }) => exited));
      const holder = inspect(path, (db) => db.prepare('SELECT owner FROM leases').all());
      expect(holder).toEqual([{ owner: winners[0] }]);
    } finally {
      for (const { child } of children) child.stdin.end();
      await Promise.all(children.map(({ exited }) => exited));
    }
  });
});

describe('SqliteStateStore after the writing process is killed', () => {
  const writer = fileURLToPath(new URL('./fixtures/crash-writer.mjs', import.meta.url));
  const batchSize = 200;

  /** Starts the writer, waits for `commits` more committed batches, then SIGKILLs it. */
  async function writeUntilKilled(path: string, commits: number): Promise<number> {
    const env = { ...process.env };
    delete env.NODE_OPTIONS;
    const child = spawn(process.execPath, [writer, path, String(batchSize)], {
      env,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    const stderr: string[] = [];
    child.stderr.on('data', (chunk: Buffer) => stderr.push(chunk.toString()));
    const exited = new Promise<NodeJS.Signals | null>((resolve) =>
      child.once('exit', (_code, signal) => resolve(signal)),
    );
    let seen = 0;
    let last = 0;
    for await (const line of createInterface({ input: child.stdout })) {
      const match = /^committed (\d+)$/.exec(line);
      if (match === null) continue;
      last = Number(match[1]);
      seen += 1;
      if (seen === commits) {
        child.kill('SIGKILL');
        break;
      }
    }
    const signal = await exited;
    if (signal !== 'SIGKILL')
      throw new Error(`writer ended without being killed: ${stderr.join('')}`);
    return last;
  }

  /** Reads the file after a crash and checks that it holds only whole transactions. */
  async function expectConsistent(path: string, observed: number): Promise<number> {
    const integrity = inspect(path, (db) => db.prepare('PRAGMA integrity_check').all());
    expect(integrity).toEqual([{ integrity_check: 'ok' }]);

    const store = SqliteStateStore.open(path);
    try {
      const checkpoint = await store.getCheckpoint('crash', 'stream');
      const batch = Number((checkpoint?.position as { batch?: number } | undefined)?.batch);
      expect(batch).toBeGreaterThanOrEqual(observed);
      expect(checkpoint?.sinkStates).toEqual({ fhir: { batch }, ndjson: { batch } });

      // Every committed batch has all its hashes; the batch after it has all or none; none later.
      const sizes = new Map<number, number>();
      for (const key of await store.listHashKeys('crash', 'batch-')) {
        const n = Number(key.slice('batch-'.length, key.indexOf('/')));
        sizes.set(n, (sizes.get(n) ?? 0) + 1);
      }
      for (let n = 1; n <= batch; n += 1) expect(sizes.get(n)).toBe(batchSize);
      expect([0, batchSize]).toContain(sizes.get(batch + 1) ?? 0);
      expect(Math.max(...sizes.keys())).toBeLessThanOrEqual(batch + 1);

      // The dead letter of each batch is written before its hashes and checkpoint.
      const letters = await store.listDeadLetters('crash');
      expect([batch, batch + 1]).toContain(letters.length);
      expect(letters.map((l) => l.key)).toEqual(
        Array.from({ length: letters.length }, (_, i) => `record-${i + 1}`),
      );
      if ((sizes.get(batch + 1) ?? 0) > 0) expect(letters).toHaveLength(batch + 1);
      return batch;
    } finally {
      await store.close();
    }
  }

  it('reopens with the committed batches whole and nothing half-written, crash after crash', async () => {
    const path = freshPath();
    let reached = 0;
    for (let round = 1; round <= 3; round += 1) {
      const observed = await writeUntilKilled(path, 15);
      expect(observed).toBeGreaterThan(reached);
      reached = await expectConsistent(path, observed);
    }
    expect(reached).toBeGreaterThanOrEqual(45);
  });
});
