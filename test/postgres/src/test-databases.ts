import { randomBytes } from 'node:crypto';
import pg from 'pg';

/** Runs `work` on one connection to `connectionString`, closed afterwards. */
async function withClient<T>(
  connectionString: string,
  work: (client: pg.Client) => Promise<T>,
): Promise<T> {
  const client = new pg.Client({ connectionString });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

/** `connectionString` pointing at `database` instead, keeping user, password and parameters. */
export function urlOfDatabase(connectionString: string, database: string): string {
  const url = new URL(connectionString);
  url.pathname = `/${database}`;
  return url.href;
}

/** Creates an empty database with a new name on the server; returns its name and URL. */
export async function createDatabaseOn(
  connectionString: string,
): Promise<{ name: string; url: string }> {
  // A generated name of [a-z0-9_] only: safe to put in the statement (names cannot be parameters).
  const name = `pmsbridge_test_${randomBytes(6).toString('hex')}`;
  await withClient(connectionString, (client) => client.query(`CREATE DATABASE ${name}`));
  return { name, url: urlOfDatabase(connectionString, name) };
}

/** Drops the databases `names` (made by {@link createDatabaseOn}), ending their connections. */
export async function dropDatabasesOn(connectionString: string, names: string[]): Promise<void> {
  if (names.length === 0) return;
  await withClient(connectionString, async (client) => {
    for (const name of names) await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  });
}
