import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { request } from 'undici';
import { ExitCode, SqliteStateStore, runCli } from '@pmsbridge/core';
import { startSandbox, type Sandbox } from '@pmsbridge/healthconnect-sandbox';
import { startFhirServer, type FhirServer } from '@pmsbridge/test-fhir-server';
import { createWorkspace, sandboxSource, type Workspace } from './pipeline-harness.js';

const PROVIDERS = 16;
const TYPES = ['Location', 'Practitioner', 'PractitionerRole', 'Schedule', 'Slot'];
const PROVIDER_ID_SYSTEM = 'https://healthconnect.io/fhir/sid/provider-id';

interface Resource {
  resourceType: string;
  id: string;
  meta?: unknown;
  identifier?: Array<{ system?: string; value?: string }>;
}

/** Every resource the sink writes, without `meta`, sorted: what a clean run's server holds. */
async function contentOf(fhir: FhirServer, token?: string): Promise<Resource[]> {
  const headers = token === undefined ? {} : { authorization: `Bearer ${token}` };
  const all: Resource[] = [];
  for (const type of TYPES) {
    for (let offset = 0; ; offset += 500) {
      const response = await request(`${fhir.baseUrl}/${type}?_count=500&_offset=${offset}`, {
        headers,
      });
      const bundle = (await response.body.json()) as { entry?: Array<{ resource: Resource }> };
      const page = (bundle.entry ?? []).map(({ resource: { meta: _meta, ...rest } }) => rest);
      all.push(...page);
      if (page.length < 500) break;
    }
  }
  return all.sort((a, b) => `${a.resourceType}/${a.id}`.localeCompare(`${b.resourceType}/${b.id}`));
}

/** The provider ids of the Practitioners on the server, sorted. */
async function providerIdsOn(fhir: FhirServer): Promise<string[]> {
  return (await contentOf(fhir))
    .filter((r) => r.resourceType === 'Practitioner')
    .flatMap((r) => r.identifier?.filter((i) => i.system === PROVIDER_ID_SYSTEM) ?? [])
    .map((i) => i.value ?? '')
    .sort();
}

/** Runs the `pmsbridge` CLI in this process; returns its exit code and output. */
async function cli(argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const out = { stdout: '', stderr: '' };
  const stream = (name: 'stdout' | 'stderr') =>
    new Writable({
      write(chunk: Buffer, _encoding, done) {
        out[name] += chunk.toString();
        done();
      },
    }) as unknown as NodeJS.WriteStream;
  const code = await runCli(argv, { stdout: stream('stdout'), stderr: stream('stderr') });
  return { code, ...out };
}

describe('FHIR server delivery: failures of the server stop the run, and a resumed run completes it', () => {
  let sandbox: Sandbox;
  let workspace: Workspace;
  const servers: FhirServer[] = [];

  beforeAll(async () => {
    sandbox = await startSandbox({ providers: PROVIDERS, seed: 23 });
    process.env.HC_TEST_SECRET = sandbox.clientSecret;
    workspace = await createWorkspace();
  });

  afterAll(async () => {
    await Promise.all(servers.map((server) => server.close()));
    await sandbox?.close();
    await workspace?.cleanup();
  });

  async function fhirServer(options: Parameters<typeof startFhirServer>[0] = {}) {
    const server = await startFhirServer(options);
    servers.push(server);
    return server;
  }

  /** Writes a pipeline config whose one sink is a FHIR server; returns its path. */
  async function pipeline(name: string, fhir: FhirServer, sinkOptions = ''): Promise<string> {
    const path = join(workspace.dir, `${name}.yaml`);
    await writeFile(
      path,
      `pipeline: ${name}
state: { path: ${name}.sqlite }
${sandboxSource(sandbox)}
sinks:
  - use: '@pmsbridge/adapter-fhir'
    name: fhir
    options: { target: server, baseUrl: '${fhir.baseUrl}', bundleSize: 500, retryBaseDelayMs: 5${sinkOptions} }
sync: { horizonDays: 2, batchSize: 4, concurrency: 4 }
`,
    );
    return path;
  }

  const sync = (config: string, mode: 'full' | 'incremental') =>
    cli(['sync', '--config', config, '--mode', mode, '--json']);

  async function stateOf(name: string) {
    const store = SqliteStateStore.open(join(workspace.dir, `${name}.sqlite`));
    try {
      return {
        full: await store.getCheckpoint(name, 'full'),
        incremental: await store.getCheckpoint(name, 'incremental'),
        deadLetters: await store.listDeadLetters(name),
      };
    } finally {
      await store.close();
    }
  }

  /** What a clean full run of the same source writes into a fresh server. */
  async function cleanContent(name: string): Promise<Resource[]> {
    const clean = await fhirServer();
    expect((await sync(await pipeline(name, clean), 'full')).code).toBe(ExitCode.Ok);
    return contentOf(clean);
  }

  it('a wrong token fails the run (exit 1) without moving the checkpoint or dead-lettering; with the right one the resumed run writes everything', async () => {
    const fhir = await fhirServer({ bearerToken: 'right-token' });
    const good = await pipeline('auth', fhir, ", auth: { type: bearer, token: 'right-token' }");
    const bad = join(workspace.dir, 'auth-bad.yaml');
    await writeFile(
      bad,
      (await readFile(good, 'utf8')).replace("token: 'right-token'", "token: 'wrong-token'"),
    );
    expect((await sync(good, 'full')).code).toBe(ExitCode.Ok);
    sandbox.admin.updateProvider('PRV0000000003', { accepting_new_patients: false });
    sandbox.admin.updateProvider('PRV0000000005', { accepting_new_patients: true });
    const before = await stateOf('auth');

    const failed = await sync(bad, 'incremental');
    expect(failed.code).toBe(ExitCode.Failed);
    expect(failed.stderr).toMatch(/HTTP 401.*auth option.*\[PMS_FHIR_AUTH_REFUSED\]/);
    expect(failed.stderr + failed.stdout).not.toContain('wrong-token');
    const after = await stateOf('auth');
    expect(after.incremental).toEqual(before.incremental);
    expect(after.full).toBeUndefined();
    expect(after.deadLetters).toEqual([]);

    const resumed = await sync(good, 'incremental');
    expect(resumed.code).toBe(ExitCode.Ok);
    expect(JSON.parse(resumed.stdout)).toMatchObject({ written: 2, deadLettered: 0 });
    const content = await contentOf(fhir, 'right-token');
    expect(content.length).toBeGreaterThan(PROVIDERS * 4);
    expect(content).toEqual(await cleanContent('auth-clean'));
  });

  it('an outage (503) opens the circuit and fails the run fast (exit 1); the checkpoint stops at the last written batch; the resumed run completes it', async () => {
    const fhir = await fhirServer();
    const config = await pipeline('outage', fhir, ', maxRetries: 8');
    // /metadata and two batches (one transaction each) get through, then every request fails.
    fhir.setFault({ status: 503, after: 3 });
    fhir.resetStats();

    const failed = await sync(config, 'full');
    expect(failed.code).toBe(ExitCode.Failed);
    expect(failed.stderr).toMatch(/\[PMS_CIRCUIT_OPEN\]/);
    // The breaker stopped after 3 failed attempts, not 9 per record.
    expect(fhir.stats().requests).toBe(3 + 3);
    const state = await stateOf('outage');
    expect(state.deadLetters).toEqual([]);
    const afterId = (state.full?.position as { afterId?: string } | undefined)?.afterId;
    expect(afterId).toBe('PRV0000000008');
    fhir.setFault(undefined);
    // Exactly the providers up to the checkpoint are on the server: none past it was skipped.
    expect(await providerIdsOn(fhir)).toEqual(
      Array.from({ length: 8 }, (_, i) => `PRV${String(i + 1).padStart(10, '0')}`),
    );

    const resumed = await sync(config, 'full');
    expect(resumed.code).toBe(ExitCode.Ok);
    expect(JSON.parse(resumed.stdout)).toMatchObject({ resumed: true, deadLettered: 0 });
    expect(await contentOf(fhir)).toEqual(await cleanContent('outage-clean'));
  });
});

