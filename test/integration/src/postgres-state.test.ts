/**
 * The PostgreSQL state store chosen in config, end to end: the built `pmsbridge` CLI syncs
 * the sandbox into a bulk publication with `state: { use: postgres, options: {
 * connectionString: ${DATABASE_URL} } }`, a database of the test PostgreSQL server.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { PostgresStateStore } from '@pmsbridge/adapter-postgres';
import { startSandbox, type Sandbox } from '@pmsbridge/healthconnect-sandbox';
import { startPostgres, type PostgresServer } from '@pmsbridge/test-postgres';
import { sandboxSource } from './pipeline-harness.js';

const bin = join(
  dirname(createRequire(import.meta.url).resolve('@pmsbridge/core/package.json')),
  'dist',
  'cli',
  'bin.js',
);

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

let sandbox: Sandbox;
let server: PostgresServer;
let databaseUrl: string;
let work: string;

beforeAll(async () => {
  sandbox = await startSandbox({ providers: 40, seed: 5 });
  server = await startPostgres();
  databaseUrl = await server.createDatabase();
  work = await mkdtemp(join(tmpdir(), 'pmsbridge-it-postgres-'));
  await writeFile(
    join(work, 'pipeline.yaml'),
    `pipeline: providers
state:
  use: postgres
  options:
    connectionString: \${DATABASE_URL}
    schema: \${STATE_SCHEMA:-pmsbridge}
log: { level: silent }
${sandboxSource(sandbox)}
sinks:
  - use: '@pmsbridge/adapter-smart-scheduling-links'
    name: ssl
    options: { outputDir: '${join(work, 'publication')}', baseUrl: 'https://pub.example' }
sync: { horizonDays: 2, batchSize: 10, concurrency: 4 }
`,
  );
});

afterAll(async () => {
  await sandbox.close();
  await server.stop();
  await rm(work, { recursive: true, force: true });
});

function pmsbridge(args: string[], env: Record<string, string> = {}): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [bin, ...args, '--config', 'pipeline.yaml'], {
      cwd: work,
      env: {
        ...process.env,
        HC_TEST_SECRET: sandbox.clientSecret,
        DATABASE_URL: databaseUrl,
        ...env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('pmsbridge with its state in PostgreSQL', () => {
  it('keeps the checkpoint in the database, and the next sync continues from it', async () => {
    const full = await pmsbridge(['sync', '--mode', 'full', '--json']);
    expect(full).toMatchObject({ code: 0, stderr: '' });
    expect(JSON.parse(full.stdout)).toMatchObject({ mode: 'full', read: 40 });

    const store = await PostgresStateStore.open({ connectionString: databaseUrl });
    try {
      expect((await store.getCheckpoint('providers', 'incremental'))?.position).toMatchObject({
        mode: 'incremental',
      });
      expect(await store.readLease('pipeline:providers')).toBeUndefined();
    } finally {
      await store.close();
    }

    const incremental = await pmsbridge(['sync', '--json']);
    expect(incremental).toMatchObject({ code: 0, stderr: '' });
    expect(JSON.parse(incremental.stdout)).toMatchObject({ mode: 'incremental' });
  });

  it('refuses, for a command that reads state, a schema with no store in it', async () => {
    const listed = await pmsbridge(['dlq', 'list'], { STATE_SCHEMA: 'nothing_here' });
    expect(listed.code).not.toBe(0);
    expect(`${listed.stdout}${listed.stderr}`).toContain('There is no pmsbridge state in schema');
    expect(`${listed.stdout}${listed.stderr}`).not.toContain(new URL(databaseUrl).password);
  });
});
