import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { startSandbox, type Sandbox } from '@pmsbridge/healthconnect-sandbox';
import { ExitCode, ValidationError, runCli } from '@pmsbridge/core';
import { createHealthConnectClient } from './create-client.js';
import type { HealthConnectClient } from './healthconnect-client.js';
import { HealthConnectSource } from './healthconnect-source.js';

const fixtures = join(dirname(fileURLToPath(import.meta.url)), 'fixtures');

function credentials(sandbox: Sandbox) {
  return {
    baseUrl: sandbox.baseUrl,
    tokenUrl: sandbox.tokenUrl,
    clientId: sandbox.clientId,
    clientSecret: sandbox.clientSecret,
  };
}

function capture() {
  const out = { stdout: '', stderr: '' };
  const stream = (key: 'stdout' | 'stderr') =>
    new Writable({
      write(chunk: Buffer, _encoding, done) {
        out[key] += chunk.toString();
        done();
      },
    }) as unknown as NodeJS.WriteStream;
  return { out, io: { stdout: stream('stdout'), stderr: stream('stderr') } };
}

describe('field filtering against the sandbox over HTTP', () => {
  let sandbox: Sandbox;
  let client: HealthConnectClient;

  beforeAll(async () => {
    // invalidRecords corrupts some providers' NPI: it shows which fields are validated.
    sandbox = await startSandbox({ providers: 120, seed: 11, faults: 'invalidRecords=0.05' });
    client = createHealthConnectClient({
      ...credentials(sandbox),
      fields: ['name', 'specialties', 'locations'],
    });
  });

  afterAll(async () => {
    await client.close();
    await sandbox.close();
  });

  it('returns partial providers validated for the requested fields only', async () => {
    const providers = [];
    for await (const page of client.searchProviders({}, { perPage: 50 })) {
      expect(page.invalid).toEqual([]);
      providers.push(...page.providers);
    }
    expect(providers).toHaveLength(120);
    for (const provider of providers) {
      expect(Object.keys(provider).sort()).toEqual(['id', 'locations', 'name', 'specialties']);
      expect(provider.name.last.length).toBeGreaterThan(0);
    }
    const one = await client.getProvider('PRV0000000002', { fields: ['npi'] });
    expect(Object.keys(one ?? {}).sort()).toEqual(['id', 'npi']);
  });

  it('still rejects a provider whose requested field is invalid, and only those', async () => {
    const corrupted = sandbox.admin.corruptedProviderIds();
    expect(corrupted.length).toBeGreaterThan(0);
    const invalid = [];
    for await (const page of client.searchProviders({}, { fields: ['npi', 'name'] }))
      invalid.push(...page.invalid);
    expect(invalid.map((record) => record.key).sort()).toEqual([...corrupted].sort());
    for (const record of invalid) expect(record.error).toBeInstanceOf(ValidationError);
  });

  it('lists every provider once and resumes after an id with fields set', async () => {
    const source = new HealthConnectSource(client);
    const ids: string[] = [];
    for await (const page of source.listProviders()) {
      expect(page.invalid).toEqual([]);
      ids.push(...page.providers.map((p) => p.id));
    }
    expect(ids).toHaveLength(120);
    const resumed: string[] = [];
    for await (const page of source.listProviders({ startAfterId: ids[70] }))
      resumed.push(...page.providers.map((p) => p.id));
    expect(resumed).toEqual(ids.slice(71));
  });
});

describe('a sync pipeline with fields', () => {
  let sandbox: Sandbox;
  let dir: string;

  beforeAll(async () => {
    sandbox = await startSandbox({ providers: 30, seed: 5 });
    dir = await mkdtemp(join(tmpdir(), 'pmsbridge-hc-fields-'));
  });

  afterAll(async () => {
    await sandbox.close();
    await rm(dir, { recursive: true, force: true });
  });

  async function writeConfig(fields: string[], sink: string): Promise<string> {
    const path = join(dir, 'pipeline.yaml');
    const { baseUrl, tokenUrl, clientId, clientSecret } = credentials(sandbox);
    await writeFile(
      path,
      `pipeline: fields
state: { path: state.sqlite }
log: { level: silent }
source:
  use: '@pmsbridge/adapter-healthconnect'
  options:
    baseUrl: '${baseUrl}'
    tokenUrl: '${tokenUrl}'
    clientId: '${clientId}'
    clientSecret: '${clientSecret}'
    fields: [${fields.join(', ')}]
sinks:
${sink}
sync: { horizonDays: 2 }
`,
    );
    return path;
  }

  it('fails validation with exit code 2 when fields leave out what the FHIR sink reads, naming them', async () => {
    const config = await writeConfig(
      ['name', 'specialties', 'locations'],
      `  - { use: '@pmsbridge/adapter-fhir', name: fhir, options: { target: server, baseUrl: 'http://127.0.0.1:9/fhir' } }`,
    );
    for (const command of ['validate', 'sync']) {
      const { out, io } = capture();
      expect(await runCli([command, '--config', config], io)).toBe(ExitCode.Usage);
      expect(out.stderr).toContain('[PMS_CONFIG_FIELDS_MISSING]');
      expect(out.stderr).toContain(
        'sinks[0] (@pmsbridge/adapter-fhir) needs npi, gender, acceptingNewPatients, languages, phone, status',
      );
      expect(out.stderr).toContain(
        'the sync engine (schedules are fetched for active providers) needs status',
      );
    }
  });

  it('runs full and incremental syncs when the sinks read only the requested fields, writing partial providers', async () => {
    const output = join(dir, 'providers.ndjson');
    const config = await writeConfig(
      ['name', 'specialties', 'status'],
      `  - { use: '${join(fixtures, 'provider-fields-sink.mjs')}', name: names, options: { path: '${output}' } }`,
    );
    const { out, io } = capture();
    expect(await runCli(['sync', '--config', config, '--mode', 'full', '--json'], io)).toBe(
      ExitCode.Ok,
    );
    expect(JSON.parse(out.stdout)).toMatchObject({ read: 30, written: 30, deadLettered: 0 });
    const written = (await readFile(output, 'utf8'))
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(written).toHaveLength(30);
    for (const provider of written)
      expect(Object.keys(provider).sort()).toEqual(['id', 'name', 'specialties', 'status']);

    // An incremental run reads the changed provider with the same fields.
    sandbox.admin.updateProvider('PRV0000000003', { specialties: ['dermatology'] });
    const next = capture();
    expect(await runCli(['sync', '--config', config, '--json'], next.io)).toBe(ExitCode.Ok);
    expect(JSON.parse(next.out.stdout)).toMatchObject({ mode: 'incremental', read: 1, written: 1 });
    const last = (await readFile(output, 'utf8')).trim().split('\n').at(-1) ?? '{}';
    expect(JSON.parse(last)).toEqual({
      id: 'PRV0000000003',
      name: expect.anything(),
      specialties: ['dermatology'],
      status: 'active',
    });
  });
});
