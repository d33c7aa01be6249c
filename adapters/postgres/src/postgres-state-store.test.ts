import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createServer } from 'node:net';
import { once } from 'node:events';
import { ErrorCode, hasRecordStore, StateError } from '@pmsbridge/core';
import {
  describeRecordStoreContract,
  describeStateStoreContract,
  ManualClock,
} from '@pmsbridge/core/testing';
import { startPostgres, urlOfDatabase, type PostgresServer } from '@pmsbridge/test-postgres';
import pg from 'pg';
import { PostgresStateStore } from './postgres-state-store.js';
import { SCHEMA_VERSION } from './schema.js';

let server: PostgresServer;
let database: string;
let schemaCount = 0;

beforeAll(async () => {
  server = await startPostgres();
  database = await server.createDatabase();
});

afterAll(async () => {
  await server.stop();
});

/** A schema name not used before in this database: each test starts from nothing. */
function freshSchema(): string {
  schemaCount += 1;
  return `test_${schemaCount}`;
}

/** Runs `sql` on its own connection, as an operator's psql would. */
async function inspect<T extends pg.QueryResultRow>(
  sql: string,
  values: unknown[] = [],
): Promise<T[]> {
  const client = new pg.Client({ connectionString: database });
  await client.connect();
  try {
    return (await client.query<T>(sql, values)).rows;
  } finally {
    await client.end();
  }
}

async function caught(promise: Promise<unknown>): Promise<StateError> {
  const error = await promise.then(
    () => undefined,
    (failure: unknown) => failure,
  );
  expect(error).toBeInstanceOf(StateError);
  return error as StateError;
}

async function unusedPort(): Promise<number> {
  const listener = createServer().listen(0, '127.0.0.1');
  await once(listener, 'listening');
  const address = listener.address();
  listener.close();
  await once(listener, 'close');
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}

describeStateStoreContract('PostgresStateStore', (clock) =>
  PostgresStateStore.open({ connectionString: database, schema: freshSchema(), clock }),
);

describeRecordStoreContract('PostgresStateStore', (clock) =>
  PostgresStateStore.open({ connectionString: database, schema: freshSchema(), clock }),
);

