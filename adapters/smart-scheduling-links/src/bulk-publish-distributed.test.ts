import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { createHash } from 'node:crypto';
import { appendFile, mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import {
  MemoryStateStore,
  SyncEngine,
  silentLogger,
  type Clock,
  type SyncRecord,
} from '@pmsbridge/core';
import { buildRecord } from '@pmsbridge/fhir-mapping/testing';
import {
  BulkPublishSink,
  type BulkPublishResumeState,
  type BulkPublishSinkOptions,
} from './bulk-publish-sink.js';
import { diskFileWriter, type FileWriter } from './durable-file.js';
import { FaultyDisk } from './testing/faulty-disk.js';
import { PopulationSource } from './testing/population-source.js';
import { readPublication, resourcesOf, unresolvedReferences } from './testing/publication.js';

const signal = new AbortController().signal;
const clockAt = (iso: string): Clock => ({ now: () => new Date(iso) });
const RUN = 'a1b2c3d4e5f6';
type Layout = Pick<BulkPublishSinkOptions, 'splitBy' | 'providerGroups'>;
/** The provider-group layout, with few enough groups that shards share most of them. */
const GROUPED: Layout = { splitBy: 'provider-group', providerGroups: 32 };
const shard = (id: string) => ({ run: RUN, id });
/** Where the disk fills in the engine test: after a few of shard 1's batches. */
const FILL_AFTER_WRITES = 20;

type Publication = Awaited<ReturnType<typeof readPublication>>;

/** Per resource type, every published line, sorted: duplicates show, file layout does not. */
function linesByType(publication: Publication): Record<string, string[]> {
  const byType: Record<string, string[]> = {};
  for (const file of publication.files.values()) (byType[file.type] ??= []).push(...file.lines);
  for (const lines of Object.values(byType)) lines.sort();
  return byType;
}

/** Per output type of the manifest, how many lines its files hold. */
function lineCountsByType(publication: Publication): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const file of publication.files.values())
    counts[file.type] = (counts[file.type] ?? 0) + file.lines.length;
  return counts;
}

/** Every entry under `root` with what identifies its bytes and its last write. */
async function snapshot(root: string): Promise<Record<string, string>> {
  const entries: Record<string, string> = {};
  for (const entry of await readdir(root, { recursive: true, withFileTypes: true })) {
    const path = join(entry.parentPath, entry.name);
    if (!entry.isFile()) {
      entries[relative(root, path)] = 'directory';
      continue;
    }
    const info = await stat(path);
    const sha = createHash('sha256')
      .update(await readFile(path))
      .digest('hex');
    entries[relative(root, path)] = `${info.ino}:${info.mtimeMs}:${sha}`;
  }
  return entries;
}

