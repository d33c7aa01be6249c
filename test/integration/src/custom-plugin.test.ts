import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createHealthConnectClient } from '@pmsbridge/adapter-healthconnect';
import { startSandbox, type Sandbox } from '@pmsbridge/healthconnect-sandbox';
import { createWorkspace, runSync, sandboxSource, type Workspace } from './pipeline-harness.js';

/** The ids of every provider of the sandbox who accepts new patients, by the client's reading. */
async function acceptingIds(sandbox: Sandbox): Promise<string[]> {
  const client = createHealthConnectClient({
    baseUrl: sandbox.baseUrl,
    tokenUrl: sandbox.tokenUrl,
    clientId: sandbox.clientId,
    clientSecret: sandbox.clientSecret,
  });
  const ids: string[] = [];
  try {
    for await (const page of client.searchProviders({}, { useCache: false }))
      for (const provider of page.providers)
        if (provider.acceptingNewPatients) ids.push(provider.id);
  } finally {
    await client.close();
  }
  return ids;
}

describe('a plugin package written outside the adapters, loaded from config', () => {
  let sandbox: Sandbox;
  let workspace: Workspace;

  beforeAll(async () => {
    sandbox = await startSandbox({ providers: 40, seed: 11 });
    workspace = await createWorkspace();
  });

  afterAll(async () => {
    await sandbox?.close();
    await workspace?.cleanup();
  });

  it('runs the example stage and sink by package name, as the built-in plugins run', async () => {
    const config = `pipeline: it-custom
state: { path: state.sqlite }
${sandboxSource(sandbox)}
stages:
  - use: '@pmsbridge/example-custom-plugin/accepting-filter'
sinks:
  - use: '@pmsbridge/example-custom-plugin/ndjson-sink'
    name: audit
    options: { path: audit.ndjson }
sync: { horizonDays: 2, batchSize: 10 }
`;
    const summary = await runSync(workspace, sandbox, config, 'full');
    const lines = (await readFile(join(workspace.dir, 'audit.ndjson'), 'utf8'))
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { key: string; summary: { slots?: number } });
    const accepting = await acceptingIds(sandbox);
    expect(accepting.length).toBeGreaterThan(0);
    expect(accepting.length).toBeLessThan(40);
    expect(lines.map((line) => line.key).sort()).toEqual(accepting.sort());
    expect(summary).toMatchObject({ read: 40, written: lines.length, deadLettered: 0 });
    expect(summary.filtered).toBe(40 - lines.length);
  });
});
