import type { DatabaseSync } from 'node:sqlite';
import { StateError } from '../errors/errors.js';
import { readInteger } from './sqlite-row.js';

/**
 * The schema, one entry per version: entry `n` takes a database from `user_version = n` to
 * `n + 1`. Append new entries; never edit a released one.
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
  ) WITHOUT ROWID;

  CREATE TABLE dead_letters (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
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
    expires_at INTEGER NOT NULL,
    PRIMARY KEY (namespace, id)
  ) WITHOUT ROWID;
  CREATE INDEX seen_ids_by_expiry ON seen_ids (expires_at);

  CREATE TABLE content_hashes (
    namespace TEXT NOT NULL,
    key       TEXT NOT NULL,
    hash      TEXT NOT NULL,
    PRIMARY KEY (namespace, key)
  ) WITHOUT ROWID;
  `,
  // 1 → 2: leases that keep two runs of one pipeline from overlapping.
  `
  CREATE TABLE leases (
    name       TEXT NOT NULL PRIMARY KEY,
    owner      TEXT NOT NULL,
    expires_at INTEGER NOT NULL
  ) WITHOUT ROWID;
  `,
  // 2 → 3: records (see RecordStore) — bookings' outbox entries, queued webhook deliveries.
  `
  CREATE TABLE records (
    namespace  TEXT NOT NULL,
    key        TEXT NOT NULL,
    value      TEXT NOT NULL,
    version    INTEGER NOT NULL,
    updated_at TEXT NOT NULL,
    PRIMARY KEY (namespace, key)
  ) WITHOUT ROWID;
  `,
];

/** The schema version this code writes. */
export const SCHEMA_VERSION = MIGRATIONS.length;

/**
 * Brings the schema up to {@link SCHEMA_VERSION} in one `BEGIN IMMEDIATE` transaction. The
 * version is read inside the transaction, so two processes opening a new file at once do
 * not both create the tables.
 */
export function migrateSchema(db: DatabaseSync): void {
  db.exec('BEGIN IMMEDIATE');
  try {
    const current = readInteger(db.prepare('PRAGMA user_version').get() ?? {}, 'user_version');
    if (current > SCHEMA_VERSION) {
      throw new StateError(
        `The state database has schema version ${current}, newer than the ${SCHEMA_VERSION} ` +
          'this pmsbridge understands; upgrade pmsbridge or point state.path at another file',
        undefined,
        'PMS_STATE_VERSION_NEWER',
      );
    }
    for (const migration of MIGRATIONS.slice(current)) db.exec(migration);
    if (current < SCHEMA_VERSION) db.exec(`PRAGMA user_version = ${SCHEMA_VERSION}`);
    db.exec('COMMIT');
  } catch (error) {
    if (db.isTransaction) db.exec('ROLLBACK');
    throw error;
  }
}
