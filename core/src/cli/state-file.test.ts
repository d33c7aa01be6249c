import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, open, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const bin = join(here, '..', '..', 'dist', 'cli', 'bin.js');
const fixtures = join(here, 'fixtures');

interface Outcome {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs the built CLI. A child still running after 20 s is killed, so that a regression to a
 * hang fails the test (with a null exit code) instead of stalling the suite.
 */
function runCliProcess(args: string[]): Promise<Outcome> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [bin, ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
      timeout: 20_000,
      killSignal: 'SIGKILL',
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('exit', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
}

/** Overwrites SQLite pages `pages` (1-based, 4 KiB each) of `path` with garbage. */
async function overwritePages(path: string, pages: readonly number[]): Promise<void> {
  const handle = await open(path, 'r+');
  try {
    for (const page of pages) {
      await handle.write(Buffer.alloc(4096, 0x5a), 0, 4096, (page - 1) * 4096);
    }
  } finally {
    await handle.close();
  }
}

describe('pmsbridge and its state file', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'pmsbridge-state-file-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  async function config(statePath: string): Promise<string> {
    const path = join(dir, 'pipeline.yaml');
    await writeFile(
      path,
      `pipeline: state-file
state: { path: '${statePath}' }
log: { level: silent }
source: { use: '${join(fixtures, 'counting-source.mjs')}', options: { count: 300 } }
stages: [{ use: '${join(fixtures, 'reject-stage.mjs')}', options: { reject: [PRV0000000003] } }]
sinks:
  - { use: '${join(fixtures, 'failing-sink.mjs')}', name: out }
`,
    );
    return path;
  }

  it('refuses a damaged state file with exit 1, naming the file and what to do', async () => {
    const path = await config('state.sqlite');
    const state = join(dir, 'state.sqlite');
    expect((await runCliProcess(['sync', '-c', path, '--mode', 'full'])).code).toBe(0);
    // The first run closed the file cleanly: everything is in the main file, no WAL.
    expect((await stat(state)).size).toBeGreaterThan(4 * 4096);
    await overwritePages(state, [2, 3, 4]);

    for (const args of [
      ['sync', '-c', path, '--mode', 'full'],
      ['dlq', 'list', '-c', path],
    ]) {
      const outcome = await runCliProcess(args);
      expect(outcome.code).toBe(1);
      expect(outcome.stderr).toContain(`The state database ${state} is damaged`);
      expect(outcome.stderr).toContain('Restore it from a backup, or delete it');
      expect(outcome.stderr).toContain('pmsbridge sync --mode full');
      expect(outcome.stderr).toContain('[PMS_STATE_DAMAGED]');
      expect(outcome.stderr).not.toContain('Could not close');
    }
  });

  it('refuses a state file that is not a SQLite database', async () => {
    const path = await config('state.sqlite');
    await writeFile(join(dir, 'state.sqlite'), 'x'.repeat(8192));
    const outcome = await runCliProcess(['sync', '-c', path, '--mode', 'full']);
    expect(outcome.code).toBe(1);
    expect(outcome.stderr).toContain(`The state database ${join(dir, 'state.sqlite')} is damaged`);
  });

  it('dlq commands on a state path that does not exist say so and create nothing', async () => {
    const path = await config('mistyped/state.sqlite');
    for (const action of ['list', 'replay', 'purge']) {
      const outcome = await runCliProcess(['dlq', action, '-c', path]);
      expect(outcome.code).toBe(1);
      expect(outcome.stderr).toContain(
        `There is no state database at ${join(dir, 'mistyped', 'state.sqlite')}`,
      );
    }
    expect(existsSync(join(dir, 'mistyped'))).toBe(false);
  });

  it.each([
    ['/proc/pmsbridge/state.sqlite', "ENOENT: no such file or directory, mkdir '/proc/pmsbridge'"],
    ['/proc/1/pmsbridge/state.sqlite', "mkdir '/proc/1/pmsbridge'"],
    ['/proc/state.sqlite', 'files cannot be created in /proc (ENOENT)'],
  ])(
    'fails fast with exit 1 on a state path that cannot be created (%s)',
    async (statePath, reason) => {
      if (!existsSync('/proc/1')) return; // Linux only
      const outcome = await runCliProcess([
        'sync',
        '-c',
        await config(statePath),
        '--mode',
        'full',
      ]);
      expect(outcome.signal).toBeNull();
      expect(outcome.code).toBe(1);
      expect(outcome.stderr).toContain(`Could not open the state database at ${statePath}`);
      expect(outcome.stderr).toContain(reason);
    },
  );
});
