import { existsSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import { DatabaseSync, type SQLInputValue, type StatementSync } from 'node:sqlite';
import { StateError } from '../errors/errors.js';
import { createDirectory, whyNotWritable } from '../files/writable-directory.js';
import { systemClock, type Clock } from '../ports/clock.js';
import type { ListedRecord, RecordStore, StoredRecord } from '../ports/record-store.js';
import type {
  Checkpoint,
  DeadLetter,
  DeadLetterInput,
  Lease,
  StateStore,
} from '../ports/state-store.js';
import { leaseExpiry } from './lease-expiry.js';
import { prefixUpperBound } from './prefix-range.js';
import { checkTtl, PruneSchedule } from './seen-expiry.js';
import {
  checkIntegrity,
  DamagedStateDatabaseError,
  DEFAULT_INTEGRITY_CHECK_MAX_BYTES,
  isDamagedDatabaseError,
} from './sqlite-integrity.js';
import { migrateSchema } from './sqlite-schema.js';
import { readInteger, readOptionalText, readText, type SqliteRow } from './sqlite-row.js';
import { decodeStoredJson, encodeStoredJson, messageOf } from './stored-json.js';

/** Options of {@link SqliteStateStore.open}. */
export interface SqliteStateStoreOptions {
  /** The time source for dead-letter timestamps, seen-id and lease expiry. Default: the system clock. */
  clock?: Clock;
  /** How long a write waits for another process's lock before failing. Default 5000 ms. */
  busyTimeoutMs?: number;
  /**
   * SQLite `synchronous` level. `normal` (default): in WAL mode a crash of the process never
   * loses or tears a commit, and a power loss can only drop the last few commits as a whole,
   * which rewinds the checkpoint and replays records the sinks handle idempotently. `full`
   * also syncs on every commit, for storage where even that rewind is unwanted.
   */
  synchronous?: 'normal' | 'full';
  /**
   * Whether a missing file is created (default). With `false`, opening a path where no state
   * database exists fails instead: for commands that only read or tidy existing state.
   */
  create?: boolean;
  /**
   * Files up to this size are checked whole (`PRAGMA quick_check`) when opened; larger ones
   * only in their checkpoint, lease and dead-letter tables, so that opening stays fast.
   * Default 256 MiB (about a second).
   */
  integrityCheckMaxBytes?: number;
}

const DEFAULT_BUSY_TIMEOUT_MS = 5_000;

/** JSON `sinkStates` must decode to a plain object. */
function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A path that names a file on disk, whose directory may need creating. */
function isFilePath(path: string): boolean {
  return path !== ':memory:' && path !== '' && !path.startsWith('file:');
}

/**
 * The embedded {@link StateStore}: one SQLite file through Node's built-in `node:sqlite`, in
 * WAL mode, with the schema versioned by `PRAGMA user_version`. Every write that touches
 * several rows runs in one `BEGIN IMMEDIATE` transaction, so a killed process leaves either
 * all of it or none. Calls are synchronous underneath; one store serves one process, and
 * several processes may share a file (writers wait up to `busyTimeoutMs` for each other).
 */
export class SqliteStateStore implements StateStore, RecordStore {
  readonly #statements = new Map<string, StatementSync>();
  readonly #pruneSchedule = new PruneSchedule();
  readonly #clock: Clock;
  #db: DatabaseSync | undefined;

  private constructor(db: DatabaseSync, clock: Clock) {
    this.#db = db;
    this.#clock = clock;
  }

  /**
   * Opens (creating it and its parent directories if needed, unless `create` is `false`) the
   * database at `path`, or an in-memory one for `':memory:'`, checks that an existing file is
   * not damaged, and brings its schema up to date.
   * @throws StateError when the file does not exist and `create` is `false`, cannot be
   *   created or opened, is damaged or not a SQLite database, or was written by a newer
   *   schema version.
   */
  static open(path: string, options: SqliteStateStoreOptions = {}): SqliteStateStore {
    const isFile = isFilePath(path);
    if (isFile && options.create === false && !existsSync(path)) {
      throw new StateError(
        `There is no state database at ${path}: nothing has run with this state.path yet. ` +
          'Check state.path in the config (relative paths start at the config file), or run ' +
          'pmsbridge sync first.',
        undefined,
        'PMS_STATE_MISSING',
      );
    }
    let db: DatabaseSync | undefined;
    try {
      if (isFile) createDirectory(dirname(path));
      // SQLite would only say "unable to open database file": say which directory and why.
      const unwritable = isFile && !existsSync(path) ? whyNotWritable(dirname(path)) : undefined;
      if (unwritable !== undefined) {
        throw new Error(`files cannot be created in ${dirname(path)} (${unwritable})`);
      }
      db = new DatabaseSync(path, {
        timeout: options.busyTimeoutMs ?? DEFAULT_BUSY_TIMEOUT_MS,
      });
      if (isFile) {
        const maxBytes = options.integrityCheckMaxBytes ?? DEFAULT_INTEGRITY_CHECK_MAX_BYTES;
        checkIntegrity(db, path, statSync(path).size, maxBytes);
      }
      db.exec('PRAGMA journal_mode = WAL');
      db.exec(`PRAGMA synchronous = ${options.synchronous === 'full' ? 'FULL' : 'NORMAL'}`);
      // Deleted and overwritten content is zeroed, not left in free space: records may have
      // held patient data (see scrub).
      db.exec('PRAGMA secure_delete = ON');
      migrateSchema(db);
      return new SqliteStateStore(db, options.clock ?? systemClock);
    } catch (error) {
      if (db?.isOpen === true) db.close();
      if (error instanceof DamagedStateDatabaseError) throw error;
      if (isDamagedDatabaseError(error)) {
        throw new DamagedStateDatabaseError(path, messageOf(error), error);
      }
      throw new StateError(
        `Could not open the state database at ${path}: ${messageOf(error)}. ` +
          'Check that state.path names a writable SQLite file in a directory that can be created.',
        error,
        'PMS_STATE_UNAVAILABLE',
      );
    }
  }

  async getCheckpoint(pipeline: string, stream: string): Promise<Checkpoint | undefined> {
    const what = `the checkpoint of pipeline "${pipeline}" stream "${stream}"`;
    return this.#use(`read ${what}`, () => {
      const row = this.#statement(
        'SELECT position, sink_states, updated_at FROM checkpoints WHERE pipeline = ? AND stream = ?',
      ).get(pipeline, stream);
      if (row === undefined) return undefined;
      const sinkStates = decodeStoredJson(readText(row, 'sink_states'), `${what} (sink states)`);
      if (!isRecord(sinkStates)) {
        throw new StateError(
          `The state store holds sink states that are not an object in ${what}`,
          undefined,
          'PMS_STATE_DAMAGED',
        );
      }
      return {
        position: decodeStoredJson(readOptionalText(row, 'position'), `${what} (position)`),
        sinkStates,
        updatedAt: readText(row, 'updated_at'),
      };
    });
  }

  async saveCheckpoint(pipeline: string, stream: string, checkpoint: Checkpoint): Promise<void> {
    const what = `the checkpoint of pipeline "${pipeline}" stream "${stream}"`;
    this.#use(`save ${what}`, () => {
      this.#statement(
        `INSERT INTO checkpoints (pipeline, stream, position, sink_states, updated_at)
         VALUES (?, ?, ?, ?, ?)
         ON CONFLICT (pipeline, stream) DO UPDATE SET
           position = excluded.position,
           sink_states = excluded.sink_states,
           updated_at = excluded.updated_at`,
      ).run(
        pipeline,
        stream,
        encodeStoredJson(checkpoint.position, `the position of ${what}`),
        encodeStoredJson(checkpoint.sinkStates, `the sink states of ${what}`),
        checkpoint.updatedAt,
      );
    });
  }

  async clearCheckpoint(pipeline: string, stream: string): Promise<void> {
    this.#use(`clear the checkpoint of pipeline "${pipeline}" stream "${stream}"`, () => {
      this.#statement('DELETE FROM checkpoints WHERE pipeline = ? AND stream = ?').run(
        pipeline,
        stream,
      );
    });
  }

  async addDeadLetter(input: DeadLetterInput): Promise<void> {
    const what = `the dead letter of pipeline "${input.pipeline}" key "${input.key}" stage "${input.stage}"`;
    this.#use(`add ${what}`, () => {
      const now = this.#clock.now().toISOString();
      this.#statement(
        `INSERT INTO dead_letters
           (pipeline, key, stage, reason, record, attempts, first_seen_at, last_seen_at)
         VALUES (?, ?, ?, ?, ?, 1, ?, ?)
         ON CONFLICT (pipeline, key, stage) DO UPDATE SET
           attempts = attempts + 1,
           reason = excluded.reason,
           record = excluded.record,
           last_seen_at = excluded.last_seen_at`,
      ).run(
        input.pipeline,
        input.key,
        input.stage,
        encodeStoredJson(input.reason, `the reason of ${what}`),
        encodeStoredJson(input.record, `the record of ${what}`),
        now,
        now,
      );
    });
  }

  async listDeadLetters(pipeline: string, options: { limit?: number } = {}): Promise<DeadLetter[]> {
    const limit = options.limit ?? -1;
    return this.#use(`list the dead letters of pipeline "${pipeline}"`, () => {
      if (options.limit !== undefined && !(Number.isInteger(limit) && limit > 0)) {
        throw new StateError(`The dead-letter limit must be a positive integer, got ${limit}`);
      }
      return this.#statement(
        `SELECT id, pipeline, key, stage, reason, record, attempts, first_seen_at, last_seen_at
         FROM dead_letters WHERE pipeline = ? ORDER BY id LIMIT ?`,
      )
        .all(pipeline, limit)
        .map((row) => toDeadLetter(row));
    });
  }

  async purgeDeadLetters(pipeline: string, ids?: readonly number[]): Promise<number> {
    return this.#use(`purge the dead letters of pipeline "${pipeline}"`, () => {
      const result =
        ids === undefined
          ? this.#statement('DELETE FROM dead_letters WHERE pipeline = ?').run(pipeline)
          : this.#statement(
              `DELETE FROM dead_letters
               WHERE pipeline = ? AND id IN (SELECT value FROM json_each(?))`,
            ).run(pipeline, JSON.stringify(ids));
      return Number(result.changes);
    });
  }

  async markSeen(namespace: string, id: string, ttlMs: number): Promise<boolean> {
    return this.#use(`record id "${id}" of namespace "${namespace}" as seen`, () => {
      checkTtl(ttlMs);
      const nowMs = this.#clock.now().getTime();
      if (this.#pruneSchedule.isDue(nowMs)) {
        this.#statement('DELETE FROM seen_ids WHERE expires_at <= ?').run(nowMs);
      }
      // Inserts a new id, or renews one whose time ran out; a live id is left as it is, and
      // `changes` tells the three cases apart in one atomic statement.
      const result = this.#statement(
        `INSERT INTO seen_ids (namespace, id, expires_at) VALUES (?, ?, ?)
         ON CONFLICT (namespace, id) DO UPDATE SET expires_at = excluded.expires_at
         WHERE seen_ids.expires_at <= ?`,
      ).run(namespace, id, nowMs + Math.ceil(ttlMs), nowMs);
      return Number(result.changes) > 0;
    });
  }

  async getHashes(namespace: string, keys: readonly string[]): Promise<Map<string, string>> {
    return this.#use(`read the content hashes of namespace "${namespace}"`, () => {
      const hashes = new Map<string, string>();
      if (keys.length === 0) return hashes;
      const rows = this.#statement(
        `SELECT key, hash FROM content_hashes
         WHERE namespace = ? AND key IN (SELECT value FROM json_each(?))`,
      ).all(namespace, JSON.stringify(keys));
      for (const row of rows) hashes.set(readText(row, 'key'), readText(row, 'hash'));
      return hashes;
    });
  }

  async setHashes(
    namespace: string,
    entries: ReadonlyArray<readonly [string, string]>,
  ): Promise<void> {
    this.#use(`save ${entries.length} content hashes of namespace "${namespace}"`, () => {
      if (entries.length === 0) return;
      const upsert = this.#statement(
        `INSERT INTO content_hashes (namespace, key, hash) VALUES (?, ?, ?)
         ON CONFLICT (namespace, key) DO UPDATE SET hash = excluded.hash`,
      );
      this.#transaction(() => {
        for (const [key, hash] of entries) upsert.run(namespace, key, hash);
      });
    });
  }

  async deleteHashes(namespace: string, keys: readonly string[]): Promise<void> {
    this.#use(`delete ${keys.length} content hashes of namespace "${namespace}"`, () => {
      if (keys.length === 0) return;
      this.#statement(
        `DELETE FROM content_hashes
         WHERE namespace = ? AND key IN (SELECT value FROM json_each(?))`,
      ).run(namespace, JSON.stringify(keys));
    });
  }

  async listHashKeys(namespace: string, prefix: string): Promise<string[]> {
    return this.#use(`list the content-hash keys of namespace "${namespace}"`, () => {
      const upper = prefixUpperBound(prefix);
      const params: SQLInputValue[] = [namespace, prefix];
      const bounded = upper === undefined ? '' : ' AND key < ?';
      if (upper !== undefined) params.push(upper);
      return this.#statement(
        `SELECT key FROM content_hashes WHERE namespace = ? AND key >= ?${bounded} ORDER BY key`,
      )
        .all(...params)
        .map((row) => readText(row, 'key'));
    });
  }

  async createRecord(namespace: string, key: string, value: string): Promise<boolean> {
    return this.#use(`create record "${key}" of namespace "${namespace}"`, () => {
      const result = this.#statement(
        `INSERT INTO records (namespace, key, value, version, updated_at) VALUES (?, ?, ?, 1, ?)
         ON CONFLICT (namespace, key) DO NOTHING`,
      ).run(namespace, key, value, this.#clock.now().toISOString());
      return Number(result.changes) > 0;
    });
  }

  async getRecord(namespace: string, key: string): Promise<StoredRecord | undefined> {
    return this.#use(`read record "${key}" of namespace "${namespace}"`, () => {
      const row = this.#statement(
        'SELECT value, version, updated_at FROM records WHERE namespace = ? AND key = ?',
      ).get(namespace, key);
      return row === undefined ? undefined : toStoredRecord(row);
    });
  }

  async updateRecord(
    namespace: string,
    key: string,
    value: string,
    expectedVersion: number,
  ): Promise<boolean> {
    return this.#use(`update record "${key}" of namespace "${namespace}"`, () => {
      const result = this.#statement(
        `UPDATE records SET value = ?, version = version + 1, updated_at = ?
         WHERE namespace = ? AND key = ? AND version = ?`,
      ).run(value, this.#clock.now().toISOString(), namespace, key, expectedVersion);
      return Number(result.changes) > 0;
    });
  }

  async deleteRecord(namespace: string, key: string): Promise<void> {
    this.#use(`delete record "${key}" of namespace "${namespace}"`, () => {
      this.#statement('DELETE FROM records WHERE namespace = ? AND key = ?').run(namespace, key);
    });
  }

  async listRecords(
    namespace: string,
    options: { prefix?: string; limit?: number } = {},
  ): Promise<ListedRecord[]> {
    return this.#use(`list the records of namespace "${namespace}"`, () => {
      const prefix = options.prefix ?? '';
      const upper = prefixUpperBound(prefix);
      const params: SQLInputValue[] = [namespace, prefix];
      const bounded = upper === undefined ? '' : ' AND key < ?';
      if (upper !== undefined) params.push(upper);
      params.push(options.limit ?? -1);
      return this.#statement(
        `SELECT key, value, version, updated_at FROM records
         WHERE namespace = ? AND key >= ?${bounded} ORDER BY key LIMIT ?`,
      )
        .all(...params)
        .map((row) => ({ key: readText(row, 'key'), ...toStoredRecord(row) }));
    });
  }

  /**
   * Makes what was deleted or overwritten unrecoverable from the files: with `secure_delete`
   * the database zeroes it, and this copies the write-ahead log into the database and
   * truncates it, so no older version of a page survives in the log.
   */
  async scrub(): Promise<void> {
    this.#use('scrub the write-ahead log', () => {
      this.#open().exec('PRAGMA wal_checkpoint(TRUNCATE)');
    });
  }

  async acquireLease(name: string, owner: string, ttlMs: number): Promise<Lease | undefined> {
    return this.#use(`acquire the lease "${name}"`, () => {
      const now = this.#clock.now();
      const { expiresAtMs, expiresAt } = leaseExpiry(now, ttlMs, 'acquireLease');
      // One statement under SQLite's write lock: it inserts a free lease, or takes over one
      // that is ours or has expired, and leaves another owner's live lease alone. Of several
      // processes calling at once, exactly one changes the row.
      const result = this.#statement(
        `INSERT INTO leases (name, owner, expires_at) VALUES (?, ?, ?)
         ON CONFLICT (name) DO UPDATE SET
           owner = excluded.owner,
           expires_at = excluded.expires_at
         WHERE leases.owner = excluded.owner OR leases.expires_at <= ?`,
      ).run(name, owner, expiresAtMs, now.getTime());
      return Number(result.changes) === 0 ? undefined : { name, owner, expiresAt };
    });
  }

  async renewLease(name: string, owner: string, ttlMs: number): Promise<boolean> {
    return this.#use(`renew the lease "${name}"`, () => {
      const { expiresAtMs } = leaseExpiry(this.#clock.now(), ttlMs, 'renewLease');
      const result = this.#statement(
        'UPDATE leases SET expires_at = ? WHERE name = ? AND owner = ?',
      ).run(expiresAtMs, name, owner);
      return Number(result.changes) > 0;
    });
  }

  async releaseLease(name: string, owner: string): Promise<void> {
    this.#use(`release the lease "${name}"`, () => {
      this.#statement('DELETE FROM leases WHERE name = ? AND owner = ?').run(name, owner);
    });
  }

  async readLease(name: string): Promise<Lease | undefined> {
    return this.#use(`read the lease "${name}"`, () => {
      const row = this.#statement('SELECT owner, expires_at FROM leases WHERE name = ?').get(
        name,
      ) as SqliteRow | undefined;
      if (row === undefined) return undefined;
      const expiresAt = new Date(readInteger(row, 'expires_at')).toISOString();
      return { name, owner: readText(row, 'owner'), expiresAt };
    });
  }

  /** Closes the database; later calls fail with a {@link StateError}. Closing twice is fine. */
  async close(): Promise<void> {
    const db = this.#db;
    if (db === undefined) return;
    this.#db = undefined;
    this.#statements.clear();
    try {
      // Lets SQLite refresh query-planner statistics the workload showed it needs; cheap.
      db.exec('PRAGMA optimize');
      db.close();
    } catch (error) {
      if (db.isOpen) db.close();
      throw new StateError(
        `Could not close the state database: ${messageOf(error)}`,
        error,
        'PMS_STATE_UNAVAILABLE',
      );
    }
  }

  /** Runs `work` on the open database, turning any failure into a StateError about `what`. */
  #use<T>(what: string, work: () => T): T {
    if (this.#db === undefined)
      throw new StateError(
        `Could not ${what}: the state store is closed`,
        undefined,
        'PMS_STATE_CLOSED',
      );
    try {
      return work();
    } catch (error) {
      if (error instanceof StateError) throw error;
      throw new StateError(
        `Could not ${what}: ${messageOf(error)}`,
        error,
        'PMS_STATE_UNAVAILABLE',
      );
    }
  }

  /** A prepared statement, prepared once per store and reused. */
  #statement(sql: string): StatementSync {
    const db = this.#open();
    let statement = this.#statements.get(sql);
    if (statement === undefined) {
      statement = db.prepare(sql);
      this.#statements.set(sql, statement);
    }
    return statement;
  }

  /** Runs `work` in a `BEGIN IMMEDIATE` transaction: commit on return, roll back on throw. */
  #transaction(work: () => void): void {
    const db = this.#open();
    db.exec('BEGIN IMMEDIATE');
    try {
      work();
      db.exec('COMMIT');
    } catch (error) {
      if (db.isTransaction) db.exec('ROLLBACK');
      throw error;
    }
  }

  #open(): DatabaseSync {
    if (this.#db === undefined) {
      throw new StateError('The state store is closed', undefined, 'PMS_STATE_CLOSED');
    }
    return this.#db;
  }
}

function toStoredRecord(row: SqliteRow): StoredRecord {
  return {
    value: readText(row, 'value'),
    version: readInteger(row, 'version'),
    updatedAt: readText(row, 'updated_at'),
  };
}

function toDeadLetter(row: SqliteRow): DeadLetter {
  const id = readInteger(row, 'id');
  const what = `dead letter ${id}`;
  const reason = decodeStoredJson(readText(row, 'reason'), `the reason of ${what}`);
  if (!isRecord(reason) || typeof reason.code !== 'string' || typeof reason.message !== 'string') {
    throw new StateError(
      `The state store holds a malformed reason in ${what}`,
      undefined,
      'PMS_STATE_DAMAGED',
    );
  }
  return {
    id,
    pipeline: readText(row, 'pipeline'),
    key: readText(row, 'key'),
    stage: readText(row, 'stage'),
    reason: { ...reason, code: reason.code, message: reason.message },
    record: decodeStoredJson(readOptionalText(row, 'record'), `the record of ${what}`),
    attempts: readInteger(row, 'attempts'),
    firstSeenAt: readText(row, 'first_seen_at'),
    lastSeenAt: readText(row, 'last_seen_at'),
  };
}
