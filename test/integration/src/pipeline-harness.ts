import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig, openSyncApp, silentLogger, type SyncSummary } from '@pmsbridge/core';
import type { Sandbox } from '@pmsbridge/healthconnect-sandbox';

/** Where a test pipeline writes; removed by `cleanup`. */
export interface Workspace {
  dir: string;
  cleanup(): Promise<void>;
}

export async function createWorkspace(): Promise<Workspace> {
  const dir = await mkdtemp(join(tmpdir(), 'pmsbridge-it-'));
  return { dir, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

/** The source entry for a sandbox, with short retry waits so fault runs stay quick. */
export function sandboxSource(sandbox: Sandbox): string {
  return `source:
  use: '@pmsbridge/adapter-healthconnect'
  options:
    baseUrl: '${sandbox.baseUrl}'
    tokenUrl: '${sandbox.tokenUrl}'
    clientId: '${sandbox.clientId}'
    clientSecret: '\${HC_TEST_SECRET}'
    concurrency: 16
    retry: { maxAttempts: 8, baseDelayMs: 5, maxDelayMs: 50, maxRetryAfterMs: 50 }
    circuitBreaker: { enabled: false }
`;
}

/** Writes `config` (YAML) into the workspace and runs one sync through the real CLI composition. */
export async function runSync(
  workspace: Workspace,
  sandbox: Sandbox,
  config: string,
  mode: 'full' | 'incremental',
  extra: { dryRun?: boolean } = {},
): Promise<SyncSummary> {
  const path = join(workspace.dir, 'pipeline.yaml');
  await writeFile(path, config);
  const loaded = await loadConfig(path, { ...process.env, HC_TEST_SECRET: sandbox.clientSecret });
  const app = await openSyncApp(loaded, { logger: silentLogger });
  try {
    return await app.engine.run({ ...app.syncOptions, mode, dryRun: extra.dryRun });
  } finally {
    await app.close();
  }
}
