import { createHash } from 'node:crypto';
import { StateError } from '@pmsbridge/core';
import type pg from 'pg';

/**
 * The schema, one numbered step per entry: step `n` (1-based) takes the tables from version
 * `n - 1` to `n` and is recorded in `pmsbridge_migrations`. Append new steps; never edit a
 * released one. Statements are unqualified: the migration runs with the store's schema as its
 * `search_path`.
 *
 * Keys are `COLLATE "C"` where order matters (`listHashKeys` and `listRecords` scan a key
 * range), so that PostgreSQL compares them by code point as the SQLite store does, whatever
 * the database's locale.
 */
const MIGRATIONS: readonly string[] = [
  `
  CREATE TABLE checkpoints (
    pipeline    TEXT NOT NULL,
    stream      TEXT NOT NULL,
    position    TEXT,
    sink_states TEXT NOT NULL,
    updated_at  TEXT NOT NULL,
    PRIMARY KEY (pipeline, stream)
  );

  CREATE TABLE dead_letters (
    id            BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    pipeline      TEXT NOT NULL,
    key           TEXT NOT NULL,
    stage         TEXT NOT NULL,
    reason        TEXT NOT NULL,
    record        TEXT,
    attempts      INTEGER NOT NULL DEFAULT 1,
    first_seen_at TEXT NOT NULL,
    last_seen_at  TEXT NOT NULL,
    UNIQUE (pipeline, key, stage)
  );

  CREATE TABLE seen_ids (
    namespace  TEXT NOT NULL,
    id         TEXT NOT NULL,
    expires_at BIGINT NOT NULL,
    PRIMARY KEY (namespace, id)
  );
  CREATE INDEX seen_ids_by_expiry ON seen_ids (expires_at);

  CREATE TABLE content_hashes (
    namespace TEXT NOT NULL,
    key       TEXT COLLATE "C" NOT NULL,
    hash      TEXT NOT NULL,
    PRIMARY KEY (namespace, key)
  );

  CREATE TABLE leases (
    name       TEXT NOT NULL PRIMARY KEY,
    owner      TEXT NOT NULL,
    expires_at BIGINT NOT NULL
  );
  `,
  // Step 2: records (core's RecordStore) — bookings' outbox entries, queued webhook
  // deliveries. Listed by key prefix in key order, so the key is COLLATE "C" as above.
  `
  CREATE TABLE records (
    namespace  TEXT NOT NULL,
    key        TEXT COLLATE "C" NOT NULL,
    value      TEXT NOT NULL,
    version    BIGINT NOT NULL,
    updated_at TEXT NOT NULL,
    PRIMARY KEY (namespace, key)
  );
  `,
];

/** The schema version this code writes. */
export const SCHEMA_VERSION = MIGRATIONS.length;

/**
 * The advisory-lock key that serialises migrations of one schema: two processes starting
 * at once on a new database take turns, and the second finds the tables made.
 */
function migrationLockKey(schema: string): string {
  return createHash('sha256')
    .update(`pmsbridge state schema ${schema}`)
    .digest()
    .readBigInt64BE(0)
    .toString();
}

/** Whether the store's schema already holds its migrations table. */
async function isInitialised(client: pg.PoolClient, schema: string): Promise<boolean> {
  const result = await client.query<{ present: boolean }>(
    'SELECT to_regclass($1) IS NOT NULL AS present',
    [`${schema}.pmsbridge_migrations`],
  );
  return result.rows[0]?.present === true;
}

/** Creates the schema (unless it exists) and the table that records the applied steps. */
async function initialise(client: pg.PoolClient, schema: string): Promise<void> {
  // Checked first: CREATE SCHEMA IF NOT EXISTS needs CREATE on the database even when the
  // schema exists, which a user given only its own schema lacks.
  const existing = await client.query('SELECT 1 FROM pg_namespace WHERE nspname = $1', [schema]);
  // `schema` matches [a-z_][a-z0-9_]* (checked by the options schema): safe unquoted.
  if (existing.rowCount === 0) await client.query(`CREATE SCHEMA ${schema}`);
  await client.query(`
    CREATE TABLE pmsbridge_migrations (
      version    INTEGER NOT NULL PRIMARY KEY,
      applied_at TIMESTAMPTZ NOT NULL DEFAULT now()
    )`);
}

/**
 * Brings the store's tables in `schema` up to {@link SCHEMA_VERSION} in one transaction,
 * under an advisory lock. With `create: false`, a database with no store in it is refused
 * rather than set up (for commands that only read existing state).
 * @throws StateError when there is no store and `create` is false (`PMS_STATE_MISSING`), or
 *   the tables were written by a newer version (`PMS_STATE_VERSION_NEWER`).
 */
export async function migrateSchema(
  client: pg.PoolClient,
  schema: string,
  target: string,
  create: boolean,
): Promise<void> {
  await client.query('BEGIN');
  try {
    // For this transaction only: the steps below name their tables unqualified.
    await client.query(`SET LOCAL search_path TO ${schema}`);
    await client.query('SELECT pg_advisory_xact_lock($1)', [migrationLockKey(schema)]);
    if (!(await isInitialised(client, schema))) {
      if (!create) {
        throw new StateError(
          `There is no pmsbridge state in schema "${schema}" of ${target}: nothing has run with ` +
            'this state yet. Check state.options (connectionString, schema), or run pmsbridge sync first.',
          undefined,
          'PMS_STATE_MISSING',
        );
      }
      await initialise(client, schema);
    }
    const result = await client.query<{ version: number }>(
      'SELECT coalesce(max(version), 0)::integer AS version FROM pmsbridge_migrations',
    );
    const current = result.rows[0]?.version ?? 0;
    if (current > SCHEMA_VERSION) {
      throw new StateError(
        `The state in schema "${schema}" of ${target} has schema version ${current}, newer than ` +
          `the ${SCHEMA_VERSION} this pmsbridge understands; upgrade pmsbridge or point ` +
          'state.options.schema at another schema',
        undefined,
        'PMS_STATE_VERSION_NEWER',
      );
    }
    for (let version = current + 1; version <= SCHEMA_VERSION; version += 1) {
      await client.query(MIGRATIONS[version - 1] ?? '');
      await client.query('INSERT INTO pmsbridge_migrations (version) VALUES ($1)', [version]);
    }
    await client.query('COMMIT');
  } catch (error) {
    // A failed ROLLBACK means the connection is gone; the error that matters is `error`.
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  }
}
