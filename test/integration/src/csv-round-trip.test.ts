import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { join } from 'node:path';
import { request } from 'undici';
import { startSandbox, type Sandbox } from '@pmsbridge/healthconnect-sandbox';
import { startFhirServer, type FhirServer } from '@pmsbridge/test-fhir-server';
import { createWorkspace, runSync, sandboxSource, type Workspace } from './pipeline-harness.js';

const PROVIDERS = 24;
const TYPES = ['Practitioner', 'PractitionerRole', 'Location', 'Schedule', 'Slot'] as const;

interface Resource {
  resourceType: string;
  id?: string;
  meta?: unknown;
  [key: string]: unknown;
}

/** Every resource of `type` on the server, without server metadata, ordered by id. */
async function resourcesOf(fhir: FhirServer, type: string): Promise<Resource[]> {
  const found: Resource[] = [];
  let url: string | undefined = `${fhir.baseUrl}/${type}?_count=500`;
  while (url !== undefined) {
    const response = await request(url);
    const bundle = (await response.body.json()) as {
      entry?: Array<{ resource: Resource }>;
      link?: Array<{ relation: string; url: string }>;
    };
    for (const entry of bundle.entry ?? []) {
      const { meta: _meta, ...rest } = entry.resource;
      found.push(rest);
    }
    url = bundle.link?.find((link) => link.relation === 'next')?.url;
  }
  return found.sort((a, b) => String(a.id).localeCompare(String(b.id)));
}

function fhirSink(fhir: FhirServer): string {
  return `  - use: '@pmsbridge/adapter-fhir'
    name: fhir
    options: { target: server, baseUrl: '${fhir.baseUrl}' }
`;
}

describe('sandbox → CSV sink → CSV source → FHIR server', () => {
  let sandbox: Sandbox;
  let direct: FhirServer;
  let viaCsv: FhirServer;
  let workspace: Workspace;

  beforeAll(async () => {
    sandbox = await startSandbox({ providers: PROVIDERS, seed: 11 });
    direct = await startFhirServer();
    viaCsv = await startFhirServer();
    workspace = await createWorkspace();
  });

  afterAll(async () => {
    await viaCsv?.close();
    await direct?.close();
    await sandbox?.close();
    await workspace?.cleanup();
  });

  it('gives the FHIR server the same resources as a direct sync', async () => {
    const sync = 'sync: { horizonDays: 3, batchSize: 10, concurrency: 4 }\n';
    const toDirect = await runSync(
      workspace,
      sandbox,
      `pipeline: direct\nstate: { path: direct.sqlite }\n${sandboxSource(sandbox)}sinks:\n${fhirSink(direct)}${sync}`,
      'full',
    );
    expect(toDirect).toMatchObject({ read: PROVIDERS, deadLettered: 0 });

    const toCsv = await runSync(
      workspace,
      sandbox,
      `pipeline: to-csv\nstate: { path: to-csv.sqlite }\n${sandboxSource(sandbox)}sinks:
  - use: '@pmsbridge/adapter-csv/sink'
    name: csv
    options: { outputDir: export, bom: true }
${sync}`,
      'full',
    );
    expect(toCsv).toMatchObject({ read: PROVIDERS, written: PROVIDERS, deadLettered: 0 });

    const fromCsv = await runSync(
      workspace,
      sandbox,
      `pipeline: from-csv\nstate: { path: from-csv.sqlite }
source:
  use: '@pmsbridge/adapter-csv/source'
  options: { inputDir: '${join(workspace.dir, 'export')}' }
sinks:\n${fhirSink(viaCsv)}${sync}`,
      'full',
    );
    expect(fromCsv).toMatchObject({ read: PROVIDERS, written: PROVIDERS, deadLettered: 0 });

    for (const type of TYPES) {
      const expected = await resourcesOf(direct, type);
      expect(expected.length).toBeGreaterThan(0);
      expect({ type, resources: await resourcesOf(viaCsv, type) }).toEqual({
        type,
        resources: expected,
      });
    }
  });

  it('carries a deactivation through the CSV files as a removal, then to FHIR', async () => {
    sandbox.admin.deactivateProvider('PRV0000000003');
    const toCsv = await runSync(
      workspace,
      sandbox,
      `pipeline: to-csv\nstate: { path: to-csv.sqlite }\n${sandboxSource(sandbox)}sinks:
  - use: '@pmsbridge/adapter-csv/sink'
    name: csv
    options: { outputDir: export, bom: true }
sync: { horizonDays: 3 }\n`,
      'incremental',
    );
    expect(toCsv).toMatchObject({ mode: 'incremental', read: 1 });
    const fromCsv = await runSync(
      workspace,
      sandbox,
      `pipeline: from-csv\nstate: { path: from-csv.sqlite }
source:
  use: '@pmsbridge/adapter-csv/source'
  options: { inputDir: '${join(workspace.dir, 'export')}' }
sinks:\n${fhirSink(viaCsv)}sync: { horizonDays: 3 }\n`,
      'incremental',
    );
    expect(fromCsv).toMatchObject({ mode: 'incremental', read: 1, deadLettered: 0 });
    const response = await request(
      `${viaCsv.baseUrl}/Practitioner?identifier=${encodeURIComponent('https://healthconnect.io/fhir/sid/provider-id|PRV0000000003')}`,
    );
    const bundle = (await response.body.json()) as {
      entry?: Array<{ resource: { active?: boolean } }>;
    };
    expect(bundle.entry?.[0]?.resource.active).toBe(false);
  });
});
