import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { silentLogger, type Clock, type SyncRecord } from '@pmsbridge/core';
import type { Location, Resource, Slot } from '@medplum/fhirtypes';
import { buildRecord } from '@pmsbridge/fhir-mapping/testing';
import {
  BulkPublishSink,
  type BulkPublishResumeState,
  type BulkPublishSinkOptions,
  type PublicationIndex,
} from './bulk-publish-sink.js';
import { diskFileWriter, type FileWriter } from './durable-file.js';
import { optionsSchema } from './options-schema.js';
import { groupRangeOfFile, isRangeTouched, providerGroupOf } from './provider-groups.js';
import { servePublication } from './publication-server.js';
import { readPublication, resourcesOf, unresolvedReferences } from './testing/publication.js';

const signal = new AbortController().signal;
const clockAt = (iso: string): Clock => ({ now: () => new Date(iso) });
/** Before every slot of the records below (they start on 2026-12-01): none has ended. */
const BEFORE_SLOTS = '2026-11-30T08:00:00.000Z';
const LATER = '2026-11-30T09:00:00.000Z';
const GROUPS = 64;
const DIRECTORY = 'directory/$bulk-publish';

type Publication = Awaited<ReturnType<typeof readPublication>>;

const records = (from: number, to: number): SyncRecord[] =>
  Array.from({ length: to - from + 1 }, (_, i) => buildRecord(from + i, '2026-12-01', 14, 3));

/** Provider `n` with one slot's availability flipped: its Slot lines change. */
function rebooked(n: number): SyncRecord {
  const record = buildRecord(n, '2026-12-01', 14, 3);
  const [slot] = record.slots;
  if (slot !== undefined) slot.available = !slot.available;
  return record;
}

const deactivated = (n: number): SyncRecord => ({
  kind: 'deactivation',
  providerId: buildRecord(n).provider.id,
  changedAt: '2026-11-30T08:30:00Z',
});

/** Per resource type, every published line, sorted: duplicates show, file layout does not. */
function linesByType(publication: Publication): Record<string, string[]> {
  const byType: Record<string, string[]> = {};
  for (const file of publication.files.values()) (byType[file.type] ??= []).push(...file.lines);
  for (const lines of Object.values(byType)) lines.sort();
  return byType;
}

/**
 * What an incremental run publishes after `earlier` for the data a full run published in
 * `full`: the same lines, and the Locations of `earlier` too — an incremental run never
 * withdraws a Location (one a deactivated provider named may be another's), a full run
 * does.
 */
function afterIncremental(full: Publication, earlier: Publication): Record<string, string[]> {
  const expected = linesByType(full);
  const locations = new Set([
    ...(expected.Location ?? []),
    ...(linesByType(earlier).Location ?? []),
  ]);
  return { ...expected, Location: [...locations].sort() };
}

/** Every file a manifest lists, by name, with its inode, content hash and index entry. */
async function filesByName(dir: string, manifestFile = DIRECTORY) {
  const { manifest } = await readPublication(dir, manifestFile);
  const index = JSON.parse(
    await readFile(join(dir, '.publication-index.json'), 'utf8'),
  ) as PublicationIndex;
  const files = new Map<
    string,
    { type: string; ino: number; sha256: string; entry: PublicationIndex['files'][string] }
  >();
  for (const output of manifest.output) {
    const path = join(dir, output.url.slice(output.url.indexOf('runs/')));
    const entry = index.files[output.url];
    if (entry === undefined) throw new Error(`${output.url} is not in the index`);
    files.set(output.url.split('/').pop() ?? '', {
      type: output.type,
      ino: (await stat(path)).ino,
      sha256: createHash('sha256')
        .update(await readFile(path))
        .digest('hex'),
      entry,
    });
  }
  return files;
}

