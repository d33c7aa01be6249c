import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { request } from 'undici';
import { createHealthConnectClient } from '@pmsbridge/adapter-healthconnect';
import { startSandbox, type Sandbox } from '@pmsbridge/healthconnect-sandbox';
import { startFhirServer, type FhirServer } from '@pmsbridge/test-fhir-server';
import { PMSBRIDGE_CLI as cli, lineMatching } from './cli-process.js';
import { createWorkspace, runSync, sandboxSource, type Workspace } from './pipeline-harness.js';

async function newPatientsOf(fhir: FhirServer, providerId: string): Promise<string | undefined> {
  const response = await request(
    `${fhir.baseUrl}/PractitionerRole?practitioner=Practitioner/${providerId}`,
  );
  const bundle = (await response.body.json()) as {
    entry?: Array<{
      resource: {
        extension?: Array<{
          extension?: Array<{
            url: string;
            valueBoolean?: boolean;
            valueCodeableConcept?: { coding?: Array<{ code?: string }> };
          }>;
        }>;
      };
    }>;
  };
  const parts = bundle.entry?.[0]?.resource.extension?.flatMap((ext) => ext.extension ?? []) ?? [];
  return parts.find((part) => part.url === 'acceptingPatients')?.valueCodeableConcept?.coding?.[0]
    ?.code;
}

describe('pmsbridge webhooks', () => {
  let sandbox: Sandbox;
  let fhir: FhirServer;
  let workspace: Workspace;
  let child: ChildProcess | undefined;

  beforeAll(async () => {
    sandbox = await startSandbox({ providers: 20, seed: 5 });
    fhir = await startFhirServer();
    workspace = await createWorkspace();
  });

  afterAll(async () => {
    if (child !== undefined && child.exitCode === null) {
      child.kill('SIGKILL');
      await once(child, 'exit');
    }
    await fhir?.close();
    await sandbox?.close();
    await workspace?.cleanup();
  });

  it('re-reads only the provider a webhook names into the FHIR server, and unsubscribes at exit', async () => {
    const config = `pipeline: webhooks
state: { path: state.sqlite }
log: { level: info }
${sandboxSource(sandbox)}
sinks:
  - use: '@pmsbridge/adapter-fhir'
    name: fhir
    options: { target: server, baseUrl: '${fhir.baseUrl}' }
sync: { horizonDays: 2 }
`;
    await runSync(workspace, sandbox, config, 'full');
    expect(await newPatientsOf(fhir, 'PRV0000000003')).toBeDefined();
    const path = join(workspace.dir, 'pipeline.yaml');
    await writeFile(path, config);

    child = spawn(
      process.execPath,
      [cli, 'webhooks', '--config', path, '--port', '0', '--subscribe'],
      {
        env: { ...process.env, HC_TEST_SECRET: sandbox.clientSecret },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    const stdout = child.stdout;
    const stderr = child.stderr;
    if (stdout === null || stderr === null) throw new Error('no pipes');
    await lineMatching(stdout, /^listening on http/);
    const synced = lineMatching(stderr, /providers re-read after webhooks/);

    const before = sandbox.requests().length;
    sandbox.admin.updateProvider('PRV0000000003', { accepting_new_patients: false });
    const line = await synced;
    expect(JSON.parse(line)).toMatchObject({ read: 1, written: 1 });
    expect(await newPatientsOf(fhir, 'PRV0000000003')).toBe('nopt');
    // Targeted: that provider and its schedule, not the changes feed nor any other provider.
    const reads = sandbox
      .requests()
      .slice(before)
      .filter((r) => r.method === 'GET')
      .map((r) => r.path.replace(/^\/provider\/v2/, ''));
    expect(reads.sort()).toEqual(['/providers/PRV0000000003', '/providers/PRV0000000003/schedule']);

    child.kill('SIGTERM');
    const [code] = (await once(child, 'exit')) as [number | null];
    expect(code).toBe(0);
    expect(sandbox.admin.webhookDeliveries().length).toBeGreaterThan(0);
    const client = createHealthConnectClient({
      baseUrl: sandbox.baseUrl,
      tokenUrl: sandbox.tokenUrl,
      clientId: sandbox.clientId,
      clientSecret: sandbox.clientSecret,
      scopes: ['webhooks:manage'],
    });
    expect(await client.listWebhooks()).toEqual([]);
    await client.close();
  });
});
