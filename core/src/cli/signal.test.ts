import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const bin = join(here, '..', '..', 'dist', 'cli', 'bin.js');
const fixtures = join(here, 'fixtures');

/** Runs the built CLI; with `interruptAfterAcks`, sends SIGINT once that many batches were acknowledged. */
function runCliProcess(
  args: string[],
  interruptAfterAcks?: number,
): Promise<{ code: number | null; stdout: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [bin, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let acks = 0;
    let stdout = '';
    let isInterrupted = false;
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => {
      acks += chunk
        .toString()
        .split('\n')
        .filter((line) => line === 'acked').length;
      if (interruptAfterAcks !== undefined && acks >= interruptAfterAcks && !isInterrupted) {
        isInterrupted = true;
        child.kill('SIGINT');
      }
    });
    child.on('error', reject);
    child.on('exit', (code) => resolve({ code, stdout }));
  });
}

describe('pmsbridge sync and SIGINT', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'pmsbridge-sigint-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('stops on SIGINT with exit code 1 and a checkpoint the next run resumes from without duplicates', async () => {
    const out = join(dir, 'out.txt');
    const config = join(dir, 'pipeline.yaml');
    await writeFile(
      config,
      `pipeline: sigint
state: { path: state.sqlite }
log: { level: silent }
source: { use: '${join(fixtures, 'counting-source.mjs')}', options: { count: 3000 } }
sinks: [{ use: '${join(fixtures, 'file-sink.mjs')}', name: file, options: { path: '${out}' } }]
sync: { batchSize: 10, concurrency: 2 }
`,
    );
    const interrupted = await runCliProcess(
      ['sync', '--config', config, '--mode', 'full', '--json'],
      5,
    );
    expect(interrupted.code).toBe(1);
    expect(JSON.parse(interrupted.stdout)).toMatchObject({
      ok: false,
      error: { code: 'PMS_CANCELLED' },
    });
    const partial = (await readFile(out, 'utf8')).split('\n').filter(Boolean);
    expect(partial.length).toBeGreaterThan(0);
    expect(partial.length).toBeLessThan(3000);

    const resumed = await runCliProcess(['sync', '--config', config, '--mode', 'full', '--json']);
    expect(resumed.code).toBe(0);
    expect(JSON.parse(resumed.stdout)).toMatchObject({ resumed: true });
    const lines = (await readFile(out, 'utf8')).split('\n').filter(Boolean);
    expect(lines).toEqual(
      Array.from({ length: 3000 }, (_, i) => `PRV${String(i + 1).padStart(10, '0')}`),
    );
  });
});