describe('PostgresStateStore', () => {
  it('creates its tables in its own schema and records each migration step', async () => {
    const schema = freshSchema();
    await (await PostgresStateStore.open({ connectionString: database, schema })).close();
    const tables = await inspect<{ table_name: string }>(
      'SELECT table_name FROM information_schema.tables WHERE table_schema = $1 ORDER BY 1',
      [schema],
    );
    expect(tables.map((t) => t.table_name)).toEqual([
      'checkpoints',
      'content_hashes',
      'dead_letters',
      'leases',
      'pmsbridge_migrations',
      'records',
      'seen_ids',
    ]);
    const versions = await inspect<{ version: number }>(
      `SELECT version FROM ${schema}.pmsbridge_migrations ORDER BY version`,
    );
    expect(versions.map((v) => v.version)).toEqual(
      Array.from({ length: SCHEMA_VERSION }, (_, i) => i + 1),
    );
  });

  it('migrates a new schema once when several processes open it at the same moment', async () => {
    const schema = freshSchema();
    const stores = await Promise.all(
      [1, 2, 3, 4].map(() => PostgresStateStore.open({ connectionString: database, schema })),
    );
    try {
      await stores[0]?.saveCheckpoint('p', 'full', { position: 1, sinkStates: {}, updatedAt: 't' });
      expect((await stores[3]?.getCheckpoint('p', 'full'))?.position).toBe(1);
    } finally {
      await Promise.all(stores.map((store) => store.close()));
    }
    const rows = await inspect<{ n: string }>(
      `SELECT count(*) AS n FROM ${schema}.pmsbridge_migrations`,
    );
    expect(Number(rows[0]?.n)).toBe(SCHEMA_VERSION);
  });

  it('keeps everything across close and reopen', async () => {
    const schema = freshSchema();
    const clock = new ManualClock();
    const first = await PostgresStateStore.open({ connectionString: database, schema, clock });
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
    await first.acquireLease('providers', 'run-a', 60_000);
    await first.createRecord('bookings', 'b-1', '{"status":"pending"}');
    await first.close();

    const second = await PostgresStateStore.open({ connectionString: database, schema, clock });
    try {
      expect((await second.getCheckpoint('p', 'full'))?.position).toEqual({ page: 4 });
      expect(await second.listDeadLetters('p')).toMatchObject([{ key: 'k', attempts: 1 }]);
      expect(await second.markSeen('events', 'evt-1', 60_000)).toBe(false);
      expect(await second.getHashes('fhir', ['Slot/1'])).toEqual(new Map([['Slot/1', 'h1']]));
      expect(await second.acquireLease('providers', 'run-b', 60_000)).toBeUndefined();
      expect(await second.getRecord('bookings', 'b-1')).toMatchObject({
        value: '{"status":"pending"}',
        version: 1,
      });
    } finally {
      await second.close();
    }
  });

  it('adds the records table to a schema an earlier version made, keeping what it holds', async () => {
    const schema = freshSchema();
    await (await PostgresStateStore.open({ connectionString: database, schema })).close();
    // Back to what version 1 left: its tables, its one migration step, no records.
    await inspect(`DROP TABLE ${schema}.records`);
    await inspect(`DELETE FROM ${schema}.pmsbridge_migrations WHERE version > 1`);
    await inspect(
      `INSERT INTO ${schema}.content_hashes (namespace, key, hash) VALUES ('fhir', 'Slot/1', 'h1')`,
    );

    const store = await PostgresStateStore.open({ connectionString: database, schema });
    try {
      expect(await store.getHashes('fhir', ['Slot/1'])).toEqual(new Map([['Slot/1', 'h1']]));
      expect(await store.createRecord('bookings', 'b-1', 'v')).toBe(true);
      expect(await store.getRecord('bookings', 'b-1')).toMatchObject({ value: 'v', version: 1 });
    } finally {
      await store.close();
    }
    const versions = await inspect<{ version: number }>(
      `SELECT version FROM ${schema}.pmsbridge_migrations ORDER BY version`,
    );
    expect(versions.map((v) => v.version)).toEqual([1, 2]);
  });

  it('refuses a schema written by a newer version', async () => {
    const schema = freshSchema();
    await (await PostgresStateStore.open({ connectionString: database, schema })).close();
    await inspect(`INSERT INTO ${schema}.pmsbridge_migrations (version) VALUES (99)`);
    const error = await caught(PostgresStateStore.open({ connectionString: database, schema }));
    expect(error.code).toBe(ErrorCode.StateVersionNewer);
    expect(error.message).toMatch(/schema version 99/);
  });

  it('refuses, for a command that reads existing state, a schema with no store, and creates nothing', async () => {
    const schema = freshSchema();
    const error = await caught(
      PostgresStateStore.open({ connectionString: database, schema, create: false }),
    );
    expect(error.code).toBe(ErrorCode.StateMissing);
    expect(error.message).toContain(`schema "${schema}"`);
    const schemas = await inspect('SELECT 1 FROM pg_namespace WHERE nspname = $1', [schema]);
    expect(schemas).toEqual([]);
  });

  it('uses a schema that exists already, owned by the user', async () => {
    const schema = freshSchema();
    await inspect(`CREATE SCHEMA ${schema}`);
    const store = await PostgresStateStore.open({ connectionString: database, schema });
    await store.setHashes('fhir', [['a', '1']]);
    await store.close();
    expect(await inspect(`SELECT key FROM ${schema}.content_hashes`)).toEqual([{ key: 'a' }]);
  });

  it('rolls back a whole hash batch when one row fails, and stays usable', async () => {
    const store = await PostgresStateStore.open({
      connectionString: database,
      schema: freshSchema(),
    });
    try {
      // A null hash breaks the NOT NULL constraint on the second row of the batch.
      const broken = [
        ['a', '1'],
        ['b', null],
        ['c', '3'],
      ] as unknown as ReadonlyArray<readonly [string, string]>;
      const error = await caught(store.setHashes('fhir', broken));
      expect(error.message).toMatch(/Could not save 3 content hashes of namespace "fhir"/);
      expect(await store.listHashKeys('fhir', '')).toEqual([]);
      await store.setHashes('fhir', [['a', '1']]);
      expect(await store.listHashKeys('fhir', '')).toEqual(['a']);
    } finally {
      await store.close();
    }
  });

  it('keeps the last hash of a key given twice in one batch', async () => {
    const store = await PostgresStateStore.open({
      connectionString: database,
      schema: freshSchema(),
    });
    try {
      await store.setHashes('fhir', [
        ['a', '1'],
        ['a', '2'],
      ]);
      expect(await store.getHashes('fhir', ['a'])).toEqual(new Map([['a', '2']]));
    } finally {
      await store.close();
    }
  });

  it('has the record capability that bookings look for (hasRecordStore)', async () => {
    const store = await PostgresStateStore.open({
      connectionString: database,
      schema: freshSchema(),
    });
    try {
      expect(hasRecordStore(store)).toBe(true);
    } finally {
      await store.close();
    }
  });

  it('lets exactly one of two stores on one database update a record from the same version', async () => {
    const schema = freshSchema();
    const stores = [
      await PostgresStateStore.open({ connectionString: database, schema }),
      await PostgresStateStore.open({ connectionString: database, schema }),
    ] as const;
    const rounds = 25;
    try {
      await stores[0].createRecord('bookings', 'b-1', 'created');
      // Each round both stores write from the version they both read; had both writes been
      // taken, a round would report two winners and the version would lag behind the rounds.
      for (let version = 1; version <= rounds; version += 1) {
        const outcomes = await Promise.all(
          stores.map((store, i) =>
            store.updateRecord('bookings', 'b-1', `r${version}-s${i}`, version),
          ),
        );
        expect(outcomes.filter(Boolean)).toHaveLength(1);
        const winner = outcomes.indexOf(true);
        for (const store of stores) {
          expect(await store.getRecord('bookings', 'b-1')).toMatchObject({
            value: `r${version}-s${winner}`,
            version: version + 1,
          });
        }
      }
      expect(await stores[1].updateRecord('bookings', 'b-1', 'stale', rounds)).toBe(false);
    } finally {
      await Promise.all(stores.map((store) => store.close()));
    }
  });

  it('lists records under a prefix by code point, reading % and _ literally', async () => {
    const schema = freshSchema();
    const store = await PostgresStateStore.open({ connectionString: database, schema });
    try {
      const keys = [
        'slot/PRV1/b',
        'slot/PRV1/B',
        'slot/PRV1/a',
        'slot/PRV1/\u00E9',
        'slot/PRV1/\uFFFF',
        'slot/PRV1/\u{1F600}',
        'slot/PRV1/\u{10FFFF}',
        'slot/PRV1%',
        'slot/PRV1_x',
        'slot/PRV1\u{10FFFF}',
        'slot/PRV10',
        'slot/PRV2',
      ];
      for (const key of keys) await store.createRecord('queue', key, key);
      await store.createRecord('other', 'slot/PRV1/c', 'elsewhere');

      // Code point order: upper case before lower case, a character beyond U+FFFF after
      // U+FFFF (UTF-16 order would put it before). The test server's locale is C anyway, so
      // the key column's own collation, which makes this hold under any locale, is checked
      // below.
      expect(
        (await store.listRecords('queue', { prefix: 'slot/PRV1/' })).map((r) => r.key),
      ).toEqual([
        'slot/PRV1/B',
        'slot/PRV1/a',
        'slot/PRV1/b',
        'slot/PRV1/\u00E9',
        'slot/PRV1/\uFFFF',
        'slot/PRV1/\u{1F600}',
        'slot/PRV1/\u{10FFFF}',
      ]);
      expect(
        (await store.listRecords('queue', { prefix: 'slot/PRV1%' })).map((r) => r.key),
      ).toEqual(['slot/PRV1%']);
      expect(
        (await store.listRecords('queue', { prefix: 'slot/PRV1_' })).map((r) => r.key),
      ).toEqual(['slot/PRV1_x']);
      expect(
        (await store.listRecords('queue', { prefix: 'slot/PRV1\u{10FFFF}' })).map((r) => r.key),
      ).toEqual(['slot/PRV1\u{10FFFF}']);
      expect(await store.listRecords('queue', { prefix: 'slot/PRV1' })).toHaveLength(11);
      expect(
        (await store.listRecords('queue', { prefix: 'slot/PRV1/', limit: 2 })).map((r) => r.key),
      ).toEqual(['slot/PRV1/B', 'slot/PRV1/a']);
      expect(await store.listRecords('queue', { limit: 0 })).toEqual([]);
      expect(await store.listRecords('queue')).toHaveLength(keys.length);

      // The order comes from the column's collation, not the database's default.
      const [column] = await inspect<{ collation_name: string }>(
        `SELECT collation_name FROM information_schema.columns
         WHERE table_schema = $1 AND table_name = 'records' AND column_name = 'key'`,
        [schema],
      );
      expect(column?.collation_name).toBe('C');
    } finally {
      await store.close();
    }
  });

  it('refuses a record limit that is not a non-negative integer, and finds no record at a version that is not one', async () => {
    const store = await PostgresStateStore.open({
      connectionString: database,
      schema: freshSchema(),
    });
    try {
      await store.createRecord('queue', 'a', 'v');
      const error = await caught(store.listRecords('queue', { limit: -1 }));
      expect(error.message).toContain('The record limit must be a non-negative integer, got -1');
      await caught(store.listRecords('queue', { limit: 1.5 }));
      expect(await store.updateRecord('queue', 'a', 'w', 1.5)).toBe(false);
      expect(await store.getRecord('queue', 'a')).toMatchObject({ value: 'v', version: 1 });
    } finally {
      await store.close();
    }
  });

  it('prunes expired seen ids once per minute of clock time', async () => {
    const schema = freshSchema();
    const clock = new ManualClock();
    const store = await PostgresStateStore.open({ connectionString: database, schema, clock });
    const ids = async () =>
      (await inspect<{ id: string }>(`SELECT id FROM ${schema}.seen_ids ORDER BY id`)).map(
        (row) => row.id,
      );
    try {
      for (let i = 0; i < 10; i += 1) await store.markSeen('events', `short-${i}`, 1_000);
      await store.markSeen('events', 'long', 600_000);
      clock.advance(59_999);
      await store.markSeen('events', 'a', 1_000);
      expect(await ids()).toHaveLength(12);
      clock.advance(1);
      await store.markSeen('events', 'b', 1_000);
      expect(await ids()).toEqual(['a', 'b', 'long']);
    } finally {
      await store.close();
    }
  });

  it('names the option and never repeats the connection string when options are wrong', async () => {
    const error = await caught(
      PostgresStateStore.open({ connectionString: 'mysql://u:hunter2@db/x', poolSize: 0 }),
    );
    expect(error.message).toContain('connectionString: must be a postgres:// or postgresql:// URL');
    expect(error.message).toContain('poolSize');
    expect(error.message).not.toContain('hunter2');
  });
});

