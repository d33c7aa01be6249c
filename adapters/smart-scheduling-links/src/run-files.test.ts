import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { diskFileWriter } from './durable-file.js';
import { restoreRunFiles, RunFilesMismatchError } from './run-files.js';

const line = (id: string) => `${JSON.stringify({ resourceType: 'Slot', id })}\n`;

describe('restoreRunFiles', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'pmsbridge-run-files-'));
    await mkdir(join(dir, 'runs', 'r1'), { recursive: true });
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  const restore = (files: Record<string, number>) =>
    restoreRunFiles(diskFileWriter, dir, 'runs/r1', files, () => 'Slot');
  const file = (name: string) => join(dir, 'runs', 'r1', name);

  it('cuts what a failed write left after the recorded length and removes unrecorded files', async () => {
    const kept = line('a') + line('b');
    await writeFile(file('Slot.ndjson'), `${kept}{"resourceType":"Sl`);
    await writeFile(file('Slot-late.ndjson'), line('c'));
    await restore({ 'runs/r1/Slot.ndjson': kept.length });
    expect(await readFile(file('Slot.ndjson'), 'utf8')).toBe(kept);
    expect(await readdir(join(dir, 'runs', 'r1'))).toEqual(['Slot.ndjson']);
  });

  it('refuses a file shorter than recorded instead of padding it', async () => {
    await writeFile(file('Slot.ndjson'), line('a'));
    const recorded = line('a').length + line('b').length;
    await expect(restore({ 'runs/r1/Slot.ndjson': recorded })).rejects.toThrow(
      RunFilesMismatchError,
    );
    await expect(restore({ 'runs/r1/Slot.ndjson': recorded })).rejects.toMatchObject({
      code: 'PMS_PUBLICATION_DAMAGED',
      message: expect.stringMatching(
        /runs\/r1\/Slot\.ndjson holds \d+ bytes where \d+ were/,
      ) as unknown,
    });
    expect(await readFile(file('Slot.ndjson'), 'utf8')).toBe(line('a'));
  });

  it('refuses a missing file the checkpoint counts', async () => {
    await expect(restore({ 'runs/r1/Slot.ndjson': 10 })).rejects.toThrow(/is missing/);
  });

  it('refuses NUL bytes in the recorded part', async () => {
    const padded = `${line('a')}${'\0'.repeat(20)}${line('b')}`;
    await writeFile(file('Slot.ndjson'), padded);
    await expect(restore({ 'runs/r1/Slot.ndjson': Buffer.byteLength(padded) })).rejects.toThrow(
      /NUL/,
    );
  });

  it('refuses a recorded length that cuts a line', async () => {
    const text = line('a') + line('b');
    await writeFile(file('Slot.ndjson'), text);
    await expect(restore({ 'runs/r1/Slot.ndjson': text.length - 3 })).rejects.toThrow(
      /complete Slot line/,
    );
  });

  it('refuses a last line of another resource type', async () => {
    const text = line('a') + `${JSON.stringify({ resourceType: 'Schedule', id: 's' })}\n`;
    await writeFile(file('Slot.ndjson'), text);
    await expect(restore({ 'runs/r1/Slot.ndjson': text.length })).rejects.toThrow(
      /complete Slot line/,
    );
  });

  it('accepts files spanning many read chunks and empty recorded files', async () => {
    const many = Array.from({ length: 30_000 }, (_, i) => line(`s${i}`)).join('');
    await writeFile(file('Slot.ndjson'), many);
    await restore({ 'runs/r1/Slot.ndjson': many.length, 'runs/r1/Slot-empty.ndjson': 0 });
    expect((await readFile(file('Slot.ndjson'), 'utf8')).length).toBe(many.length);
  });
});
