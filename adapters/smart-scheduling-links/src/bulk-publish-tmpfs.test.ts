import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { execFile } from 'node:child_process';
import { mkdtemp, rm, rmdir, statfs, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { PopulationSource } from './testing/population-source.js';
import { PublicationPipeline } from './testing/publication-pipeline.js';
import {
  comparablePublication,
  readPublication,
  resourcesOf,
  type ComparableFile,
} from './testing/publication.js';

const run = promisify(execFile);
const PROVIDERS = 24;
const TMPFS_BYTES = 4 << 20;

/** A size-limited filesystem of our own: a tmpfs mount, which needs root. */
async function mountTmpfs(): Promise<{ dir: string } | { refused: string }> {
  const dir = await mkdtemp(join(tmpdir(), 'pmsbridge-tmpfs-'));
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
    `bulk-publish-tmpfs: skipping the real full-disk tests, tmpfs cannot be mounted here (${mounted.refused}); the injected-ENOSPC tests in bulk-publish-durability.test.ts still run\n`,
  );
}

describe('bulk publication on a real filesystem that fills up (tmpfs)', () => {
  let clean: ComparableFile[];

  beforeAll(async () => {
    const dir = await mkdtemp(join(tmpdir(), 'pmsbridge-tmpfs-clean-'));
    try {
      await new PublicationPipeline(dir, new PopulationSource(PROVIDERS)).run('full');
      clean = await comparablePublication(dir);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  afterAll(async () => {
    if (!('dir' in mounted)) return;
    await run('umount', [mounted.dir]);
    await rmdir(mounted.dir);
  });

  itOnTmpfs(
    'fails with ENOSPC, and once space is freed resumes to the clean publication',
    async () => {
      if (!('dir' in mounted)) return;
      const root = mounted.dir;
      const free = async () => {
        const fs = await statfs(root);
        return fs.bavail * fs.bsize;
      };
      // What the publication takes on this filesystem (pages, not bytes): a clean run there.
      const before = await free();
      await new PublicationPipeline(join(root, 'clean'), new PopulationSource(PROVIDERS)).run(
        'full',
      );
      const usage = before - (await free());
      await rm(join(root, 'clean'), { recursive: true });
      expect(usage).toBeGreaterThan(128 << 10);
      const resumed: boolean[] = [];
      // Leave room for a third, a half, and most of the publication: the disk fills in a
      // different file and batch each time.
      for (const share of [0.35, 0.5, 0.8]) {
        const dir = join(root, `pub-${share}`);
        const ballast = join(root, 'ballast');
        await writeFile(ballast, Buffer.alloc((await free()) - Math.floor(usage * share)));
        const pipeline = new PublicationPipeline(dir, new PopulationSource(PROVIDERS));
        await expect(pipeline.run('full')).rejects.toMatchObject({
          code: 'PMS_PUBLICATION_DISK_FULL',
          message: expect.stringMatching(/is full \(ENOSPC\)/) as unknown,
        });
        await rm(ballast);
        resumed.push((await pipeline.run('full')).resumed);
        const publication = await comparablePublication(dir);
        expect({ share, publication }).toEqual({ share, publication: clean });
        const { files } = await readPublication(dir);
        for (const file of files.values())
          for (const line of file.lines) expect(line).not.toContain('\u0000');
        const ids = resourcesOf(files).map((r) => `${r.resourceType}/${r.id}`);
        expect(new Set(ids).size).toBe(ids.length);
        await rm(dir, { recursive: true, force: true });
      }
      // The disk filled after a checkpoint at least once: those runs resumed from it.
      expect(resumed).toContain(true);
    },
    120_000,
  );
});
