import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const bin = join(here, '..', '..', 'dist', 'cli', 'bin.js');
const fixtures = join(here, 'fixtures');

/** Runs the built CLI to its end. */
function runCliProcess(args: string[]): Promise<{ code: number | null; stdout: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [bin, ...args], { stdio: ['ignore', 'pipe', 'ignore'] });
    let stdout = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.on('error', reject);
    child.on('exit', (code) => resolve({ code, stdout }));
  });
}

describe('pmsbridge sync with too many dead letters (built CLI in its own process)', () => {
  let dir: string;
  let config: string;
  beforeAll(async () => {
    if (!existsSync(bin)) {
      throw new Error(`${bin} is missing: build first with \`npx tsc -b\` (npm test does)`);
    }
    dir = await mkdtemp(join(tmpdir(), 'pmsbridge-dlq-threshold-'));
    config = join(dir, 'pipeline.yaml');
    // 3 of 10 providers rejected by a stage: 30 %, over the default 10 %.
    await writeFile(
      config,
      `pipeline: threshold
state: { path: state.sqlite }
log: { level: silent }
source: { use: '${join(fixtures, 'counting-source.mjs')}', options: { count: 10 } }
stages:
  - use: '${join(fixtures, 'reject-stage.mjs')}'
    options: { reject: [PRV0000000001, PRV0000000005, PRV0000000009] }
sinks:
  - { use: '${join(fixtures, 'failing-sink.mjs')}', name: out }
`,
    );
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('exits 1 with the reason in the human summary', async () => {
    const { code, stdout } = await runCliProcess(['sync', '--config', config, '--mode', 'full']);
    expect(code).toBe(1);
    expect(stdout).toContain('written 7');
    expect(stdout).toContain(
      'FAILED [PMS_DEAD_LETTER_THRESHOLD]: 3 of 10 records (30 %) were dead-lettered, more than the 10 % allowed by sync.deadLetterThreshold',
    );
  });

  it('exits 1 with ok: false and the error in the --json output', async () => {
    const { code, stdout } = await runCliProcess([
      'sync',
      '--config',
      config,
      '--mode',
      'full',
      '--json',
    ]);
    expect(code).toBe(1);
    expect(JSON.parse(stdout)).toMatchObject({
      ok: false,
      read: 10,
      deadLettered: 3,
      error: { code: 'PMS_DEAD_LETTER_THRESHOLD' },
    });
  });
});
