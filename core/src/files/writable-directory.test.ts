import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError } from '../errors/errors.js';
import { createDirectory, ensureWritableDirectory } from './writable-directory.js';

const isLinux = existsSync('/proc/1');

describe('createDirectory and ensureWritableDirectory', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'pmsbridge-dir-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('creates missing parents and accepts an existing directory', () => {
    const deep = join(dir, 'a', 'b', 'c');
    createDirectory(deep);
    expect(statSync(deep).isDirectory()).toBe(true);
    createDirectory(deep);
    ensureWritableDirectory(deep, 'sinks[0].options.outputDir');
    // The write probe leaves nothing behind.
    expect(readdirSync(deep)).toEqual([]);
  });

  it('names the option when a file stands where the directory should be', async () => {
    await writeFile(join(dir, 'file'), '');
    expect(() => ensureWritableDirectory(join(dir, 'file'), 'sinks[1].options.outputDir')).toThrow(
      `sinks[1].options.outputDir: the directory ${join(dir, 'file')} cannot be created (EEXIST)`,
    );
    expect(() => ensureWritableDirectory(join(dir, 'file', 'out'), 'outputDir')).toThrow(
      /cannot be created \(ENOTDIR\)/,
    );
  });

  (isLinux ? it : it.skip)('fails at once under /proc instead of retrying mkdir forever', () => {
    expect(() => createDirectory('/proc/pmsbridge/out')).toThrow(
      /ENOENT.*mkdir '\/proc\/pmsbridge'/,
    );
    let caught: unknown;
    try {
      ensureWritableDirectory('/proc/pmsbridge', 'sinks[1].options.outputDir');
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(ConfigError);
    expect((caught as Error).message).toBe(
      'sinks[1].options.outputDir: the directory /proc/pmsbridge cannot be created (ENOENT); ' +
        'point sinks[1].options.outputDir at a directory this user can write, or fix its permissions',
    );
  });

  (isLinux ? it : it.skip)('reports a directory that exists but cannot be written', () => {
    // /proc is a directory nobody, root included, can create files in.
    expect(() => ensureWritableDirectory('/proc', 'sinks[0].options.outputDir')).toThrow(
      /sinks\[0\]\.options\.outputDir: the directory \/proc cannot be written \(E[A-Z]+\)/,
    );
  });
});