/** The provider id a published line belongs to (the Location of no provider: undefined). */
function ownerOf(resource: Resource): string | undefined {
  switch (resource.resourceType) {
    case 'Slot':
      return resource.schedule.reference?.split('/')[1]?.split('-')[0];
    case 'Schedule':
    case 'PractitionerRole':
      return resource.id?.split('-')[0];
    case 'Practitioner':
      return resource.id;
    default:
      return undefined;
  }
}

describe('BulkPublishSink with files split by provider group', () => {
  let dir: string;
  let referenceDir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'pmsbridge-bulk-groups-'));
    referenceDir = await mkdtemp(join(tmpdir(), 'pmsbridge-bulk-groups-ref-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
    await rm(referenceDir, { recursive: true, force: true });
  });

  const sinkFor = (
    outputDir: string,
    at: string,
    extra: Partial<BulkPublishSinkOptions> = {},
    writer: FileWriter = diskFileWriter,
  ) =>
    new BulkPublishSink(
      {
        outputDir,
        splitBy: 'provider-group',
        providerGroups: GROUPS,
        includePractitionerRoles: true,
        mapping: { scheduleActor: 'location', bookingLink: 'https://book.example/{slotId}' },
        ...extra,
      },
      clockAt(at),
      silentLogger,
      writer,
    );

  async function run(
    sink: BulkPublishSink,
    batches: SyncRecord[][],
    mode: 'full' | 'incremental' = 'full',
  ): Promise<void> {
    await sink.open({ dryRun: false, mode, signal });
    for (const batch of batches) await sink.write(batch, signal);
    await sink.close({ completed: true });
  }

  /** The groups of the providers `batch` writes or withdraws. */
  const groupsOf = (batch: readonly SyncRecord[]) =>
    new Set(
      batch.map((r) =>
        providerGroupOf(r.kind === 'provider' ? r.provider.id : r.providerId, GROUPS),
      ),
    );

  it('writes each provider’s lines to the files of its group, and Locations by state', async () => {
    await run(sinkFor(dir, BEFORE_SLOTS), [records(1, 20), records(21, 40)]);
    const { manifest, files } = await readPublication(dir, DIRECTORY);
    const names = manifest.output.map((o) => o.url.split('/').pop() ?? '');
    for (const output of manifest.output) {
      const name = output.url.split('/').pop() ?? '';
      const file = files.get(output.url);
      for (const line of file?.lines ?? []) {
        const resource = JSON.parse(line) as Resource;
        const owner = ownerOf(resource);
        if (resource.resourceType === 'Location') {
          expect(name).toBe(`Location-${(resource as Location).address?.state ?? ''}.ndjson`);
          continue;
        }
        const range = groupRangeOfFile(name);
        expect({ name, owner, inGroup: range !== undefined }).toEqual({
          name,
          owner,
          inGroup: true,
        });
        const group = providerGroupOf(owner ?? '', GROUPS);
        expect(group >= (range?.first ?? -1) && group <= (range?.last ?? -1)).toBe(true);
      }
    }
    expect(names.filter((n) => n.startsWith('Slot-'))).toEqual(
      expect.arrayContaining([expect.stringMatching(/^Slot-g\d{4}\.ndjson$/)]),
    );
    for (const type of ['Schedule', 'Practitioner', 'PractitionerRole'])
      for (const name of names.filter((n) => n.startsWith(`${type}-`)))
        expect(name).toMatch(new RegExp(`^${type}-g\\d{4}-\\d{4}\\.ndjson$`));
    // Slot files: one per group at most; the other types: 64 / 16 = 4 ranges.
    expect(names.filter((n) => n.startsWith('Slot-')).length).toBeLessThanOrEqual(GROUPS);
    expect(names.filter((n) => n.startsWith('Schedule-')).length).toBeLessThanOrEqual(4);
    const resources = resourcesOf(files);
    const ids = resources.map((r) => `${r.resourceType}/${r.id ?? ''}`);
    expect(new Set(ids).size).toBe(ids.length);
    expect(unresolvedReferences(resources)).toEqual([]);
    expect(resources.filter((r) => r.resourceType === 'Slot')).toHaveLength(40 * 14 * 3);
    // A file's states are those of its lines; $bulk-publish keeps the 2021 types only.
    for (const output of manifest.output)
      expect(output.extension?.state?.length).toBeGreaterThan(0);
    const specification = await readPublication(dir);
    expect(new Set(specification.manifest.output.map((o) => o.type))).toEqual(
      new Set(['Location', 'Schedule', 'Slot']),
    );
    const index = JSON.parse(
      await readFile(join(dir, '.publication-index.json'), 'utf8'),
    ) as PublicationIndex;
    expect(index.layout).toBe(`provider-group/${GROUPS}`);
  });

  it('rewrites in an incremental run only the files of the groups it touched, and reuses the others as they are', async () => {
    await run(sinkFor(dir, BEFORE_SLOTS), [records(1, 40)]);
    const before = await filesByName(dir);
    const earlier = await readPublication(dir, DIRECTORY);
    const changes = [rebooked(6), rebooked(12), deactivated(3)];
    await run(sinkFor(dir, LATER), [changes], 'incremental');
    const after = await filesByName(dir);

    const touched = groupsOf(changes);
    const rewritten: string[] = [];
    const reused: string[] = [];
    for (const [name, file] of after) {
      const previous = before.get(name);
      const range = groupRangeOfFile(name);
      if (range !== undefined && isRangeTouched(range, touched)) {
        expect({ name, sameInode: file.ino === previous?.ino }).toEqual({
          name,
          sameInode: false,
        });
        rewritten.push(name);
        continue;
      }
      // Untouched groups, and Location files (no Location changed): the very same file.
      expect({ name, ino: file.ino, sha256: file.sha256, entry: file.entry }).toEqual({
        name,
        ino: previous?.ino,
        sha256: previous?.sha256,
        entry: previous?.entry,
      });
      expect(file.entry.modified).toBe(BEFORE_SLOTS);
      reused.push(name);
    }
    expect(rewritten.length).toBeGreaterThan(0);
    expect(reused.filter((n) => n.startsWith('Slot-')).length).toBeGreaterThan(20);
    expect(reused.filter((n) => n.startsWith('Location-')).length).toBeGreaterThan(0);

    // What a full run over the same data publishes, line for line.
    const current = [...records(1, 40).filter((_, i) => ![3, 6, 12].includes(i + 1))];
    await run(sinkFor(referenceDir, LATER), [[...current, rebooked(6), rebooked(12)]]);
    const incremental = await readPublication(dir, DIRECTORY);
    expect(linesByType(incremental)).toEqual(
      afterIncremental(await readPublication(referenceDir, DIRECTORY), earlier),
    );
    expect(unresolvedReferences(resourcesOf(incremental.files))).toEqual([]);
    // Only this run's directory and the previous one (clients may still read it) remain.
    expect((await readdir(join(dir, 'runs'))).length).toBe(2);
  });

  it('rewrites the Location files whose Locations changed or moved, each Location once', async () => {
    await run(sinkFor(dir, BEFORE_SLOTS), [records(1, 40)]);
    const before = await filesByName(dir);
    // Provider 4's first Location moves to another state, under a new name.
    const moved = buildRecord(4, '2026-12-01', 14, 3);
    const location = moved.provider.locations?.[0];
    if (location === undefined) throw new Error('provider 4 has a location');
    const from = `Location-${location.address.state}.ndjson`;
    location.address.state = location.address.state === 'HI' ? 'AK' : 'HI';
    location.name = `${location.name} (moved)`;
    const to = `Location-${location.address.state}.ndjson`;
    expect(before.has(from) && before.has(to)).toBe(true);
    await run(sinkFor(dir, LATER), [[moved]], 'incremental');
    const after = await filesByName(dir);
    for (const [name, file] of after) {
      if (!name.startsWith('Location-')) continue;
      const isChanged = name === from || name === to;
      expect({ name, sameInode: file.ino === before.get(name)?.ino }).toEqual({
        name,
        sameInode: !isChanged,
      });
    }
    const publication = await readPublication(dir, DIRECTORY);
    const resources = resourcesOf(publication.files);
    const ids = resources.map((r) => `${r.resourceType}/${r.id ?? ''}`);
    expect(new Set(ids).size).toBe(ids.length);
    expect(unresolvedReferences(resources)).toEqual([]);
    const published = resources.find(
      (r): r is Location => r.resourceType === 'Location' && r.name?.endsWith('(moved)') === true,
    );
    expect(published?.address?.state).toBe(location.address.state);
  });

  it('lists in a _since manifest only the files an incremental run rewrote', async () => {
    await run(sinkFor(dir, BEFORE_SLOTS, { baseUrl: 'https://pub.example' }), [records(1, 40)]);
    const before = await filesByName(dir);
    const changes = [rebooked(9), rebooked(33)];
    await run(sinkFor(dir, LATER, { baseUrl: 'https://pub.example' }), [changes], 'incremental');
    const after = await filesByName(dir);
    const rewritten = [...after]
      .filter(([name, file]) => file.ino !== before.get(name)?.ino)
      .map(([name]) => name)
      .sort();
    expect(rewritten.length).toBeGreaterThan(0);
    expect(rewritten.length).toBeLessThan(after.size / 4);
    const touched = groupsOf(changes);
    for (const name of rewritten)
      expect(isRangeTouched(groupRangeOfFile(name) ?? { first: -1, last: -1 }, touched)).toBe(true);

    const server = await servePublication({ dir, port: 0, baseUrl: 'https://pub.example' });
    try {
      const namesSince = async (since: string) => {
        const response = await fetch(
          `${server.listenUrl}/${DIRECTORY}?_since=${encodeURIComponent(since)}`,
        );
        const manifest = (await response.json()) as { output: Array<{ url: string }> };
        return manifest.output.map((o) => o.url.split('/').pop() ?? '').sort();
      };
      expect(await namesSince(BEFORE_SLOTS)).toEqual(rewritten);
      expect(await namesSince(LATER)).toEqual([]);
      expect((await namesSince('2026-11-29T00:00:00Z')).length).toBe(after.size);
    } finally {
      await server.close();
    }
  });

  it('keeps the ended slots of a reused Slot file for up to a day, then rewrites the file without them', async () => {
    await run(sinkFor(dir, BEFORE_SLOTS), [records(1, 40)]);
    const ends = (publication: Publication) =>
      resourcesOf(publication.files)
        .filter((r): r is Slot => r.resourceType === 'Slot')
        .map((slot) => Date.parse(slot.end));
    // Every slot of 2026-12-01 has ended, but less than a day ago.
    const evening = '2026-12-01T23:00:00.000Z';
    const changes = [rebooked(7)];
    const first = await filesByName(dir);
    await run(sinkFor(dir, evening), [changes], 'incremental');
    const second = await filesByName(dir);
    const touched = groupsOf(changes);
    const ended = ends(await readPublication(dir)).filter((end) => end < Date.parse(evening));
    expect(ended.length).toBeGreaterThan(0);
    for (const [name, file] of second) {
      if (!name.startsWith('Slot-')) continue;
      const isTouched = isRangeTouched(groupRangeOfFile(name) ?? { first: 0, last: 0 }, touched);
      expect({ name, reused: file.ino === first.get(name)?.ino }).toEqual({
        name,
        reused: !isTouched,
      });
    }
    // A day later the first slots ended more than a day ago: every Slot file is rewritten
    // without its ended slots; the Schedule files of untouched providers stay as they are.
    const nextEvening = '2026-12-02T23:30:00.000Z';
    await run(sinkFor(dir, nextEvening), [[]], 'incremental');
    const third = await filesByName(dir);
    for (const [name, file] of third) {
      if (name.startsWith('Slot-')) {
        expect({ name, reused: file.ino === second.get(name)?.ino }).toEqual({
          name,
          reused: false,
        });
        expect(Date.parse(file.entry.earliestSlotEnd ?? '')).toBeGreaterThan(
          Date.parse(nextEvening),
        );
      } else
        expect({ name, reused: file.ino === second.get(name)?.ino }).toEqual({
          name,
          reused: true,
        });
    }
    expect(ends(await readPublication(dir)).every((end) => end > Date.parse(nextEvening))).toBe(
      true,
    );
  });

  it('resumes an interrupted incremental run without duplicate lines, reusing untouched groups', async () => {
    await run(sinkFor(dir, BEFORE_SLOTS), [records(1, 40)]);
    const before = await filesByName(dir);
    const earlier = await readPublication(dir, DIRECTORY);
    const first = sinkFor(dir, LATER);
    await first.open({ dryRun: false, mode: 'incremental', signal });
    await first.write([rebooked(5), rebooked(6)], signal);
    const checkpoint = JSON.parse(
      JSON.stringify(first.checkpointState()),
    ) as BulkPublishResumeState;
    await first.write([rebooked(17), deactivated(21)], signal); // never acknowledged
    await first.close({ completed: false });

    const resumed = sinkFor(dir, '2026-11-30T10:00:00.000Z');
    await resumed.open({ dryRun: false, mode: 'incremental', signal, resumeState: checkpoint });
    await resumed.write([rebooked(17), deactivated(21)], signal);
    await resumed.close({ completed: true });

    const current = records(1, 40).filter((_, i) => ![5, 6, 17, 21].includes(i + 1));
    await run(sinkFor(referenceDir, LATER), [[...current, rebooked(5), rebooked(6), rebooked(17)]]);
    const publication = await readPublication(dir, DIRECTORY);
    expect(linesByType(publication)).toEqual(
      afterIncremental(await readPublication(referenceDir, DIRECTORY), earlier),
    );
    const touched = groupsOf([rebooked(5), rebooked(6), rebooked(17), deactivated(21)]);
    let reused = 0;
    for (const [name, file] of await filesByName(dir)) {
      const range = groupRangeOfFile(name);
      if (range === undefined || isRangeTouched(range, touched)) continue;
      expect({ name, ino: file.ino }).toEqual({ name, ino: before.get(name)?.ino });
      reused += 1;
    }
    expect(reused).toBeGreaterThan(20);
  });

  it('leaves the live publication intact when a run was interrupted after its manifest was written', async () => {
    await run(sinkFor(dir, BEFORE_SLOTS), [records(1, 40)]);
    // The directory flush after the new manifest's rename fails: the manifest names the new
    // run, whose marker is still there, as after a crash at that point.
    let isArmed = true;
    const failingAfterManifest: FileWriter = {
      ...diskFileWriter,
      syncDirectory: async (path) => {
        await diskFileWriter.syncDirectory(path);
        if (!isArmed || path !== dir) return;
        const manifest = JSON.parse(readFileSync(join(dir, '$bulk-publish'), 'utf8')) as {
          transactionTime: string;
        };
        if (manifest.transactionTime !== LATER) return;
        isArmed = false;
        throw Object.assign(new Error('EIO: i/o error, fsync'), { code: 'EIO' });
      },
    };
    await expect(
      run(sinkFor(dir, LATER, {}, failingAfterManifest), [[rebooked(6)]], 'incremental'),
    ).rejects.toMatchObject({ code: 'PMS_PUBLICATION_WRITE_FAILED' });
    expect(await readdir(dir)).toContain('.run-to-publish.json');
    const published = linesByType(await readPublication(dir, DIRECTORY));

    // The next run finds the completed run already published and publishes on top of it.
    await run(sinkFor(dir, '2026-11-30T10:00:00.000Z'), [[]], 'incremental');
    expect(await readdir(dir)).not.toContain('.run-to-publish.json');
    expect(linesByType(await readPublication(dir, DIRECTORY))).toEqual(published);
    await run(sinkFor(referenceDir, LATER), [
      [...records(1, 40).filter((_, i) => i + 1 !== 6), rebooked(6)],
    ]);
    expect(published).toEqual(linesByType(await readPublication(referenceDir, DIRECTORY)));
  });

  it('carries a publication of another layout forward line by line, then reuses its own files', async () => {
    await run(sinkFor(dir, BEFORE_SLOTS, { splitBy: 'state-week', providerGroups: undefined }), [
      records(1, 40),
    ]);
    const stateWeek = await filesByName(dir);
    await run(sinkFor(dir, LATER), [[rebooked(2)]], 'incremental');
    const carried = await filesByName(dir);
    for (const [name, file] of carried)
      if (!name.startsWith('Location-'))
        expect({ name, reused: file.ino === stateWeek.get(name)?.ino }).toEqual({
          name,
          reused: false,
        });
    await run(sinkFor(referenceDir, LATER), [
      [...records(1, 40).filter((_, i) => i + 1 !== 2), rebooked(2)],
    ]);
    const reference = linesByType(await readPublication(referenceDir, DIRECTORY));
    expect(linesByType(await readPublication(dir, DIRECTORY))).toEqual(reference);
    // A full run brings every file into the new layout.
    await run(sinkFor(dir, '2026-11-30T10:00:00.000Z'), [
      [...records(1, 40).filter((_, i) => i + 1 !== 2), rebooked(2)],
    ]);
    for (const name of (await filesByName(dir)).keys())
      expect(name).toMatch(/^(Location-[A-Z]{2}|[A-Za-z]+-g\d{4}(-\d{4})?)\.ndjson$/);
  });

  it('stays within 2 000 files for a large population with the default groups', async () => {
    const many = Array.from({ length: 2500 }, (_, i) => buildRecord(i + 1, '2026-12-01', 1, 1));
    await run(sinkFor(dir, BEFORE_SLOTS, { providerGroups: undefined }), [many]);
    const { manifest } = await readPublication(dir, DIRECTORY);
    const count = (type: string) => manifest.output.filter((o) => o.type === type).length;
    expect(count('Slot')).toBeLessThanOrEqual(1600);
    // 2 500 providers fill about 1 600 × (1 − e^(−2500/1600)) ≈ 1 265 of the groups.
    expect(count('Slot')).toBeGreaterThan(1200);
    for (const type of ['Schedule', 'Practitioner', 'PractitionerRole'])
      expect(count(type)).toBeLessThanOrEqual(100);
    expect(manifest.output.length).toBeLessThanOrEqual(2000);
  }, 60_000);
});

