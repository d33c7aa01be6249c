import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SqliteStateStore } from '@pmsbridge/core';
import { startSandbox, type Sandbox } from '@pmsbridge/healthconnect-sandbox';
import { createWorkspace, runSync, sandboxSource, type Workspace } from './pipeline-harness.js';

const here = dirname(fileURLToPath(import.meta.url));
const PROVIDERS = 400;

declare global {
  var __collected: Record<string, string[]> | undefined;
}

describe('a full sync through injected faults', () => {
  let sandbox: Sandbox;
  let workspace: Workspace;

  beforeAll(async () => {
    sandbox = await startSandbox({
      providers: PROVIDERS,
      seed: 11,
      faults: '*:500=0.04,502=0.03,503=0.03,429=0.05,reset=0.02,malformed=0.01;invalidRecords=0.01',
    });
    workspace = await createWorkspace();
  });

  afterAll(async () => {
    await sandbox?.close();
    await workspace?.cleanup();
  });

  it('delivers every valid provider exactly once and dead-letters exactly the invalid records', async () => {
    const config = `pipeline: faults
state: { path: state.sqlite }
${sandboxSource(sandbox)}
sinks:
  - use: '${join(here, 'fixtures', 'collecting-sink.mjs')}'
    options: { bucket: faults }
sync: { horizonDays: 2, batchSize: 25, concurrency: 8 }
`;
    const summary = await runSync(workspace, sandbox, config, 'full');
    const corrupted = sandbox.admin.corruptedProviderIds().sort();
    expect(corrupted.length).toBeGreaterThan(0);

    const delivered = globalThis.__collected?.faults ?? [];
    expect(new Set(delivered).size).toBe(delivered.length);
    expect(delivered.length + corrupted.length).toBe(PROVIDERS);
    for (const id of corrupted) expect(delivered).not.toContain(id);
    expect(summary.deadLettered).toBe(corrupted.length);

    const state = SqliteStateStore.open(join(workspace.dir, 'state.sqlite'));
    try {
      const letters = await state.listDeadLetters('faults');
      expect(letters.map((letter) => letter.key).sort()).toEqual(corrupted);
      expect(letters.every((letter) => letter.reason.code === 'PMS_VALIDATION')).toBe(true);
    } finally {
      await state.close();
    }
  });
});
