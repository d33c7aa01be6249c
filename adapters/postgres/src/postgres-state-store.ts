import {
  formatIssues,
  StateError,
  systemClock,
  type Checkpoint,
  type Clock,
  type DeadLetter,
  type DeadLetterInput,
  type Lease,
  type ListedRecord,
  type Logger,
  type RecordStore,
  type StateStore,
  type StoredRecord,
  checkTtl,
  decodeStoredJson,
  encodeStoredJson,
  leaseExpiry,
  prefixUpperBound,
} from '@pmsbridge/core';
import pg from 'pg';
import { describeTarget } from './connection-target.js';
import { PostgresStateOptionsSchema, type PostgresStateOptionsInput } from './options.js';
import { describeFailure, toStateError } from './postgres-errors.js';
import { readInteger, readOptionalText, readText, type Row } from './row.js';
import { migrateSchema } from './schema.js';

/** Options of {@link PostgresStateStore.open}: the config's options, and what the runtime hands in. */
export interface PostgresStateStoreOptions extends PostgresStateOptionsInput {
  /** The time source for dead-letter timestamps, seen-id and lease expiry. Default: the system clock. */
  clock?: Clock;
  /** Where a pooled connection that fails while idle is reported. Default: nowhere. */
  logger?: Logger;
  /**
   * Whether a database with no store in it is set up (default). With `false`, opening fails
   * instead: for commands that only read or tidy existing state.
   */
  create?: boolean;
}

/** A table in a statement as written here: `{checkpoints}`, qualified when run. */
const TABLE_PLACEHOLDER = /\{(checkpoints|dead_letters|seen_ids|content_hashes|leases|records)\}/g;

/** How often, in clock time, `markSeen` also deletes the seen ids that have expired. */
const SEEN_PRUNE_INTERVAL_MS = 60_000;

/** JSON `sinkStates` and reasons must decode to a plain object. */
function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The password in a connection string, to keep out of messages ('' when there is none). */
function secretOf(connectionString: string): string {
  try {
    return decodeURIComponent(new URL(connectionString).password);
  } catch {
    return '';
  }
}

/**
 * The {@link StateStore} for many processes on many machines: one PostgreSQL database,
 * through a `pg` connection pool, with records ({@link RecordStore}) as the SQLite store
 * keeps them. The schema is migrated on open, in one transaction under an advisory lock;
 * every call is one statement (so one transaction), and the statements that decide
 * (`acquireLease`, `markSeen`, `createRecord`, `updateRecord`) are single statements whose
 * condition PostgreSQL evaluates on the locked row, so of several processes exactly one wins.
 */
export class PostgresStateStore implements StateStore, RecordStore {
  readonly #pool: pg.Pool;
  readonly #clock: Clock;
  readonly #target: string;
  readonly #secret: string;
  readonly #schema: string;
  /** Statement texts with their tables qualified, by the text as written. */
  readonly #qualified = new Map<string, string>();
  #lastPruneMs = Number.NEGATIVE_INFINITY;
  #closed = false;

  private constructor(pool: pg.Pool, schema: string, clock: Clock, target: string, secret: string) {
    this.#pool = pool;
    this.#schema = schema;
    this.#clock = clock;
    this.#target = target;
    this.#secret = secret;
  }

