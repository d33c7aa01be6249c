import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { chown, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { findServerBinaries, type ServerBinaries } from './server-binaries.js';
import { serverUser, type ServerUser } from './server-user.js';
import { createDatabaseOn, dropDatabasesOn } from './test-databases.js';

/** A PostgreSQL server for tests: started here, or an existing one that `DATABASE_URL` names. */
export interface PostgresServer {
  /** The URL of the server's maintenance database, with user and password. */
  readonly connectionString: string;
  /** True when the server is the existing one `DATABASE_URL` named (nothing was started). */
  readonly external: boolean;
  /** Creates a new, empty database on the server and returns its URL. */
  createDatabase(): Promise<string>;
  /**
   * Stops the server (fast shutdown: connections are cut) and starts it again on the same
   * port and data, as a database restart in production does. Only for a server started here.
   */
  restart(): Promise<void>;
  /**
   * Drops the databases {@link PostgresServer.createDatabase} made, and, for a server started
   * here, stops it and deletes its data directory. Calling it twice is fine.
   */
  stop(): Promise<void>;
}

/** Options of {@link startPostgres}. */
export interface StartPostgresOptions {
  /**
   * An existing server to use instead of starting one (its user needs `CREATEDB`). Default:
   * `process.env.DATABASE_URL`; pass `null` to always start a throwaway server.
   */
  databaseUrl?: string | null;
  /**
   * Keep PostgreSQL's durability (fsync and synchronous commit, its defaults), as a benchmark
   * wants. Default `false`: a throwaway server for tests never syncs to disk.
   */
  durable?: boolean;
}

const SUPERUSER = 'pmsbridge';
const READY = 'database system is ready to accept connections';
/** Settings a throwaway test server does not need: its data is deleted at the end anyway. */
const UNDURABLE = ['fsync=off', 'synchronous_commit=off', 'full_page_writes=off'];

/**
 * Starts a throwaway PostgreSQL cluster on a free loopback port, with its data in a temporary
 * directory (as the `postgres` user when running as root, since PostgreSQL refuses root), or,
 * when `DATABASE_URL` is set, uses that server. Each test takes a fresh database from
 * {@link PostgresServer.createDatabase}; {@link PostgresServer.stop} cleans up.
 *
 * @example
 * ```ts
 * const server = await startPostgres();
 * const url = await server.createDatabase();
 * // … connect to url …
 * await server.stop();
 * ```
 */
export async function startPostgres(options: StartPostgresOptions = {}): Promise<PostgresServer> {
  const external =
    options.databaseUrl === undefined ? process.env.DATABASE_URL : options.databaseUrl;
  if (external !== undefined && external !== null && external !== '') {
    return withDatabases(external, true, async () => undefined);
  }
  return startThrowaway(findServerBinaries(), serverUser(), options.durable ?? false);
}

/** A server whose test databases are created on demand and dropped before `shutdown`. */
function withDatabases(
  connectionString: string,
  external: boolean,
  shutdown: () => Promise<void>,
  restart: () => Promise<void> = async () => {
    throw new Error('an existing server (DATABASE_URL) is not restarted by tests');
  },
): PostgresServer {
  const created: string[] = [];
  let stopped: Promise<void> | undefined;
  return {
    connectionString,
    external,
    restart,
    createDatabase: async () => {
      const { name, url } = await createDatabaseOn(connectionString);
      created.push(name);
      return url;
    },
    stop: () => {
      stopped ??= (async () => {
        try {
          await dropDatabasesOn(connectionString, created);
        } finally {
          await shutdown();
        }
      })();
      return stopped;
    },
  };
}

async function startThrowaway(
  binaries: ServerBinaries,
  user: ServerUser,
  durable: boolean,
): Promise<PostgresServer> {
  const root = await mkdtemp(join(tmpdir(), 'pmsbridge-postgres-'));
  try {
    const password = randomBytes(16).toString('hex');
    await prepareCluster(binaries, user, root, password);
    const settings = ['listen_addresses=127.0.0.1', ...(durable ? [] : UNDURABLE)];
    let running = await startServer(binaries, user, root, settings);
    const url = `postgresql://${SUPERUSER}:${password}@127.0.0.1:${running.port}/postgres`;
    return withDatabases(
      url,
      false,
      async () => {
        await stopServer(running.child);
        await rm(root, { recursive: true, force: true });
      },
      async () => {
        await stopServer(running.child);
        running = await startServer(binaries, user, root, settings, running.port);
      },
    );
  } catch (error) {
    await rm(root, { recursive: true, force: true });
    throw error;
  }
}

/** Runs `initdb` into `<root>/data`, with a password for loopback connections. */
async function prepareCluster(
  binaries: ServerBinaries,
  user: ServerUser,
  root: string,
  password: string,
): Promise<void> {
  const passwordFile = join(root, 'password');
  await writeFile(passwordFile, `${password}\n`, { mode: 0o600 });
  if (user.uid !== undefined && user.gid !== undefined) {
    await chown(root, user.uid, user.gid);
    await chown(passwordFile, user.uid, user.gid);
  }
  const initdb = spawnAs(user, root, binaries.initdb, [
    ...['-D', join(root, 'data'), '-U', SUPERUSER, `--pwfile=${passwordFile}`],
    ...['--auth-local=trust', '--auth-host=scram-sha-256', '-E', 'UTF8', '--locale=C'],
    '--no-sync',
  ]);
  const output = collect(initdb);
  const [code] = (await once(initdb, 'exit')) as [number | null];
  await rm(passwordFile, { force: true });
  if (code !== 0) throw new Error(`initdb failed with exit code ${code}:\n${output.join('')}`);
}

/**
 * Starts `postgres` on `fixedPort`, or on a free port (trying another if the chosen one was
 * taken meanwhile).
 */
async function startServer(
  binaries: ServerBinaries,
  user: ServerUser,
  root: string,
  settings: string[],
  fixedPort?: number,
): Promise<{ child: ChildProcess; port: number }> {
  for (let attempt = 1; ; attempt += 1) {
    const port = fixedPort ?? (await freePort());
    const child = spawnAs(user, root, binaries.postgres, [
      ...['-D', join(root, 'data'), '-p', String(port), '-k', root],
      ...settings.flatMap((setting) => ['-c', setting]),
    ]);
    const output = collect(child);
    const isReady = await new Promise<boolean>((resolve) => {
      child.once('exit', () => resolve(false));
      child.stderr?.on('data', () => {
        if (output.join('').includes(READY)) resolve(true);
      });
    });
    if (isReady) return { child, port };
    const log = output.join('');
    if (attempt < 3 && /could not (bind|create listen socket)|already in use/i.test(log)) {
      if (fixedPort !== undefined) await delay(500);
      continue;
    }
    throw new Error(`postgres stopped before it was ready:\n${log}`);
  }
}

/** Fast shutdown (SIGINT): open connections are ended, nothing is waited for. */
async function stopServer(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, 'exit');
  child.kill('SIGINT');
  await exited;
}

function spawnAs(user: ServerUser, cwd: string, command: string, args: string[]): ChildProcess {
  return spawn(command, args, {
    cwd,
    stdio: ['ignore', 'pipe', 'pipe'],
    ...(user.uid !== undefined && { uid: user.uid }),
    ...(user.gid !== undefined && { gid: user.gid }),
  });
}

/** Everything `child` writes, kept for the error message if it fails. */
function collect(child: ChildProcess): string[] {
  const output: string[] = [];
  child.stdout?.on('data', (chunk: Buffer) => output.push(chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => output.push(chunk.toString()));
  return output;
}

async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  server.close();
  await once(server, 'close');
  if (address === null || typeof address === 'string') throw new Error('no free port found');
  return address.port;
}
