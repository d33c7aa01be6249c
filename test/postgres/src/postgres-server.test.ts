import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import pg from 'pg';
import { startPostgres, type PostgresServer } from './postgres-server.js';

async function query<T extends pg.QueryResultRow>(url: string, sql: string): Promise<T[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<T>(sql)).rows;
  } finally {
    await client.end();
  }
}

const databases = (url: string) =>
  query<{ datname: string }>(url, 'SELECT datname FROM pg_database ORDER BY 1').then((rows) =>
    rows.map((row) => row.datname),
  );

describe('startPostgres', () => {
  let server: PostgresServer;

  beforeAll(async () => {
    server = await startPostgres({ databaseUrl: null });
  });

  afterAll(async () => {
    await server.stop();
  });

  it('starts a throwaway server that hands out new, empty UTF8 databases', async () => {
    expect(server.external).toBe(false);
    const first = await server.createDatabase();
    const second = await server.createDatabase();
    expect(first).not.toBe(second);
    const [row] = await query<{ encoding: string; tables: string }>(
      first,
      `SELECT pg_encoding_to_char(encoding) AS encoding,
              (SELECT count(*) FROM pg_tables WHERE schemaname = 'public') AS tables
       FROM pg_database WHERE datname = current_database()`,
    );
    expect(row).toEqual({ encoding: 'UTF8', tables: '0' });
  });

  it('uses the server DATABASE_URL names instead, and drops the databases it made', async () => {
    const existing = await startPostgres({ databaseUrl: server.connectionString });
    expect(existing.external).toBe(true);
    const made = new URL(await existing.createDatabase()).pathname.slice(1);
    expect(await databases(server.connectionString)).toContain(made);
    await existing.stop();
    await existing.stop();
    expect(await databases(server.connectionString)).not.toContain(made);
    // The existing server itself is left running.
    expect(await databases(server.connectionString)).toContain('postgres');
  });

  it('stops the server it started: nothing answers afterwards', async () => {
    const own = await startPostgres({ databaseUrl: null });
    const url = await own.createDatabase();
    await own.stop();
    await expect(query(url, 'SELECT 1')).rejects.toThrow(/ECONNREFUSED/);
  });

  it('restarts the server it started on the same port, with its data; a connection is cut', async () => {
    const url = await server.createDatabase();
    await query(url, 'CREATE TABLE kept (n int); INSERT INTO kept VALUES (7)');
    const client = new pg.Client({ connectionString: url });
    client.on('error', () => undefined);
    await client.connect();
    await server.restart();
    await expect(client.query('SELECT 1')).rejects.toThrow();
    await client.end().catch(() => undefined);
    expect(await query<{ n: number }>(url, 'SELECT n FROM kept')).toEqual([{ n: 7 }]);
    const existing = await startPostgres({ databaseUrl: server.connectionString });
    await expect(existing.restart()).rejects.toThrow('is not restarted by tests');
    await existing.stop();
  });
});
