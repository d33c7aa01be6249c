/**
 * Distributed full syncs end to end, with the built CLI: `pmsbridge distribute` plans the
 * sandbox's listing as shards in a throwaway PostgreSQL, `pmsbridge worker` processes run
 * them into a test FHIR server and a bulk publication. The result must equal a
 * single-process full sync's.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request } from 'undici';
import { readPublication } from '@pmsbridge/adapter-smart-scheduling-links/testing';
import { startSandbox, type Sandbox } from '@pmsbridge/healthconnect-sandbox';
import { startFhirServer, type FhirServer } from '@pmsbridge/test-fhir-server';
import { startPostgres, type PostgresServer } from '@pmsbridge/test-postgres';
import { PMSBRIDGE_CLI, lineMatching } from './cli-process.js';
import { sandboxSource } from './pipeline-harness.js';

/** 20 pages of 50: 20 shards of one page each. */
const PROVIDERS = 1_000;
const TYPES = ['Practitioner', 'PractitionerRole', 'Location', 'Schedule', 'Slot'] as const;

interface Resource {
  resourceType: string;
  id: string;
  meta?: { versionId?: string; lastUpdated?: string };
}

/** Every resource of the FHIR server by `Type/id`, without meta, and each one's version. */
async function contentsOf(
  fhir: FhirServer,
): Promise<{ resources: Map<string, string>; versions: Map<string, number> }> {
  const resources = new Map<string, string>();
  const versions = new Map<string, number>();
  for (const type of TYPES) {
    let url: string | undefined = `${fhir.baseUrl}/${type}?_count=1000`;
    while (url !== undefined) {
      const response = await request(url);
      const bundle = (await response.body.json()) as {
        entry?: Array<{ resource: Resource }>;
        link?: Array<{ relation: string; url: string }>;
      };
      for (const { resource } of bundle.entry ?? []) {
        const { meta, ...content } = resource;
        resources.set(`${type}/${resource.id}`, JSON.stringify(content));
        versions.set(`${type}/${resource.id}`, Number(meta?.versionId ?? 1));
      }
      url = bundle.link?.find((link) => link.relation === 'next')?.url;
    }
  }
  return { resources, versions };
}

/** A publication's lines by resource type, sorted (files are split differently by shards). */
async function publicationOfDir(dir: string): Promise<Record<string, string[]>> {
  const { files } = await readPublication(dir);
  const byType: Record<string, string[]> = {};
  for (const { type, lines } of files.values()) (byType[type] ??= []).push(...lines);
  for (const lines of Object.values(byType)) lines.sort();
  return byType;
}

interface Finished {
  code: number | null;
  stdout: string;
  stderr: string;
}

