import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { existsSync, statSync } from 'node:fs';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FaultyDisk } from './testing/faulty-disk.js';
import { reuseFile } from './reused-file.js';

/** A file system other than the temp dir's, where a hard link into it fails (EXDEV). */
const OTHER_FS = '/dev/shm';
const hasOtherFs = existsSync(OTHER_FS) && statSync(OTHER_FS).dev !== statSync(tmpdir()).dev;
const itAcrossFileSystems = hasOtherFs ? it : it.skip;

describe('reuseFile', () => {
  let dir: string;
  let other: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'pmsbridge-reuse-'));
    other = await mkdtemp(join(hasOtherFs ? OTHER_FS : tmpdir(), 'pmsbridge-reuse-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
    await rm(other, { recursive: true, force: true });
  });

  it('links the published file into the new run: the same inode, nothing written', async () => {
    await writeFile(join(dir, 'a.ndjson'), 'line\n');
    const disk = new FaultyDisk();
    expect(await reuseFile(disk, join(dir, 'a.ndjson'), join(dir, 'b.ndjson'))).toBe('linked');
    expect((await stat(join(dir, 'b.ndjson'))).ino).toBe((await stat(join(dir, 'a.ndjson'))).ino);
    expect(disk.calls).toBe(0);
  });

  it('replaces a file an interrupted publication left at the target', async () => {
    await writeFile(join(dir, 'a.ndjson'), 'line\n');
    await writeFile(join(dir, 'b.ndjson'), 'half a li');
    await reuseFile(new FaultyDisk(), join(dir, 'a.ndjson'), join(dir, 'b.ndjson'));
    expect(await readFile(join(dir, 'b.ndjson'), 'utf8')).toBe('line\n');
  });

  itAcrossFileSystems(
    'copies the file, flushed, where it cannot be linked (another file system)',
    async () => {
      await writeFile(join(other, 'a.ndjson'), 'line\n');
      const disk = new FaultyDisk();
      expect(await reuseFile(disk, join(other, 'a.ndjson'), join(dir, 'b.ndjson'))).toBe('copied');
      expect(await readFile(join(dir, 'b.ndjson'), 'utf8')).toBe('line\n');
      // Flushed before it got its name: a power loss keeps all of it.
      await disk.losePower(dir);
      expect(await readFile(join(dir, 'b.ndjson'), 'utf8')).toBe('line\n');
    },
  );
});
