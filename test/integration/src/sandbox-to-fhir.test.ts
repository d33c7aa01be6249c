import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { request } from 'undici';
import { createHealthConnectClient } from '@pmsbridge/adapter-healthconnect';
import { startSandbox, type Sandbox } from '@pmsbridge/healthconnect-sandbox';
import { startFhirServer, type FhirServer } from '@pmsbridge/test-fhir-server';
import { createWorkspace, runSync, sandboxSource, type Workspace } from './pipeline-harness.js';

const PROVIDERS = 60;

async function searchTotal(fhir: FhirServer, query: string): Promise<number> {
  const response = await request(
    `${fhir.baseUrl}/${query}${query.includes('?') ? '&' : '?'}_summary=count`,
  );
  const body = (await response.body.json()) as { total?: number };
  return body.total ?? -1;
}

describe('sandbox → pipeline → FHIR server', () => {
  let sandbox: Sandbox;
  let fhir: FhirServer;
  let workspace: Workspace;
  let config: string;

  beforeAll(async () => {
    sandbox = await startSandbox({ providers: PROVIDERS, seed: 7 });
    fhir = await startFhirServer();
    workspace = await createWorkspace();
    config = `pipeline: it-fhir
state: { path: state.sqlite }
${sandboxSource(sandbox)}
sinks:
  - use: '@pmsbridge/adapter-fhir'
    name: fhir
    options: { target: server, baseUrl: '${fhir.baseUrl}' }
sync: { horizonDays: 3, batchSize: 20, concurrency: 8 }
`;
  });

  afterAll(async () => {
    await fhir?.close();
    await sandbox?.close();
    await workspace?.cleanup();
  });

  it('creates exactly one Practitioner per source provider, with roles, schedules and slots', async () => {
    const summary = await runSync(workspace, sandbox, config, 'full');
    expect(summary).toMatchObject({ read: PROVIDERS, written: PROVIDERS, deadLettered: 0 });
    expect(await searchTotal(fhir, 'Practitioner')).toBe(PROVIDERS);
    const roles = summary.sinks.fhir?.PractitionerRole?.created ?? 0;
    expect(roles).toBeGreaterThanOrEqual(PROVIDERS);
    expect(await searchTotal(fhir, 'PractitionerRole')).toBe(roles);
    expect(await searchTotal(fhir, 'Slot')).toBe(summary.sinks.fhir?.Slot?.created);
  });

  it('finds a practitioner by NPI exactly once', async () => {
    const client = createHealthConnectClient({
      baseUrl: sandbox.baseUrl,
      tokenUrl: sandbox.tokenUrl,
      clientId: sandbox.clientId,
      clientSecret: sandbox.clientSecret,
    });
    const provider = await client.getProvider('PRV0000000001');
    await client.close();
    if (provider === undefined) throw new Error('the sandbox lost PRV0000000001');
    expect(
      await searchTotal(
        fhir,
        `Practitioner?identifier=http://hl7.org/fhir/sid/us-npi|${provider.npi}`,
      ),
    ).toBe(1);
  });

  it('changes nothing on a second run over an unchanged source', async () => {
    fhir.resetStats();
    const before = await searchTotal(fhir, 'Slot');
    fhir.resetStats();
    const summary = await runSync(workspace, sandbox, config.replace('it-fhir', 'it-fhir'), 'full');
    expect(summary.written).toBe(0);
    expect(summary.unchanged).toBe(PROVIDERS);
    const writes = Object.entries(fhir.stats().byMethod)
      .filter(([method]) => method !== 'GET')
      .reduce((sum, [, count]) => sum + count, 0);
    expect(writes).toBe(0);
    expect(await searchTotal(fhir, 'Slot')).toBe(before);
  });

  it('shows a deactivation made in the sandbox after an incremental run', async () => {
    sandbox.admin.deactivateProvider('PRV0000000002');
    const summary = await runSync(workspace, sandbox, config, 'incremental');
    expect(summary.mode).toBe('incremental');
    expect(summary.read).toBe(1);
    const response = await request(
      `${fhir.baseUrl}/Practitioner?identifier=${encodeURIComponent('https://healthconnect.io/fhir/sid/provider-id|PRV0000000002')}`,
    );
    const bundle = (await response.body.json()) as {
      entry?: Array<{ resource: { active?: boolean } }>;
    };
    expect(bundle.entry?.[0]?.resource.active).toBe(false);
  });
});
