import { beforeAll, describe, expect, it } from '@jest/globals';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const script = join(here, 'fixtures', 'crashing-sync.mjs');

/** Runs the sync in a child; with `killAfterAcks`, SIGKILLs it once that many batches were acknowledged. */
function runChild(
  args: string[],
  killAfterAcks?: number,
): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [script, ...args], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let acks = 0;
    child.stdout.on('data', (chunk: Buffer) => {
      acks += chunk
        .toString()
        .split('\n')
        .filter((line) => line.startsWith('acked')).length;
      if (killAfterAcks !== undefined && acks >= killAfterAcks) child.kill('SIGKILL');
    });
    child.on('error', reject);
    child.on('exit', (code, signal) => resolve({ code, signal }));
  });
}

describe('sync resume after the process is killed', () => {
  beforeAll(() => {
    // The child runs the built core: without it every test here would fail for a reason
    // that has nothing to do with resuming.
    const built = join(here, '..', '..', 'dist', 'index.js');
    if (!existsSync(built)) {
      throw new Error(`${built} is missing: build first with \`npx tsc -b\` (npm test does)`);
    }
  });

  it('ends with every record exactly once after a SIGKILL mid-run and a restart', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'pmsbridge-crash-'));
    try {
      const args = [join(dir, 'state.sqlite'), join(dir, 'out.txt'), '400'];
      const killed = await runChild(args, 12);
      expect(killed.signal).toBe('SIGKILL');
      expect(existsSync(join(dir, 'out.txt.done'))).toBe(false);
      const partial = (await readFile(join(dir, 'out.txt'), 'utf8')).split('\n').filter(Boolean);
      expect(partial.length).toBeGreaterThan(0);
      expect(partial.length).toBeLessThan(400);

      const resumed = await runChild(args);
      expect(resumed.code).toBe(0);
      const lines = (await readFile(join(dir, 'out.txt'), 'utf8')).split('\n').filter(Boolean);
      const expected = Array.from(
        { length: 400 },
        (_, i) => `PRV${String(i + 1).padStart(10, '0')}`,
      );
      expect(lines).toEqual(expected);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
