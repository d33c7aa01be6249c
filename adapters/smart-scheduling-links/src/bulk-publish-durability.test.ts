import { afterEach, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm, stat, truncate } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FaultyDisk } from './testing/faulty-disk.js';
import { buildProvider } from '@pmsbridge/fhir-mapping/testing';
import { PopulationSource } from './testing/population-source.js';
import { PublicationPipeline } from './testing/publication-pipeline.js';
import {
  comparablePublication,
  resourcesOf,
  readPublication,
  unresolvedReferences,
  type ComparableFile,
} from './testing/publication.js';

const PROVIDERS = 6;
/**
 * Scratch space on tmpfs when there is one: these tests run a hundred syncs and check what
 * the sink counts and flushes (the {@link FaultyDisk} records every flush), not how fast
 * a real disk flushes.
 */
const SCRATCH = existsSync('/dev/shm') ? '/dev/shm' : tmpdir();

/** The changes an incremental run publishes: an update, a deactivation, a new provider. */
function applyChanges(source: PopulationSource): void {
  const updated = buildProvider(4);
  updated.acceptingNewPatients = !updated.acceptingNewPatients;
  source.change('2026-12-01T09:00:00Z', {
    type: 'updated',
    providerId: updated.id,
    changedAt: '2026-12-01T09:00:00Z',
    provider: updated,
  });
  source.change('2026-12-01T09:00:01Z', {
    type: 'deactivated',
    providerId: 'PRV0000000003',
    changedAt: '2026-12-01T09:00:01Z',
  });
  const created = buildProvider(PROVIDERS + 1);
  source.change('2026-12-01T09:00:02Z', {
    type: 'created',
    providerId: created.id,
    changedAt: '2026-12-01T09:00:02Z',
    provider: created,
  });
}

/** What every publication must be, whatever happened to the disk while it was written. */
async function expectSound(dir: string): Promise<void> {
  const { files } = await readPublication(dir);
  for (const file of files.values())
    for (const line of file.lines) expect(line).not.toContain('\u0000');
  const resources = resourcesOf(files);
  const ids = resources.map((r) => `${r.resourceType}/${r.id}`);
  expect(ids.length - new Set(ids).size).toBe(0);
  expect(unresolvedReferences(resources)).toEqual([]);
}

/** Each of these tests runs about a hundred syncs. */
const MANY_SYNCS_MS = 180_000;

/**
 * Files split by state (every file rewritten by an incremental run), and by provider group
 * (eight groups over these providers: the incremental run below touches groups 0 and 2,
 * and reuses the files of groups 3 and 5 as they are).
 */
const LAYOUTS = [
  { layout: 'split by state', options: { splitBy: 'state' as const } },
  {
    layout: 'split by provider group',
    options: { splitBy: 'provider-group' as const, providerGroups: 8 },
  },
];