describe('providerGroups option', () => {
  const base = { outputDir: 'out', baseUrl: 'https://pub.example' };

  it('defaults to 1 600 groups with splitBy provider-group', () => {
    expect(optionsSchema.parse({ ...base, splitBy: 'provider-group' }).providerGroups).toBe(1600);
    expect(
      optionsSchema.parse({ ...base, splitBy: 'provider-group', providerGroups: 500 })
        .providerGroups,
    ).toBe(500);
  });

  it('is refused with another layout, saying why', () => {
    const result = optionsSchema.safeParse({ ...base, splitBy: 'state', providerGroups: 500 });
    expect(result.success).toBe(false);
    expect(result.error?.issues[0]?.message).toMatch(/applies to splitBy 'provider-group' only/);
  });

  it('refuses a number of groups out of range', () => {
    for (const providerGroups of [0, 1.5, 10_001])
      expect(
        optionsSchema.safeParse({ ...base, splitBy: 'provider-group', providerGroups }).success,
      ).toBe(false);
    expect(
      () =>
        new BulkPublishSink(
          {
            outputDir: 'out',
            splitBy: 'provider-group',
            providerGroups: 0,
            mapping: { scheduleActor: 'location' },
          },
          clockAt(BEFORE_SLOTS),
          silentLogger,
        ),
    ).toThrow(/providerGroups must be a whole number from 1 to 10000/);
  });
});