  /**
   * Connects to the database `connectionString` names, checks it, and creates or migrates the
   * store's tables in `schema` (default `pmsbridge`).
   * @throws StateError when the options are invalid, the database cannot be reached or
   *   refuses the user (`PMS_STATE_UNAVAILABLE`, naming the problem, never the password), has
   *   no store and `create` is `false` (`PMS_STATE_MISSING`), or holds a newer schema version
   *   (`PMS_STATE_VERSION_NEWER`).
   */
  static async open(options: PostgresStateStoreOptions): Promise<PostgresStateStore> {
    const { clock = systemClock, logger, create = true, ...config } = options;
    const parsed = PostgresStateOptionsSchema.safeParse(config);
    if (!parsed.success) {
      throw new StateError(
        `Invalid PostgreSQL state store options: ${formatIssues(parsed.error.issues)}`,
      );
    }
    const { connectionString, schema, poolSize, connectTimeoutMs } = parsed.data;
    const target = describeTarget(connectionString);
    const secret = secretOf(connectionString);
    const pool = new pg.Pool({
      connectionString,
      max: poolSize,
      connectionTimeoutMillis: connectTimeoutMs,
      application_name: 'pmsbridge',
    });
    // Without a listener, a pooled connection that the server drops while idle would crash
    // the process; the pool replaces it, and the next call reports a server that is gone.
    pool.on('error', (error) => {
      logger?.warn('a pooled state database connection failed while idle', {
        target,
        problem: describeFailure(error, secret),
      });
    });
    try {
      const client = await pool.connect();
      try {
        await checkEncoding(client, target);
        await migrateSchema(client, schema, target, create);
      } finally {
        client.release();
      }
      return new PostgresStateStore(pool, schema, clock, target, secret);
    } catch (error) {
      await pool.end().catch(() => undefined);
      throw toStateError('open the state store', target, error, secret);
    }
  }