describe('FHIR server delivery to a server that assigns ids', () => {
  let sandbox: Sandbox;
  let workspace: Workspace;

  beforeAll(async () => {
    sandbox = await startSandbox({ providers: PROVIDERS, seed: 29 });
    process.env.HC_TEST_SECRET = sandbox.clientSecret;
    workspace = await createWorkspace();
  });

  afterAll(async () => {
    await sandbox?.close();
    await workspace?.cleanup();
  });

  async function pipeline(fhir: FhirServer): Promise<string> {
    const path = join(workspace.dir, 'ids.yaml');
    await writeFile(
      path,
      `pipeline: ids
state: { path: ids.sqlite }
${sandboxSource(sandbox)}
sinks:
  - use: '@pmsbridge/adapter-fhir'
    name: fhir
    options: { target: server, baseUrl: '${fhir.baseUrl}', bundleSize: 20 }
sync: { horizonDays: 2, batchSize: 4, concurrency: 4 }
`,
    );
    return path;
  }

  it('fails at start-up with exit 2, naming the settings, when the server allows neither client ids nor conditional update', async () => {
    const fhir = await startFhirServer({ updateCreate: false, conditionalUpdate: false });
    try {
      const result = await cli(['sync', '--config', await pipeline(fhir), '--mode', 'full']);
      expect(result.code).toBe(ExitCode.Usage);
      expect(result.stderr).toMatch(
        /updateCreate.*conditionalUpdate.*\[PMS_FHIR_CAPABILITY_MISSING\]/,
      );
      expect(fhir.stats().byInteraction.batch ?? 0).toBe(0);
    } finally {
      await fhir.close();
    }
  });

  it('writes everything by conditional update, with every reference resolving, and a second run writes nothing', async () => {
    const fhir = await startFhirServer({ updateCreate: false });
    try {
      const config = await pipeline(fhir);
      const first = await cli(['sync', '--config', config, '--mode', 'full', '--json']);
      expect(first.code).toBe(ExitCode.Ok);
      expect(JSON.parse(first.stdout)).toMatchObject({ written: PROVIDERS, deadLettered: 0 });
      const content = await contentOf(fhir);
      expect(await providerIdsOn(fhir)).toHaveLength(PROVIDERS);
      const refs = new Set(content.map((r) => `${r.resourceType}/${r.id}`));
      const dangling = content.flatMap(
        (r) =>
          JSON.stringify(r)
            .match(/"reference":"[^"]+"/g)
            ?.map((m) => m.slice('"reference":"'.length, -1))
            .filter((ref) => !refs.has(ref)) ?? [],
      );
      expect(dangling).toEqual([]);
      expect(content.filter((r) => r.resourceType === 'Slot').length).toBeGreaterThan(PROVIDERS);

      fhir.resetStats();
      const second = await cli(['sync', '--config', config, '--mode', 'full', '--json']);
      expect(JSON.parse(second.stdout)).toMatchObject({ written: 0, deadLettered: 0 });
      expect(fhir.stats().byInteraction.batch ?? 0).toBe(0);
    } finally {
      await fhir.close();
    }
  });
});
