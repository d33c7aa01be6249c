/**
 * Every `pmsbridge…` command that a README, a doc or the demo's closing output shows is run
 * as a user would type it: through `npx`, in a shell whose PATH holds no node_modules/.bin,
 * against a sandbox and a FHIR server on free ports. Servers must start and stop cleanly;
 * the rest must exit 0. This is what catches bins that `npm ci` did not link, commands that
 * ask the registry for a package that does not exist, and docs that drifted from the code.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { spawn } from 'node:child_process';
import { cp, mkdtemp, readdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { delimiter, join, relative, resolve } from 'node:path';
import { Writable } from 'node:stream';
import { hashApiKey } from '@pmsbridge/core';
import { ALL_SCOPES, startSandbox, type Sandbox } from '@pmsbridge/healthconnect-sandbox';
import { startFhirServer, type FhirServer } from '@pmsbridge/test-fhir-server';
import { startPostgres, type PostgresServer } from '@pmsbridge/test-postgres';
import { runDemo, whereToLook } from '@pmsbridge/example-demo';
import {
  commandsInMarkdown,
  commandsInShellLines,
  type DocumentedCommand,
} from './documented-commands.js';
import { freePort } from './cli-process.js';

const repoRoot = resolve(import.meta.dirname, '../../..');
const SERVER_COMMAND =
  /^([A-Z_][A-Z0-9_]*=\S*\s+)*(npx )?pmsbridge(-sandbox|-fhir-server| webhooks| publish serve| serve --config| worker)\b/;
const NOT_RESOLVED =
  /could not determine executable|E404|404 Not Found|: not found|command not found/i;

async function markdownFiles(dir: string): Promise<string[]> {
  const skip = new Set(['node_modules', 'dist', 'output', '.git', '.tools', 'coverage']);
  const found: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    if (skip.has(entry.name)) continue;
    const path = join(dir, entry.name);
    if (entry.isDirectory()) found.push(...(await markdownFiles(path)));
    else if (entry.name.endsWith('.md')) found.push(path);
  }
  return found;
}

/**
 * A shell environment like a newcomer's: the machine's PATH without any node_modules/.bin
 * (so the system Node comes first and only `npx` finds the project's bins), no npm_* or
 * NODE_OPTIONS from the test runner.
 */
function userEnvironment(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (/^npm_/i.test(key) || key === 'NODE_OPTIONS' || key === 'INIT_CWD') continue;
    env[key] = value;
  }
  env.PATH = (process.env.PATH ?? '')
    .split(delimiter)
    .filter((dir) => !dir.includes('node_modules'))
    .join(delimiter);
  return { ...env, ...extra };
}

/**
 * A folder laid out like the clone a user types in: the installed packages and a copy of
 * the examples (configs resolve relative paths against their own folder, so whatever a
 * command writes stays in here).
 */
async function workspace(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'pmsbridge-docs-'));
  await writeFile(join(dir, 'package.json'), '{ "name": "docs-check", "private": true }\n');
  await symlink(join(repoRoot, 'node_modules'), join(dir, 'node_modules'));
  for (const folder of ['data-sync', 'booking', 'pms-export']) {
    await cp(join(repoRoot, 'examples', folder), join(dir, 'examples', folder), {
      recursive: true,
    });
  }
  return dir;
}

interface Outcome {
  code: number | null;
  signal: NodeJS.Signals | null;
  output: string;
  ready: boolean;
}

/**
 * Runs a command in `sh`. A server command counts as started once it prints its first line
 * on stdout; it is then stopped with SIGTERM, like Ctrl-C in a terminal.
 */
function run(
  command: string,
  cwd: string,
  env: NodeJS.ProcessEnv,
  isServer: boolean,
): Promise<Outcome> {
  return new Promise((done, fail) => {
    const child = spawn('sh', ['-c', command], { cwd, env, detached: true });
    let output = '';
    let ready = false;
    const stop = setTimeout(() => {
      process.kill(-(child.pid ?? 0), 'SIGKILL');
    }, 120_000);
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      if (isServer && !ready && output.includes('\n')) {
        ready = true;
        process.kill(-(child.pid ?? 0), 'SIGTERM');
      }
    });
    child.stderr.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    child.on('error', fail);
    child.on('close', (code, signal) => {
      clearTimeout(stop);
      done({ code, signal, output, ready });
    });
  });
}