describe.each(LAYOUTS)('bulk publication on a disk that fills up ($layout)', ({ options }) => {
  const pipelineOf = (outputDir: string, source: PopulationSource) =>
    new PublicationPipeline(outputDir, source, options);
  let dir: string;
  let clean: Record<'full' | 'incremental', ComparableFile[]>;
  /** Writer calls of a clean run of each scenario (every position at which the disk can fill). */
  const writes: Record<'full' | 'incremental', number> = { full: 0, incremental: 0 };

  beforeAll(async () => {
    const cleanDir = await mkdtemp(join(SCRATCH, 'pmsbridge-disk-clean-'));
    try {
      const pipeline = pipelineOf(cleanDir, new PopulationSource(PROVIDERS));
      const counting = new FaultyDisk();
      await pipeline.run('full', counting);
      writes.full = counting.calls;
      const full = await comparablePublication(cleanDir);
      applyChanges(pipeline.source);
      const countingIncremental = new FaultyDisk();
      await pipeline.run('incremental', countingIncremental);
      writes.incremental = countingIncremental.calls;
      clean = { full, incremental: await comparablePublication(cleanDir) };
    } finally {
      await rm(cleanDir, { recursive: true, force: true });
    }
  });

  beforeEach(async () => {
    dir = await mkdtemp(join(SCRATCH, 'pmsbridge-disk-full-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('has many write positions to fail at', () => {
    expect(writes.full).toBeGreaterThan(20);
    expect(writes.incremental).toBeGreaterThan(10);
    expect(clean.full.length).toBeGreaterThan(5);
  });

  it(
    'fails a full sync at every write position, then resumes to the clean publication',
    async () => {
      for (let failAt = 0; failAt < writes.full; failAt++) {
        await rm(dir, { recursive: true, force: true });
        const pipeline = pipelineOf(dir, new PopulationSource(PROVIDERS));
        const disk = new FaultyDisk().fillAfter(failAt);
        await expect(pipeline.run('full', disk)).rejects.toMatchObject({
          code: 'PMS_PUBLICATION_DISK_FULL',
          message: expect.stringMatching(/is full \(ENOSPC\)/) as unknown,
        });
        // The machine even loses power before space is freed: only what was flushed stays.
        await disk.losePower(dir);
        // The operator runs the sync again: it resumes, or starts over when the failure came
        // after the last checkpoint.
        await pipeline.run('full');
        expect({ failAt, publication: await comparablePublication(dir) }).toEqual({
          failAt,
          publication: clean.full,
        });
        await expectSound(dir);
      }
    },
    MANY_SYNCS_MS,
  );

  it(
    'fails an incremental sync at every write position, then publishes what a clean run does',
    async () => {
      for (let failAt = 0; failAt < writes.incremental; failAt++) {
        await rm(dir, { recursive: true, force: true });
        const pipeline = pipelineOf(dir, new PopulationSource(PROVIDERS));
        const disk = new FaultyDisk();
        await pipeline.run('full', disk);
        applyChanges(pipeline.source);
        disk.fillAfter(failAt);
        await expect(pipeline.run('incremental', disk)).rejects.toMatchObject({
          code: 'PMS_PUBLICATION_DISK_FULL',
        });
        await disk.losePower(dir);
        // The next scheduled run, with space freed: it resumes the interrupted run, or
        // publishes the completed one whose publication the full disk stopped.
        await pipeline.run('incremental');
        expect({ failAt, publication: await comparablePublication(dir) }).toEqual({
          failAt,
          publication: clean.incremental,
        });
        await expectSound(dir);
      }
    },
    MANY_SYNCS_MS,
  );
  it('refuses to publish a completed run whose files were damaged since, and says what to do', async () => {
    const pipeline = pipelineOf(dir, new PopulationSource(PROVIDERS));
    // The disk fills at the very last write, the manifest's: the run completed, unpublished.
    await expect(
      pipeline.run('full', new FaultyDisk().fillAfter(writes.full - 1)),
    ).rejects.toMatchObject({
      code: 'PMS_PUBLICATION_DISK_FULL',
    });
    expect((await stat(join(dir, '.run-to-publish.json'))).isFile()).toBe(true);
    const [run] = await readdir(join(dir, 'runs'));
    const slots = (await readdir(join(dir, 'runs', run ?? ''))).find((n) => n.startsWith('Slot'));
    const file = join(dir, 'runs', run ?? '', slots ?? '');
    await truncate(file, (await stat(file)).size - 10);
    await expect(pipeline.run('full')).rejects.toMatchObject({
      code: 'PMS_PUBLICATION_DAMAGED',
      message: expect.stringMatching(
        /holds \d+ bytes where \d+ were recorded, so run \S+, which completed, cannot be published\. .*Remove \S+\.run-to-publish\.json and run a full sync/,
      ) as unknown,
    });
    await expect(readFile(join(dir, '$bulk-publish'))).rejects.toMatchObject({ code: 'ENOENT' });
    // Doing what it says works.
    await rm(join(dir, '.run-to-publish.json'));
    await pipeline.run('full');
    expect(await comparablePublication(dir)).toEqual(clean.full);
  });
});