describe('BulkPublishSink in a distributed full run', () => {
  let dir: string;
  let singleDir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'pmsbridge-bulk-shards-'));
    singleDir = await mkdtemp(join(tmpdir(), 'pmsbridge-bulk-single-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
    await rm(singleDir, { recursive: true, force: true });
  });

  const sinkFor = (
    outputDir: string,
    clock = clockAt('2026-12-01T08:00:00.000Z'),
    writer: FileWriter = diskFileWriter,
    layout: Layout = {},
  ) =>
    new BulkPublishSink(
      {
        outputDir,
        ...layout,
        mapping: {
          scheduleActor: 'location',
          bookingLink: 'https://book.example/{slotId}',
          bookingPhone: 'location',
        },
      },
      clock,
      silentLogger,
      writer,
    );
  // Providers 4 (shard 0) and 29 (shard 1) share Location 29: both shards write it.
  const records = (from: number, to: number): SyncRecord[] =>
    Array.from({ length: to - from + 1 }, (_, i) => buildRecord(from + i, '2026-12-01', 14, 3));

  /** A single-process full run over providers 1–40, in `outputDir`. */
  async function publishSingleRun(outputDir = singleDir, clock?: Clock): Promise<void> {
    const sink = sinkFor(outputDir, clock);
    await sink.open({ dryRun: false, mode: 'full', signal });
    for (const [from, to] of [
      [1, 10],
      [11, 20],
      [21, 30],
      [31, 40],
    ] as const)
      await sink.write(records(from, to), signal);
    await sink.close({ completed: true });
  }

  /** Shard 0 (providers 1–20) and shard 1 (21–40) by two workers, their batches interleaved. */
  async function writeShards(
    writer: FileWriter = diskFileWriter,
    layout: Layout = {},
  ): Promise<void> {
    const first = sinkFor(dir, clockAt('2026-12-01T08:00:00.000Z'), writer, layout);
    const second = sinkFor(dir, clockAt('2026-12-01T08:00:05.000Z'), writer, layout);
    await first.open({ dryRun: false, mode: 'full', signal, shard: shard('0') });
    await second.open({ dryRun: false, mode: 'full', signal, shard: shard('1') });
    await second.write(records(21, 30), signal);
    await first.write(records(1, 10), signal);
    await second.write(records(31, 40), signal);
    await first.write(records(11, 20), signal);
    await second.close({ completed: true });
    await first.close({ completed: true });
  }

  const finish = (writer: FileWriter = diskFileWriter, layout: Layout = {}) =>
    sinkFor(dir, clockAt('2026-12-01T10:00:00.000Z'), writer, layout).finishRun({
      run: RUN,
      shards: ['0', '1'],
      signal,
    });

  it('publishes two workers’ interleaved shards as a single full run over the same records', async () => {
    await publishSingleRun();
    await writeShards();
    // The shards published nothing: only the run's directory exists.
    expect(await readdir(dir)).toEqual(['runs']);
    expect(await readdir(join(dir, 'runs'))).toEqual([`distributed-${RUN}`]);
    expect((await readdir(join(dir, 'runs', `distributed-${RUN}`))).sort()).toEqual([
      'shard-0',
      'shard-0.json',
      'shard-1',
      'shard-1.json',
    ]);

    await finish();
    const single = await readPublication(singleDir);
    const distributed = await readPublication(dir);
    expect(linesByType(distributed)).toEqual(linesByType(single));
    expect(lineCountsByType(distributed)).toEqual(lineCountsByType(single));
    expect(new Set(distributed.manifest.output.map((o) => o.type))).toEqual(
      new Set(['Location', 'Schedule', 'Slot']),
    );
    // The earliest shard's start, as a single run's start.
    expect(distributed.manifest.transactionTime).toBe('2026-12-01T08:00:00.000Z');
    expect(distributed.manifest.request).toBe('$bulk-publish');
    for (const output of distributed.manifest.output)
      expect(output.url.startsWith(`runs/distributed-${RUN}/`)).toBe(true);
    const resources = resourcesOf(distributed.files);
    const ids = resources.map((r) => `${r.resourceType}/${r.id}`);
    expect(ids).toContain('Location/LOC0000000029');
    expect(new Set(ids).size).toBe(ids.length);
    expect(unresolvedReferences(resources)).toEqual([]);
    const index = JSON.parse(await readFile(join(dir, '.publication-index.json'), 'utf8')) as {
      files: Record<string, unknown>;
    };
    expect(Object.keys(index.files).sort()).toEqual(
      distributed.manifest.output.map((o) => o.url).sort(),
    );
    // Each shard's result counts its lines.
    let slotLines = 0;
    for (const id of ['0', '1']) {
      const result = JSON.parse(
        await readFile(join(dir, 'runs', `distributed-${RUN}`, `shard-${id}.json`), 'utf8'),
      ) as { files: Record<string, { type: string; lines: number }> };
      for (const file of Object.values(result.files))
        if (file.type === 'Slot') slotLines += file.lines;
    }
    expect(slotLines).toBe(lineCountsByType(single).Slot);
  });

  it.each([
    { how: 'closed as failed', dropped: false },
    { how: 'dropped mid-write without a close', dropped: true },
  ])(
    'resumes a shard $how in another worker from its last checkpoint, without duplicate lines',
    async ({ dropped }) => {
      await publishSingleRun();
      const first = sinkFor(dir);
      await first.open({ dryRun: false, mode: 'full', signal, shard: shard('0') });
      await first.write(records(1, 20), signal);
      await first.close({ completed: true });

      const failing = sinkFor(dir, clockAt('2026-12-01T08:00:05.000Z'));
      await failing.open({ dryRun: false, mode: 'full', signal, shard: shard('1') });
      await failing.write(records(21, 28), signal);
      const checkpoint = JSON.parse(
        JSON.stringify(failing.checkpointState()),
      ) as BulkPublishResumeState;
      await failing.write(records(29, 34), signal); // written, never acknowledged
      if (dropped) {
        // The process dies while appending: a torn line after the unacknowledged ones.
        const slotFile = Object.keys(checkpoint.files).find((f) => f.includes('/Slot-'));
        await appendFile(join(dir, slotFile ?? ''), '{"resourceType":"Slot","id":"tor');
      } else {
        await failing.close({ completed: false });
      }
      expect(await readdir(join(dir, 'runs', `distributed-${RUN}`))).not.toContain('shard-1.json');

      const resumed = sinkFor(dir, clockAt('2026-12-01T09:00:00.000Z'));
      await resumed.open({
        dryRun: false,
        mode: 'full',
        signal,
        shard: shard('1'),
        resumeState: checkpoint,
      });
      await resumed.write(records(29, 34), signal);
      await resumed.write(records(35, 40), signal);
      await resumed.close({ completed: true });
      // The dead worker's descriptors are closed by the system; on disk this changes nothing.
      if (dropped) await failing.close({ completed: false });
      await finish();

      const distributed = await readPublication(dir);
      expect(linesByType(distributed)).toEqual(linesByType(await readPublication(singleDir)));
      const ids = resourcesOf(distributed.files).map((r) => `${r.resourceType}/${r.id}`);
      expect(new Set(ids).size).toBe(ids.length);
    },
  );

  it('refuses to finish a run with shards missing, naming them, and leaves the publication as it was', async () => {
    await publishSingleRun(dir);
    const first = sinkFor(dir);
    await first.open({ dryRun: false, mode: 'full', signal, shard: shard('0') });
    await first.write(records(1, 20), signal);
    await first.close({ completed: true });
    const second = sinkFor(dir);
    await second.open({ dryRun: false, mode: 'full', signal, shard: shard('1') });
    await second.write(records(21, 30), signal);
    await second.close({ completed: false });
    const manifest = await readFile(join(dir, '$bulk-publish'));
    const before = await snapshot(dir);

    await expect(
      sinkFor(dir).finishRun({ run: RUN, shards: ['0', '1', '2'], signal }),
    ).rejects.toMatchObject({
      code: 'PMS_PUBLICATION_DAMAGED',
      message: expect.stringMatching(
        /run a1b2c3d4e5f6 cannot be published: shards 1, 2 left no result/,
      ) as unknown,
      details: { shards: ['1', '2'] },
    });
    expect(await readFile(join(dir, '$bulk-publish'))).toEqual(manifest);
    expect(await snapshot(dir)).toEqual(before);
  });

  it('changes nothing when the run is finished a second time', async () => {
    // Two earlier publications: the one the manifest names stays for the clients reading it.
    await publishSingleRun(dir, clockAt('2026-12-01T06:00:00.000Z'));
    await publishSingleRun(dir, clockAt('2026-12-01T07:00:00.000Z'));
    const published = await readFile(join(dir, '$bulk-publish'));
    await writeShards();
    expect(await readFile(join(dir, '$bulk-publish'))).toEqual(published);

    await finish();
    expect((await readdir(join(dir, 'runs'))).sort()).toEqual([
      '20261201T070000000Z',
      `distributed-${RUN}`,
    ]);
    const after = await snapshot(dir);
    await finish();
    expect(await snapshot(dir)).toEqual(after);
  });

  it.each([
    { layout: 'split by state and week', options: {} },
    // Four groups: every write of the merge is a position to fail at.
    { layout: 'split by provider group', options: { ...GROUPED, providerGroups: 4 } },
  ])(
    'finishes the run after a finish that failed at any write, even after losing power ($layout)',
    async ({ options }) => {
      const clean = new FaultyDisk();
      await publishSingleRunOn(clean, options);
      await writeShards(clean, options);
      const writesBefore = clean.calls;
      await finish(clean, options);
      const writes = clean.calls - writesBefore;
      expect(writes).toBeGreaterThan(4);
      const expected = await snapshotOfPublication(dir);

      for (let failAt = 0; failAt < writes; failAt++) {
        await rm(dir, { recursive: true, force: true });
        const disk = new FaultyDisk();
        await publishSingleRunOn(disk, options);
        await writeShards(disk, options);
        disk.fillAfter(failAt);
        await expect(finish(disk, options)).rejects.toMatchObject({
          code: 'PMS_PUBLICATION_DISK_FULL',
        });
        await disk.losePower(dir);
        await finish(diskFileWriter, options);
        expect({ failAt, publication: await snapshotOfPublication(dir) }).toEqual({
          failAt,
          publication: expected,
        });
      }
    },
  );

  /** The single run of the test above, written through `disk` (so that power loss keeps it). */
  async function publishSingleRunOn(disk: FaultyDisk, layout: Layout = {}): Promise<void> {
    const sink = sinkFor(dir, clockAt('2026-12-01T07:00:00.000Z'), disk, layout);
    await sink.open({ dryRun: false, mode: 'full', signal });
    await sink.write(records(1, 40), signal);
    await sink.close({ completed: true });
  }

  /** The manifest, the index and every listed file, byte for byte, and the runs kept. */
  async function snapshotOfPublication(outputDir: string) {
    const publication = await readPublication(outputDir);
    return {
      manifest: await readFile(join(outputDir, '$bulk-publish'), 'utf8'),
      index: await readFile(join(outputDir, '.publication-index.json'), 'utf8'),
      files: [...publication.files.entries()],
      runs: (await readdir(join(outputDir, 'runs'))).sort(),
    };
  }

  it('with files split by provider group, merges each group’s files across shards, then an incremental run reuses them', async () => {
    const groups = GROUPED;
    const at = (iso: string) => clockAt(iso);
    const single = sinkFor(singleDir, at('2026-11-30T08:00:00.000Z'), diskFileWriter, groups);
    await single.open({ dryRun: false, mode: 'full', signal });
    await single.write(records(1, 40), signal);
    await single.close({ completed: true });
    for (const [id, from, to] of [
      ['0', 1, 20],
      ['1', 21, 40],
    ] as const) {
      const sink = sinkFor(dir, at('2026-11-30T08:00:00.000Z'), diskFileWriter, groups);
      await sink.open({ dryRun: false, mode: 'full', signal, shard: shard(id) });
      await sink.write(records(from, to), signal);
      await sink.close({ completed: true });
    }
    await sinkFor(dir, at('2026-11-30T08:10:00.000Z'), diskFileWriter, groups).finishRun({
      run: RUN,
      shards: ['0', '1'],
      signal,
    });
    const distributed = await readPublication(dir);
    const names = distributed.manifest.output.map((o) => o.url);
    // One file per name, in the run's directory: no shard's own file is listed.
    for (const url of names) expect(url).toMatch(new RegExp(`^runs/distributed-${RUN}/[^/]+$`));
    expect(names.length).toBe((await readPublication(singleDir)).manifest.output.length);
    expect(names.filter((url) => url.includes('/Slot-')).length).toBeLessThanOrEqual(32);
    expect(linesByType(distributed)).toEqual(linesByType(await readPublication(singleDir)));
    // The shards' files were merged: nothing names them any more.
    const runDir = await readdir(join(dir, 'runs', `distributed-${RUN}`));
    expect(runDir.filter((name) => /^shard-[^.]+$/.test(name))).toEqual([]);

    const inodes = async () =>
      new Map(
        await Promise.all(
          (await readPublication(dir)).manifest.output.map(
            async (o) =>
              [o.url.split('/').pop() ?? '', (await stat(join(dir, o.url))).ino] as const,
          ),
        ),
      );
    const before = await inodes();
    const changed = buildRecord(7, '2026-12-01', 14, 3);
    const [slot] = changed.slots;
    if (slot !== undefined) slot.available = !slot.available;
    const incremental = sinkFor(dir, at('2026-11-30T09:00:00.000Z'), diskFileWriter, groups);
    await incremental.open({ dryRun: false, mode: 'incremental', signal });
    await incremental.write([changed], signal);
    await incremental.close({ completed: true });
    const after = await inodes();
    const reused = [...after].filter(([name, ino]) => before.get(name) === ino);
    expect(reused.length).toBeGreaterThan(after.size / 2);
    expect(reused.length).toBeLessThan(after.size);
  });

  it('refuses to open a shard for an incremental run, writing nothing', async () => {
    const sink = sinkFor(dir);
    await expect(
      sink.open({ dryRun: false, mode: 'incremental', signal, shard: shard('0') }),
    ).rejects.toMatchObject({
      code: 'PMS_CONFIG',
      message: expect.stringMatching(
        /shard 0 of run a1b2c3d4e5f6 was opened in incremental mode.*full mode/,
      ) as unknown,
    });
    expect(await readdir(dir)).toEqual([]);
  });

  it('keeps the files of a run whose id is not a plain name inside its own run directory', async () => {
    const odd = { run: '../2026-12-01T08:00:00Z', id: 'a/b' };
    const sink = sinkFor(dir);
    await sink.open({ dryRun: false, mode: 'full', signal, shard: odd });
    await sink.write(records(1, 4), signal);
    await sink.close({ completed: true });
    await sinkFor(dir).finishRun({ run: odd.run, shards: [odd.id], signal });
    const [runDir, ...others] = await readdir(join(dir, 'runs'));
    expect(others).toEqual([]);
    expect(runDir).toMatch(/^distributed-h\.[0-9a-f]{32}$/);
    const { manifest } = await readPublication(dir);
    expect(manifest.output.length).toBeGreaterThan(0);
    for (const output of manifest.output)
      expect(output.url).toMatch(
        new RegExp(
          `^runs/${(runDir ?? '').replace('.', '\\.')}/(shard-h\\.[0-9a-f]{32}/)?[\\w-]+\\.ndjson$`,
        ),
      );
  });

  it('runs through the sync engine: shards in separate engines, one failing and taken over, then the run finished', async () => {
    const source = new PopulationSource(40);
    const clock = clockAt('2026-12-01T08:00:00.000Z');
    const startedAt = clock.now().toISOString();
    const state = new MemoryStateStore({ clock });
    const engineWith = (sink: BulkPublishSink) =>
      SyncEngine.of({
        source,
        slots: source,
        stages: [],
        sinks: [sink],
        state,
        logger: silentLogger,
        clock,
      });
    const options = {
      pipeline: 'ssl',
      batchSize: 3,
      batchMaxWaitMs: 1,
      concurrency: 1,
      horizonDays: 3,
    };

    await engineWith(sinkFor(singleDir, clock)).run({ ...options, mode: 'full' });

    const first = {
      ...options,
      run: RUN,
      startedAt,
      shard: { id: '0', throughId: 'PRV0000000020' },
    };
    const second = {
      ...options,
      run: RUN,
      startedAt,
      shard: { id: '1', afterId: 'PRV0000000020' },
    };
    const sinkOn = (writer: FileWriter = diskFileWriter) => sinkFor(dir, clock, writer);
    // The disk fills in the middle of shard 1: its worker fails after some acknowledged batches.
    await expect(
      engineWith(sinkOn(new FaultyDisk().fillAfter(FILL_AFTER_WRITES))).runShard(second),
    ).rejects.toMatchObject({ code: 'PMS_PUBLICATION_DISK_FULL' });
    await engineWith(sinkOn()).runShard(first);
    const takenOver = await engineWith(sinkOn()).runShard(second);
    expect(takenOver.resumed).toBe(true);
    await engineWith(sinkOn()).finishDistributedRun({
      pipeline: 'ssl',
      run: RUN,
      startedAt,
      shards: ['0', '1'],
    });

    const single = await readPublication(singleDir);
    const distributed = await readPublication(dir);
    expect(lineCountsByType(single).Slot).toBeGreaterThan(0);
    expect(linesByType(distributed)).toEqual(linesByType(single));
  });
});