/** Free ports instead of the documented ones, and a loopback URL for webhook subscriptions. */
async function forThisMachine(command: string): Promise<string> {
  let adapted = command;
  for (const match of command.matchAll(/--port (\d+)/g)) {
    if (match[1] !== '0') adapted = adapted.replace(match[0], `--port ${await freePort()}`);
  }
  // The sandbox only stores the subscription URL; keep it on loopback all the same.
  return adapted.replace(
    /--public-url \S+/,
    `--public-url http://127.0.0.1:${await freePort()}/hooks`,
  );
}

function expectSucceeded(entry: DocumentedCommand, outcome: Outcome, isServer: boolean): void {
  const where = `${entry.source}:${entry.line}: ${entry.command}\n${outcome.output}`;
  expect({ where, unresolved: NOT_RESOLVED.test(outcome.output) }).toEqual({
    where,
    unresolved: false,
  });
  if (isServer) {
    expect({ where, started: outcome.ready }).toEqual({ where, started: true });
    expect({ where, stopped: outcome.code === 0 || outcome.signal === 'SIGTERM' }).toEqual({
      where,
      stopped: true,
    });
  } else {
    expect({ where, code: outcome.code }).toEqual({ where, code: 0 });
  }
}

describe('every documented pmsbridge command', () => {
  let sandbox: Sandbox;
  let fhir: FhirServer;
  let postgres: PostgresServer;
  let databaseUrl: string;
  const workspaces: string[] = [];

  beforeAll(async () => {
    sandbox = await startSandbox({
      providers: 30,
      clients: [{ clientId: 'demo', clientSecret: 'demo-secret', scopes: [...ALL_SCOPES] }],
    });
    fhir = await startFhirServer();
    postgres = await startPostgres();
    databaseUrl = await postgres.createDatabase();
  });

  afterAll(async () => {
    await fhir?.close();
    await postgres?.stop();
    await sandbox?.close();
    await Promise.all(workspaces.map((dir) => rm(dir, { recursive: true, force: true })));
  });

  /** The variables the README exports, pointing at this test's sandbox and FHIR server. */
  function environment(cwd: string): NodeJS.ProcessEnv {
    return userEnvironment({
      HEALTHCONNECT_BASE_URL: sandbox.baseUrl,
      HEALTHCONNECT_TOKEN_URL: sandbox.tokenUrl,
      HEALTHCONNECT_CLIENT_ID: 'demo',
      HEALTHCONNECT_CLIENT_SECRET: 'demo-secret',
      FHIR_BASE_URL: fhir.baseUrl,
      OUTPUT_DIR: join(cwd, 'publication'),
      PMSBRIDGE_STATE: join(cwd, 'state.sqlite'),
      PUBLICATION_BASE_URL: 'http://localhost:8080',
      PMSBRIDGE_API_KEY_HASH: hashApiKey('pmsb_documented-commands-key'),
      PMSBRIDGE_SERVE_PORT: '0',
      DATABASE_URL: databaseUrl,
    });
  }

  async function runAll(commands: DocumentedCommand[], cwd: string): Promise<void> {
    for (const entry of commands) {
      const isServer = SERVER_COMMAND.test(entry.command);
      const outcome = await run(
        await forThisMachine(entry.command),
        cwd,
        environment(cwd),
        isServer,
      );
      expectSucceeded(entry, outcome, isServer);
    }
  }

  it('in the READMEs and docs, in order, from a clone-like folder', async () => {
    const files = await markdownFiles(repoRoot);
    let count = 0;
    for (const file of files) {
      const commands = commandsInMarkdown(await readFile(file, 'utf8'), relative(repoRoot, file));
      if (commands.length === 0) continue;
      const cwd = await workspace();
      workspaces.push(cwd);
      await runAll(commands, cwd);
      count += commands.length;
    }
    // The top-level README alone shows more than this; an extractor that finds nothing fails here.
    expect(count).toBeGreaterThanOrEqual(8);
  }, 600_000);

  it("in the demo's closing output, after a demo run", async () => {
    const outputDir = await mkdtemp(join(tmpdir(), 'pmsbridge-docs-demo-'));
    workspaces.push(outputDir);
    const quiet = new Writable({ write: (_chunk, _encoding, next) => next() });
    const result = await runDemo({
      outputDir,
      providers: 20,
      stream: quiet as unknown as NodeJS.WriteStream,
    });
    const commands = commandsInShellLines(whereToLook(result).split('\n'), 'demo output');
    expect(commands.map((entry) => entry.command.split(' ').slice(0, 3).join(' '))).toEqual(
      expect.arrayContaining(['npx pmsbridge publish', 'npx pmsbridge dlq']),
    );
    // The demo prints paths relative to where it ran: the repository root.
    await runAll(commands, process.cwd());
  }, 300_000);
});