  async getCheckpoint(pipeline: string, stream: string): Promise<Checkpoint | undefined> {
    const what = `the checkpoint of pipeline "${pipeline}" stream "${stream}"`;
    return this.#use(`read ${what}`, async () => {
      const [row] = await this.#rows(
        'SELECT position, sink_states, updated_at FROM {checkpoints} WHERE pipeline = $1 AND stream = $2',
        [pipeline, stream],
      );
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
    await this.#use(`save ${what}`, () =>
      this.#run(
        `INSERT INTO {checkpoints} (pipeline, stream, position, sink_states, updated_at)
         VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (pipeline, stream) DO UPDATE SET
           position = excluded.position,
           sink_states = excluded.sink_states,
           updated_at = excluded.updated_at`,
        [
          pipeline,
          stream,
          encodeStoredJson(checkpoint.position, `the position of ${what}`),
          encodeStoredJson(checkpoint.sinkStates, `the sink states of ${what}`),
          checkpoint.updatedAt,
        ],
      ),
    );
  }

  async clearCheckpoint(pipeline: string, stream: string): Promise<void> {
    await this.#use(`clear the checkpoint of pipeline "${pipeline}" stream "${stream}"`, () =>
      this.#run('DELETE FROM {checkpoints} WHERE pipeline = $1 AND stream = $2', [
        pipeline,
        stream,
      ]),
    );
  }

  async addDeadLetter(input: DeadLetterInput): Promise<void> {
    const what = `the dead letter of pipeline "${input.pipeline}" key "${input.key}" stage "${input.stage}"`;
    await this.#use(`add ${what}`, () =>
      this.#run(
        `INSERT INTO {dead_letters} AS existing
           (pipeline, key, stage, reason, record, attempts, first_seen_at, last_seen_at)
         VALUES ($1, $2, $3, $4, $5, 1, $6, $6)
         ON CONFLICT (pipeline, key, stage) DO UPDATE SET
           attempts = existing.attempts + 1,
           reason = excluded.reason,
           record = excluded.record,
           last_seen_at = excluded.last_seen_at`,
        [
          input.pipeline,
          input.key,
          input.stage,
          encodeStoredJson(input.reason, `the reason of ${what}`),
          encodeStoredJson(input.record, `the record of ${what}`),
          this.#clock.now().toISOString(),
        ],
      ),
    );
  }

  async listDeadLetters(pipeline: string, options: { limit?: number } = {}): Promise<DeadLetter[]> {
    const { limit } = options;
    return this.#use(`list the dead letters of pipeline "${pipeline}"`, async () => {
      if (limit !== undefined && !(Number.isInteger(limit) && limit > 0)) {
        throw new StateError(`The dead-letter limit must be a positive integer, got ${limit}`);
      }
      const rows = await this.#rows(
        `SELECT id, pipeline, key, stage, reason, record, attempts, first_seen_at, last_seen_at
         FROM {dead_letters} WHERE pipeline = $1 ORDER BY id LIMIT $2`,
        [pipeline, limit ?? null],
      );
      return rows.map((row) => toDeadLetter(row));
    });
  }

  async purgeDeadLetters(pipeline: string, ids?: readonly number[]): Promise<number> {
    return this.#use(`purge the dead letters of pipeline "${pipeline}"`, async () => {
      if (ids === undefined) {
        return this.#run('DELETE FROM {dead_letters} WHERE pipeline = $1', [pipeline]);
      }
      // Ids that are not integers name no dead letter, as in the other stores.
      const wanted = ids.filter((id) => Number.isSafeInteger(id));
      if (wanted.length === 0) return 0;
      return this.#run(
        'DELETE FROM {dead_letters} WHERE pipeline = $1 AND id = ANY($2::bigint[])',
        [pipeline, wanted],
      );
    });
  }

  async markSeen(namespace: string, id: string, ttlMs: number): Promise<boolean> {
    return this.#use(`record id "${id}" of namespace "${namespace}" as seen`, async () => {
      checkTtl(ttlMs, 'markSeen');
      const nowMs = this.#clock.now().getTime();
      if (nowMs - this.#lastPruneMs >= SEEN_PRUNE_INTERVAL_MS) {
        this.#lastPruneMs = nowMs;
        await this.#run('DELETE FROM {seen_ids} WHERE expires_at <= $1', [nowMs]);
      }
      // Inserts a new id, or renews one whose time ran out; a live id is left as it is. The
      // row count tells the cases apart in one atomic statement.
      const changed = await this.#run(
        `INSERT INTO {seen_ids} AS existing (namespace, id, expires_at) VALUES ($1, $2, $3)
         ON CONFLICT (namespace, id) DO UPDATE SET expires_at = excluded.expires_at
         WHERE existing.expires_at <= $4`,
        [namespace, id, nowMs + Math.ceil(ttlMs), nowMs],
      );
      return changed > 0;
    });
  }

  async getHashes(namespace: string, keys: readonly string[]): Promise<Map<string, string>> {
    return this.#use(`read the content hashes of namespace "${namespace}"`, async () => {
      const hashes = new Map<string, string>();
      if (keys.length === 0) return hashes;
      const rows = await this.#rows(
        'SELECT key, hash FROM {content_hashes} WHERE namespace = $1 AND key = ANY($2::text[])',
        [namespace, keys],
      );
      for (const row of rows) hashes.set(readText(row, 'key'), readText(row, 'hash'));
      return hashes;
    });
  }

  async setHashes(
    namespace: string,
    entries: ReadonlyArray<readonly [string, string]>,
  ): Promise<void> {
    await this.#use(
      `save ${entries.length} content hashes of namespace "${namespace}"`,
      async () => {
        if (entries.length === 0) return;
        // One statement, so the whole batch or none of it; a key twice in one batch would make
        // the upsert touch its row twice, which PostgreSQL refuses, so the last one wins here.
        const batch = new Map(entries);
        await this.#run(
          `INSERT INTO {content_hashes} (namespace, key, hash)
         SELECT $1, entry.key, entry.hash FROM unnest($2::text[], $3::text[]) AS entry (key, hash)
         ON CONFLICT (namespace, key) DO UPDATE SET hash = excluded.hash`,
          [namespace, [...batch.keys()], [...batch.values()]],
        );
      },
    );
  }

  async deleteHashes(namespace: string, keys: readonly string[]): Promise<void> {
    await this.#use(
      `delete ${keys.length} content hashes of namespace "${namespace}"`,
      async () => {
        if (keys.length === 0) return;
        await this.#run(
          'DELETE FROM {content_hashes} WHERE namespace = $1 AND key = ANY($2::text[])',
          [namespace, keys],
        );
      },
    );
  }

  async listHashKeys(namespace: string, prefix: string): Promise<string[]> {
    return this.#use(`list the content-hash keys of namespace "${namespace}"`, async () => {
      const upper = prefixUpperBound(prefix);
      const rows =
        upper === undefined
          ? await this.#rows(
              'SELECT key FROM {content_hashes} WHERE namespace = $1 AND key >= $2 ORDER BY key',
              [namespace, prefix],
            )
          : await this.#rows(
              `SELECT key FROM {content_hashes}
               WHERE namespace = $1 AND key >= $2 AND key < $3 ORDER BY key`,
              [namespace, prefix, upper],
            );
      return rows.map((row) => readText(row, 'key'));
    });
  }

  async createRecord(namespace: string, key: string, value: string): Promise<boolean> {
    return this.#use(`create record "${key}" of namespace "${namespace}"`, async () => {
      const changed = await this.#run(
        `INSERT INTO {records} (namespace, key, value, version, updated_at)
         VALUES ($1, $2, $3, 1, $4)
         ON CONFLICT (namespace, key) DO NOTHING`,
        [namespace, key, value, this.#clock.now().toISOString()],
      );
      return changed > 0;
    });
  }

  async getRecord(namespace: string, key: string): Promise<StoredRecord | undefined> {
    return this.#use(`read record "${key}" of namespace "${namespace}"`, async () => {
      const [row] = await this.#rows(
        'SELECT value, version, updated_at FROM {records} WHERE namespace = $1 AND key = $2',
        [namespace, key],
      );
      return row === undefined ? undefined : toStoredRecord(row);
    });
  }

  async updateRecord(
    namespace: string,
    key: string,
    value: string,
    expectedVersion: number,
  ): Promise<boolean> {
    return this.#use(`update record "${key}" of namespace "${namespace}"`, async () => {
      // No record is at a version that is not an integer (which BIGINT would refuse to read).
      if (!Number.isSafeInteger(expectedVersion)) return false;
      // Compare-and-set in one statement: a concurrent update of the row makes this one wait
      // for its commit, and PostgreSQL then re-checks the version on the new row, so of
      // several writers from the same version exactly one changes it.
      const changed = await this.#run(
        `UPDATE {records} SET value = $1, version = version + 1, updated_at = $2
         WHERE namespace = $3 AND key = $4 AND version = $5`,
        [value, this.#clock.now().toISOString(), namespace, key, expectedVersion],
      );
      return changed > 0;
    });
  }

  async deleteRecord(namespace: string, key: string): Promise<void> {
    await this.#use(`delete record "${key}" of namespace "${namespace}"`, () =>
      this.#run('DELETE FROM {records} WHERE namespace = $1 AND key = $2', [namespace, key]),
    );
  }

  async listRecords(
    namespace: string,
    options: { prefix?: string; limit?: number } = {},
  ): Promise<ListedRecord[]> {
    const { prefix = '', limit } = options;
    return this.#use(`list the records of namespace "${namespace}"`, async () => {
      if (limit !== undefined && !(Number.isSafeInteger(limit) && limit >= 0)) {
        throw new StateError(`The record limit must be a non-negative integer, got ${limit}`);
      }
      // A key range on the COLLATE "C" primary key, as in listHashKeys: code point order.
      const upper = prefixUpperBound(prefix);
      const rows =
        upper === undefined
          ? await this.#rows(
              `SELECT key, value, version, updated_at FROM {records}
               WHERE namespace = $1 AND key >= $2 ORDER BY key LIMIT $3`,
              [namespace, prefix, limit ?? null],
            )
          : await this.#rows(
              `SELECT key, value, version, updated_at FROM {records}
               WHERE namespace = $1 AND key >= $2 AND key < $3 ORDER BY key LIMIT $4`,
              [namespace, prefix, upper, limit ?? null],
            );
      return rows.map((row) => ({ key: readText(row, 'key'), ...toStoredRecord(row) }));
    });
  }

  async acquireLease(name: string, owner: string, ttlMs: number): Promise<Lease | undefined> {
    return this.#use(`acquire the lease "${name}"`, async () => {
      const now = this.#clock.now();
      const { expiresAtMs, expiresAt } = leaseExpiry(now, ttlMs, 'acquireLease');
      // One statement: it inserts a free lease, or takes over one that is ours or has expired,
      // and leaves another owner's live lease alone. PostgreSQL locks the conflicting row and
      // evaluates the WHERE on its latest version, so of several callers exactly one wins.
      const changed = await this.#run(
        `INSERT INTO {leases} AS existing (name, owner, expires_at) VALUES ($1, $2, $3)
         ON CONFLICT (name) DO UPDATE SET
           owner = excluded.owner,
           expires_at = excluded.expires_at
         WHERE existing.owner = excluded.owner OR existing.expires_at <= $4`,
        [name, owner, expiresAtMs, now.getTime()],
      );
      return changed === 0 ? undefined : { name, owner, expiresAt };
    });
  }

  async renewLease(name: string, owner: string, ttlMs: number): Promise<boolean> {
    return this.#use(`renew the lease "${name}"`, async () => {
      const { expiresAtMs } = leaseExpiry(this.#clock.now(), ttlMs, 'renewLease');
      const changed = await this.#run(
        'UPDATE {leases} SET expires_at = $1 WHERE name = $2 AND owner = $3',
        [expiresAtMs, name, owner],
      );
      return changed > 0;
    });
  }

  async releaseLease(name: string, owner: string): Promise<void> {
    await this.#use(`release the lease "${name}"`, () =>
      this.#run('DELETE FROM {leases} WHERE name = $1 AND owner = $2', [name, owner]),
    );
  }

  async readLease(name: string): Promise<Lease | undefined> {
    return this.#use(`read the lease "${name}"`, async () => {
      const [row] = await this.#rows('SELECT owner, expires_at FROM {leases} WHERE name = $1', [
        name,
      ]);
      if (row === undefined) return undefined;
      const expiresAt = new Date(readInteger(row, 'expires_at')).toISOString();
      return { name, owner: readText(row, 'owner'), expiresAt };
    });
  }

  /**
   * Closes the pool once the calls in flight are done; later calls fail with a
   * {@link StateError}. Closing twice is fine.
   */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    try {
      await this.#pool.end();
    } catch (error) {
      throw toStateError('close the state store', this.#target, error, this.#secret);
    }
  }

  /** Runs `work` unless the store is closed, turning any failure into a StateError about `what`. */
  async #use<T>(what: string, work: () => Promise<T>): Promise<T> {
    if (this.#closed) {
      throw new StateError(
        `Could not ${what}: the state store is closed`,
        undefined,
        'PMS_STATE_CLOSED',
      );
    }
    try {
      return await work();
    } catch (error) {
      throw toStateError(what, this.#target, error, this.#secret);
    }
  }

  /** Runs one statement; resolves to the rows it returned. */
  async #rows(text: string, values: unknown[]): Promise<Row[]> {
    return (await this.#query(text, values)).rows;
  }

  /** Runs one statement; resolves to how many rows it changed. */
  async #run(text: string, values: unknown[]): Promise<number> {
    return (await this.#query(text, values)).rowCount ?? 0;
  }

  /**
   * Runs `text` with its `{table}` names qualified by the store's schema. Qualified names,
   * rather than a `search_path` set per connection, work through connection poolers
   * (PgBouncer) that share server connections between clients.
   */
  #query(text: string, values: unknown[]): Promise<pg.QueryResult<Row>> {
    let qualified = this.#qualified.get(text);
    if (qualified === undefined) {
      // The schema name matches [a-z_][a-z0-9_]* (checked by the options schema): safe as is.
      qualified = text.replace(TABLE_PLACEHOLDER, (_, table: string) => `${this.#schema}.${table}`);
      this.#qualified.set(text, qualified);
    }
    return this.#pool.query<Row>(qualified, values);
  }
}

/** Refuses a database whose encoding cannot hold every key and JSON text the store writes. */
async function checkEncoding(client: pg.PoolClient, target: string): Promise<void> {
  const result = await client.query<{ server_encoding: string }>('SHOW server_encoding');
  const encoding = result.rows[0]?.server_encoding;
  if (encoding !== 'UTF8') {
    throw new StateError(
      `The database ${target} uses the encoding ${encoding ?? 'unknown'}; the state store needs ` +
        "UTF8: create it with ENCODING 'UTF8'",
      undefined,
      'PMS_STATE_UNAVAILABLE',
    );
  }
}

function toStoredRecord(row: Row): StoredRecord {
  return {
    value: readText(row, 'value'),
    version: readInteger(row, 'version'),
    updatedAt: readText(row, 'updated_at'),
  };
}

function toDeadLetter(row: Row): DeadLetter {
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
