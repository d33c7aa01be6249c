import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { request } from 'undici';
import { createHealthConnectClient } from '@pmsbridge/adapter-healthconnect';
import { startSandbox, type Sandbox } from '@pmsbridge/healthconnect-sandbox';
import { startFhirServer, type FhirServer } from '@pmsbridge/test-fhir-server';
import { createWorkspace, runSync, sandboxSource, type Workspace } from './pipeline-harness.js';
import { startTransactionRecorder, type TransactionRecorder } from './transaction-recorder.js';

const PUBLIC_BASE = 'http://publication.test';

/** `Type/id` of every resource line of the current publication, repeats included. */
async function publishedResources(dir: string): Promise<string[]> {
  const manifest = JSON.parse(await readFile(join(dir, '$bulk-publish'), 'utf8')) as {
    output: Array<{ url: string }>;
  };
  const ids: string[] = [];
  for (const output of manifest.output) {
    const path = decodeURIComponent(new URL(output.url).pathname);
    const text = await readFile(join(dir, path), 'utf8');
    for (const line of text.split('\n').filter(Boolean)) {
      const resource = JSON.parse(line) as { resourceType: string; id: string };
      ids.push(`${resource.resourceType}/${resource.id}`);
    }
  }
  return ids;
}

const repeated = (values: readonly string[]): string[] =>
  values.filter((value, index) => values.indexOf(value) !== index);

describe('incremental runs write a provider changed several times once (sandbox → FHIR server + bulk publication)', () => {
  let sandbox: Sandbox;
  let fhir: FhirServer;
  let recorder: TransactionRecorder;
  let workspace: Workspace;
  let config: string;
  let bulkDir: string;

  beforeAll(async () => {
    sandbox = await startSandbox({ providers: 8, seed: 11 });
    fhir = await startFhirServer();
    recorder = await startTransactionRecorder(fhir.baseUrl);
    workspace = await createWorkspace();
    bulkDir = join(workspace.dir, 'bulk');
    config = `pipeline: it-coalesce
state: { path: state.sqlite }
${sandboxSource(sandbox)}
sinks:
  - use: '@pmsbridge/adapter-fhir'
    name: fhir
    options: { target: server, baseUrl: '${recorder.baseUrl}' }
  - use: '@pmsbridge/adapter-smart-scheduling-links'
    name: bulk
    options: { outputDir: bulk, baseUrl: '${PUBLIC_BASE}' }
sync: { horizonDays: 7, batchSize: 50, concurrency: 4 }
`;
    await runSync(workspace, sandbox, config, 'full');
  });

  afterAll(async () => {
    await recorder?.close();
    await fhir?.close();
    await sandbox?.close();
    await workspace?.cleanup();
  });

  /** Runs an incremental sync and checks the publication and every transaction sent. */
  async function incrementalRun() {
    recorder.clear();
    const summary = await runSync(workspace, sandbox, config, 'incremental');
    expect(summary).toMatchObject({ mode: 'incremental', deadLettered: 0 });
    expect(recorder.transactions.length).toBeGreaterThan(0);
    for (const bundle of recorder.transactions) {
      expect(repeated((bundle.entry ?? []).map((entry) => entry.request?.url ?? ''))).toEqual([]);
    }
    expect(repeated(await publishedResources(bulkDir))).toEqual([]);
    return summary;
  }

  async function freeSlots(providerId: string, count: number): Promise<string[]> {
    const client = createHealthConnectClient({
      baseUrl: sandbox.baseUrl,
      tokenUrl: sandbox.tokenUrl,
      clientId: sandbox.clientId,
      clientSecret: sandbox.clientSecret,
    });
    try {
      const today = new Date().toISOString().slice(0, 10);
      const inAWeek = new Date(Date.now() + 6 * 86_400_000).toISOString().slice(0, 10);
      const slots = await client.getSchedule(providerId, { startDate: today, endDate: inAWeek });
      const free = slots.filter((slot) => slot.available).map((slot) => slot.id);
      if (free.length < count) throw new Error(`${providerId} has only ${free.length} free slots`);
      return free.slice(0, count);
    } finally {
      await client.close();
    }
  }

  async function isActive(type: string, id: string): Promise<boolean | undefined> {
    const response = await request(`${fhir.baseUrl}/${type}/${id}`);
    const body = (await response.body.json()) as { active?: boolean };
    return body.active;
  }

  it.each([1, 3])('books %i slot(s) of one provider and writes it once', async (bookings) => {
    for (const slotId of await freeSlots('PRV0000000001', bookings)) {
      sandbox.admin.bookSlot('PRV0000000001', slotId);
    }
    const summary = await incrementalRun();
    expect(summary).toMatchObject({ read: bookings, coalesced: bookings - 1 });
  });

  it('writes a provider updated 50 times once, in its last state', async () => {
    for (let i = 1; i <= 50; i += 1) {
      sandbox.admin.updateProvider('PRV0000000002', { phone: `+1 555 010 ${1000 + i}` });
    }
    const summary = await incrementalRun();
    expect(summary).toMatchObject({ read: 50, coalesced: 49 });
    const response = await request(`${fhir.baseUrl}/Practitioner/PRV0000000002`);
    const practitioner = (await response.body.json()) as { telecom?: Array<{ value?: string }> };
    expect(practitioner.telecom?.map((telecom) => telecom.value)).toContain('+1 555 010 1050');
  });

  it('lets a deactivation after updates win and an update after a deactivation reactivate', async () => {
    const [slotId] = await freeSlots('PRV0000000003', 1);
    sandbox.admin.bookSlot('PRV0000000003', slotId ?? '');
    sandbox.admin.updateProvider('PRV0000000003', { accepting_new_patients: false });
    sandbox.admin.deactivateProvider('PRV0000000003');
    sandbox.admin.deactivateProvider('PRV0000000004');
    sandbox.admin.updateProvider('PRV0000000004', { status: 'active' });
    const summary = await incrementalRun();
    expect(summary).toMatchObject({ read: 5, coalesced: 3 });
    expect(await isActive('Practitioner', 'PRV0000000003')).toBe(false);
    expect(await isActive('Practitioner', 'PRV0000000004')).toBe(true);
  });
});