function runCli(
  args: string[],
  env: NodeJS.ProcessEnv,
): { child: ChildProcess; done: Promise<Finished> } {
  const child = spawn(process.execPath, [PMSBRIDGE_CLI, ...args], {
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const done = once(child, 'exit').then(([code]) => ({
    code: code as number | null,
    stdout,
    stderr,
  }));
  return { child, done };
}

describe('pmsbridge distribute and pmsbridge worker', () => {
  let sandbox: Sandbox;
  let postgres: PostgresServer;
  let work: string;
  let reference: FhirServer;
  let expected: Map<string, string>;
  let expectedVersions: Map<string, number>;
  let expectedPublication: Record<string, string[]>;
  const children: ChildProcess[] = [];
  const env = (databaseUrl = ''): NodeJS.ProcessEnv => ({
    ...process.env,
    HC_TEST_SECRET: sandbox.clientSecret,
    DATABASE_URL: databaseUrl,
  });

  const publicationOf = (name: string) => publicationOfDir(join(work, `${name}-publication`));

  /** A config whose state is `state`, writing into `fhir` and a publication of its own. */
  async function configFor(name: string, fhir: FhirServer, state: string): Promise<string> {
    const path = join(work, `${name}.yaml`);
    await writeFile(
      path,
      `pipeline: distributed
state: ${state}
log: { level: info }
${sandboxSource(sandbox)}    perPage: 50
sinks:
  - use: '@pmsbridge/adapter-fhir'
    name: fhir
    options: { target: server, baseUrl: '${fhir.baseUrl}' }
  - use: '@pmsbridge/adapter-smart-scheduling-links'
    name: publication
    options: { outputDir: '${join(work, `${name}-publication`)}', baseUrl: 'https://pub.example' }
sync: { horizonDays: 1, batchSize: 10, concurrency: 8 }
distributed: { shards: 20, heartbeatSeconds: 10 }
`,
    );
    return path;
  }

  async function startWorkers(config: string, databaseUrl: string, count: number) {
    const workers = [];
    for (let i = 0; i < count; i += 1) {
      const worker = runCli(['worker', '--config', config], env(databaseUrl));
      children.push(worker.child);
      if (worker.child.stdout === null) throw new Error('no pipe');
      await lineMatching(worker.child.stdout, /^worker .* waiting for shards/);
      workers.push(worker);
    }
    return workers;
  }

  async function stopAll(workers: Array<{ child: ChildProcess; done: Promise<Finished> }>) {
    for (const worker of workers) {
      if (worker.child.exitCode === null && worker.child.signalCode === null) {
        worker.child.kill('SIGTERM');
      }
    }
    return Promise.all(workers.map((worker) => worker.done));
  }

  beforeAll(async () => {
    sandbox = await startSandbox({ providers: PROVIDERS, seed: 21 });
    postgres = await startPostgres({ databaseUrl: null });
    work = await mkdtemp(join(tmpdir(), 'pmsbridge-it-distributed-'));
    reference = await startFhirServer();
    const config = await configFor('reference', reference, `{ path: reference.sqlite }`);
    const single = await runCli(['sync', '--config', config, '--mode', 'full', '--json'], env())
      .done;
    expect(single.code).toBe(0);
    ({ resources: expected, versions: expectedVersions } = await contentsOf(reference));
    expectedPublication = await publicationOf('reference');
    expect([...expected.keys()].filter((key) => key.startsWith('Practitioner/'))).toHaveLength(
      PROVIDERS,
    );
  }, 300_000);

  afterAll(async () => {
    for (const child of children) {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    }
    await reference?.close();
    await postgres?.stop();
    await sandbox?.close();
    await rm(work, { recursive: true, force: true });
  });

  const postgresState = `{ use: postgres, options: { connectionString: '\${DATABASE_URL}' } }`;

  it('3 workers over 20 shards write what a single process writes, each resource once', async () => {
    const fhir = await startFhirServer();
    try {
      const databaseUrl = await postgres.createDatabase();
      const config = await configFor('three', fhir, postgresState);
      const workers = await startWorkers(config, databaseUrl, 3);
      const run = await runCli(['distribute', '--config', config, '--json'], env(databaseUrl)).done;
      expect(run.code).toBe(0);
      const summary = JSON.parse(run.stdout) as {
        shards: number;
        read: number;
        workers: Record<string, number>;
      };
      expect(summary).toMatchObject({ shards: 20, read: PROVIDERS });
      expect(Object.keys(summary.workers).length).toBeGreaterThanOrEqual(2);
      const finished = await stopAll(workers);
      expect(finished.map((worker) => worker.code)).toEqual([0, 0, 0]);

      expect(await publicationOf('three')).toEqual(expectedPublication);
      const { resources, versions } = await contentsOf(fhir);
      expect(resources).toEqual(expected);
      // Written as often as by one process (a location several providers share is written
      // with each of them), never more.
      const more = [...versions].filter(([key, v]) => v > (expectedVersions.get(key) ?? 1));
      expect(more).toEqual([]);

      // The next incremental sync starts from the distributed run, as after a full one.
      const next = await runCli(['sync', '--config', config, '--json'], env(databaseUrl)).done;
      expect(next.code).toBe(0);
      expect(JSON.parse(next.stdout)).toMatchObject({ mode: 'incremental', resumed: false });
    } finally {
      await fhir.close();
    }
  }, 300_000);

  it('a worker killed mid-shard loses it to another, which resumes it: the same result', async () => {
    const fhir = await startFhirServer();
    try {
      const databaseUrl = await postgres.createDatabase();
      const config = await configFor('killed', fhir, postgresState);
      const [victim, ...others] = await startWorkers(config, databaseUrl, 2);
      if (victim?.child.stderr === null || victim === undefined) throw new Error('no worker');
      const taken = lineMatching(victim.child.stderr, /"shard taken"|shard taken/);
      const coordinator = runCli(['distribute', '--config', config, '--json'], env(databaseUrl));
      await taken;
      // Some batches of its shard are acknowledged, the rest not yet.
      await lineMatching(victim.child.stderr as NodeJS.ReadableStream, /batch|written/).catch(
        () => undefined,
      );
      await new Promise((resolve) => setTimeout(resolve, 400));
      victim.child.kill('SIGKILL');
      const run = await coordinator.done;
      expect(run.code).toBe(0);
      expect(JSON.parse(run.stdout)).toMatchObject({ shards: 20 });
      await stopAll(others);

      expect(await publicationOf('killed')).toEqual(expectedPublication);
      const { resources, versions } = await contentsOf(fhir);
      expect(resources).toEqual(expected);
      // At most the batch in flight when the worker died was written twice.
      const rewritten = [...versions].filter(([key, v]) => v > (expectedVersions.get(key) ?? 1));
      const rewrittenProviders = new Set(
        rewritten.map(([key]) => key).filter((key) => key.startsWith('Practitioner/')),
      );
      expect(rewrittenProviders.size).toBeLessThanOrEqual(10);
    } finally {
      await fhir.close();
    }
  }, 300_000);

  it('goes on when the database restarts mid-run, and a second coordinator fails fast', async () => {
    const fhir = await startFhirServer();
    try {
      const databaseUrl = await postgres.createDatabase();
      const config = await configFor('restart', fhir, postgresState);
      const workers = await startWorkers(config, databaseUrl, 2);
      const coordinator = runCli(['distribute', '--config', config, '--json'], env(databaseUrl));
      if (coordinator.child.stderr === null) throw new Error('no pipe');
      await lineMatching(coordinator.child.stderr, /shards complete/);

      const second = await runCli(['distribute', '--config', config], env(databaseUrl)).done;
      expect(second.code).not.toBe(0);
      expect(second.stderr).toMatch(/already running/);

      await new Promise((resolve) => setTimeout(resolve, 1_000));
      await postgres.restart();
      const run = await coordinator.done;
      expect({ code: run.code, stderr: run.code === 0 ? '' : run.stderr }).toEqual({
        code: 0,
        stderr: '',
      });
      await stopAll(workers);
      expect((await contentsOf(fhir)).resources).toEqual(expected);
      expect(await publicationOf('restart')).toEqual(expectedPublication);
    } finally {
      await fhir.close();
    }
  }, 300_000);
});
