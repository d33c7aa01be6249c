/**
 * A bulk publication on a disk that fills up, end to end: the built `pmsbridge` CLI syncs
 * the sandbox over HTTP into a publication on a size-limited tmpfs, with its SQLite state on
 * another disk. The sync fails (exit 1) when the tmpfs is full; once space is freed the next
 * run resumes and publishes exactly what a run on a roomy disk publishes.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { execFile, spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { mkdtemp, readFile, rm, rmdir, statfs, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { startSandbox, type Sandbox } from '@pmsbridge/healthconnect-sandbox';
import { sandboxSource } from './pipeline-harness.js';

const run = promisify(execFile);
const bin = join(
  dirname(createRequire(import.meta.url).resolve('@pmsbridge/core/package.json')),
  'dist',
  'cli',
  'bin.js',
);
const TMPFS_BYTES = 8 << 20;

async function mountTmpfs(): Promise<{ dir: string } | { refused: string }> {
  const dir = await mkdtemp(join(tmpdir(), 'pmsbridge-it-tmpfs-'));
  try {
    await run('mount', ['-t', 'tmpfs', '-o', `size=${TMPFS_BYTES}`, 'tmpfs', dir]);
    return { dir };
  } catch (error) {
    await rmdir(dir);
    return { refused: (error as Error).message.split('\n')[0] ?? 'mount failed' };
  }
}

const mounted = await mountTmpfs();
const itOnTmpfs = 'dir' in mounted ? it : it.skip;
if ('refused' in mounted) {
  process.stderr.write(
    `bulk-full-disk: skipping, tmpfs cannot be mounted here (${mounted.refused}); adapters/fhir's injected-ENOSPC tests cover the same paths\n`,
  );
}

/** Runs `pmsbridge sync --json` in `cwd`; resolves with its exit code, stdout and stderr. */
function sync(
  cwd: string,
  secret: string,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [bin, 'sync', '--config', 'pipeline.yaml', '--json'], {
      cwd,
      env: { ...process.env, HC_TEST_SECRET: secret },
      stdio: ['ignore', 'pipe', 'pipe'],
      timeout: 120_000,
      killSignal: 'SIGKILL',
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

/** Each file of the publication `$bulk-publish` lists, by name (run ids differ), with its lines. */
async function publication(outputDir: string): Promise<Record<string, string[]>> {
  const manifest = JSON.parse(await readFile(join(outputDir, '$bulk-publish'), 'utf8')) as {
    output: Array<{ url: string }>;
  };
  const files: Record<string, string[]> = {};
  for (const { url } of manifest.output) {
    const rel = url.slice(url.indexOf('runs/'));
    const text = await readFile(join(outputDir, rel), 'utf8');
    files[rel.split('/').pop() ?? rel] = text.split('\n');
  }
  return files;
}

describe('pmsbridge sync into a bulk publication on a disk that fills up', () => {
  let sandbox: Sandbox;
  let work: string;

  beforeAll(async () => {
    sandbox = await startSandbox({ providers: 80, seed: 11 });
    work = await mkdtemp(join(tmpdir(), 'pmsbridge-it-full-disk-'));
  });
  afterAll(async () => {
    await sandbox?.close();
    await rm(work, { recursive: true, force: true });
    if ('dir' in mounted) {
      await run('umount', [mounted.dir]);
      await rmdir(mounted.dir);
    }
  });

  /** A pipeline directory (config + state) writing its publication to `outputDir`. */
  async function pipeline(name: string, outputDir: string): Promise<string> {
    const cwd = await mkdtemp(join(work, `${name}-`));
    await writeFile(
      join(cwd, 'pipeline.yaml'),
      `pipeline: ${name}
state: { path: state.sqlite }
log: { level: silent }
${sandboxSource(sandbox)}
sinks:
  - use: '@pmsbridge/adapter-smart-scheduling-links'
    name: ssl
    options: { outputDir: '${outputDir}', splitBy: state, baseUrl: 'https://pub.example' }
sync: { horizonDays: 3, batchSize: 10, concurrency: 4 }
`,
    );
    return cwd;
  }

  itOnTmpfs(
    'exits 1 on ENOSPC, then resumes once space is freed and publishes what a roomy disk gets',
    async () => {
      if (!('dir' in mounted)) return;
      const cleanDir = join(work, 'clean-publication');
      expect(await sync(await pipeline('clean', cleanDir), sandbox.clientSecret)).toMatchObject({
        code: 0,
        stderr: '',
      });
      const clean = await publication(cleanDir);

      const free = async () => {
        const fs = await statfs(mounted.dir);
        return fs.bavail * fs.bsize;
      };
      const before = await free();
      const measure = await pipeline('measure', join(mounted.dir, 'measure'));
      expect((await sync(measure, sandbox.clientSecret)).code).toBe(0);
      const usage = before - (await free());
      await rm(join(mounted.dir, 'measure'), { recursive: true });

      const outputDir = join(mounted.dir, 'publication');
      const cwd = await pipeline('full-disk', outputDir);
      const ballast = join(mounted.dir, 'ballast');
      await writeFile(ballast, Buffer.alloc((await free()) - Math.floor(usage / 2)));
      const failed = await sync(cwd, sandbox.clientSecret);
      expect(failed.code).toBe(1);
      expect(`${failed.stdout}${failed.stderr}`).toMatch(/is full \(ENOSPC\)/);
      expect(`${failed.stdout}${failed.stderr}`).not.toContain(sandbox.clientSecret);

      await rm(ballast);
      const resumedRun = await sync(cwd, sandbox.clientSecret);
      expect(resumedRun).toMatchObject({ code: 0, stderr: '' });
      expect(JSON.parse(resumedRun.stdout)).toMatchObject({ mode: 'full', resumed: true });
      const resumed = await publication(outputDir);
      expect(resumed).toEqual(clean);
      const lines = Object.values(resumed).flat();
      expect(lines.filter((line) => line.includes('\u0000'))).toEqual([]);
      const ids = lines
        .filter((line) => line !== '')
        .map((line) => {
          const { resourceType, id } = JSON.parse(line) as { resourceType: string; id: string };
          return `${resourceType}/${id}`;
        });
      expect(ids.length - new Set(ids).size).toBe(0);
    },
    300_000,
  );
});