describe('PostgresStateStore when the database cannot be used', () => {
  const password = 'not-for-logs-7f3a';

  function expectNoSecret(error: StateError): void {
    expect(error.message).not.toContain(password);
    expect(JSON.stringify(error, Object.getOwnPropertyNames(error))).not.toContain(password);
    expect(String((error.cause as Error | undefined)?.message)).not.toContain(password);
  }

  it('says that nothing accepts connections at the host and port, without the password', async () => {
    const port = await unusedPort();
    const error = await caught(
      PostgresStateStore.open({
        connectionString: `postgresql://pmsbridge:${password}@127.0.0.1:${port}/state`,
      }),
    );
    expect(error.code).toBe(ErrorCode.StateUnavailable);
    expect(error.message).toContain(`postgresql://pmsbridge@127.0.0.1:${port}/state`);
    expect(error.message).toContain('ECONNREFUSED');
    expect(error.message).toContain('check that PostgreSQL runs');
    expectNoSecret(error);
  });

  // An existing server (DATABASE_URL) may trust every local connection: only the throwaway
  // server is known to check passwords.
  (process.env.DATABASE_URL === undefined ? it : it.skip)(
    'says that authentication failed for the user, without the password',
    async () => {
      const url = new URL(database);
      url.password = password;
      const error = await caught(PostgresStateStore.open({ connectionString: url.href }));
      expect(error.code).toBe(ErrorCode.StateUnavailable);
      expect(error.message).toContain(`password authentication failed for user "${url.username}"`);
      expect(error.message).toContain('check the user and password');
      expectNoSecret(error);
    },
  );

  it('says that the database does not exist and how to fix it', async () => {
    const error = await caught(
      PostgresStateStore.open({
        connectionString: urlOfDatabase(database, 'no_such_database'),
      }),
    );
    expect(error.code).toBe(ErrorCode.StateUnavailable);
    expect(error.message).toContain('database "no_such_database" does not exist');
    expect(error.message).toContain('create the database');
  });

  (process.env.DATABASE_URL === undefined ? it : it.skip)(
    'fails calls with a StateError once the server is gone, and closes quietly',
    async () => {
      const own = await startPostgres({ databaseUrl: null });
      const store = await PostgresStateStore.open({ connectionString: await own.createDatabase() });
      await store.saveCheckpoint('p', 'full', { position: 1, sinkStates: {}, updatedAt: 't' });
      await own.stop();
      const error = await caught(store.getCheckpoint('p', 'full'));
      expect(error.code).toBe(ErrorCode.StateUnavailable);
      expect(error.message).toContain(
        'Could not read the checkpoint of pipeline "p" stream "full"',
      );
      await store.close();
    },
  );
});
