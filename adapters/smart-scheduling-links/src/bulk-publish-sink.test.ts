import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  ContentDiff,
  MemoryStateStore,
  silentLogger,
  type Clock,
  type RecordOutcome,
  type SyncRecord,
} from '@pmsbridge/core';
import type { PractitionerRole, Resource, Schedule, Slot } from '@medplum/fhirtypes';
import { BulkPublishSink, type BulkPublishSinkOptions } from './bulk-publish-sink.js';
import { optionsSchema } from './options-schema.js';
import { r4Errors } from '@pmsbridge/fhir-mapping/testing';
import { buildRecord } from '@pmsbridge/fhir-mapping/testing';
import {
  readPublication,
  referencesOf,
  resourcesOf,
  unresolvedReferences,
} from './testing/publication.js';

const signal = new AbortController().signal;
const clockAt = (iso: string): Clock => ({ now: () => new Date(iso) });

describe('BulkPublishSink', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'pmsbridge-bulk-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  const sinkFor = (
    clock = clockAt('2026-12-01T08:00:00.000Z'),
    extra: Partial<BulkPublishSinkOptions> = {},
    scheduleActor: 'location' | 'practitioner-role' = 'location',
  ) =>
    new BulkPublishSink(
      {
        outputDir: dir,
        mapping: {
          scheduleActor,
          bookingLink: 'https://book.example/{slotId}',
          bookingPhone: 'location',
        },
        ...extra,
      },
      clock,
      silentLogger,
    );
  const records = (from: number, to: number): SyncRecord[] =>
    Array.from({ length: to - from + 1 }, (_, i) => buildRecord(from + i, '2026-12-01', 14, 3));

  async function run(
    sink: BulkPublishSink,
    batches: SyncRecord[][],
    mode: 'full' | 'incremental' = 'full',
  ) {
    await sink.open({ dryRun: false, mode, signal });
    const outcomes = [];
    for (const batch of batches) outcomes.push(...(await sink.write(batch, signal)));
    await sink.close({ completed: true });
    return outcomes;
  }

  it('publishes a manifest and NDJSON files whose lines validate and whose references resolve', async () => {
    await run(sinkFor(), [records(1, 20), records(21, 40)]);
    const { manifest, files } = await readPublication(dir);
    expect(manifest.transactionTime).toBe('2026-12-01T08:00:00.000Z');
    expect(manifest.request).toBe('$bulk-publish');
    expect(manifest.error).toEqual([]);
    expect(new Set(manifest.output.map((o) => o.type))).toEqual(
      new Set(['Location', 'Schedule', 'Slot']),
    );
    for (const output of manifest.output) expect(output.extension?.state?.length).toBe(1);
    expect(manifest.output.some((o) => /Slot-NY-2026-W50\.ndjson$/.test(o.url))).toBe(true);

    const resources = resourcesOf(files);
    const ids = new Set(resources.map((r) => `${r.resourceType}/${r.id}`));
    expect(ids.size).toBe(resources.length); // no duplicates (Locations are shared by providers)
    for (const [, file] of files) {
      for (const line of file.lines) {
        const resource = JSON.parse(line) as Resource;
        expect(resource.resourceType).toBe(file.type);
        expect(r4Errors(resource)).toEqual([]);
      }
    }
    expect(referencesOf(resources).length).toBeGreaterThan(40);
    expect(unresolvedReferences(resources)).toEqual([]);
    // Schedule.actor is exactly one Location (the profile Inferno tests).
    for (const schedule of resources.filter((r): r is Schedule => r.resourceType === 'Schedule'))
      expect(schedule.actor.map((a) => a.reference?.split('/')[0])).toEqual(['Location']);
    const slots = resources.filter((r): r is Slot => r.resourceType === 'Slot');
    expect(slots).toHaveLength(40 * 14 * 3);
    expect(new Set(slots.map((s) => s.status))).toEqual(new Set(['free', 'busy']));
    expect(slots[0]?.extension?.map((e) => e.url)).toEqual([
      'http://fhir-registry.smarthealthit.org/StructureDefinition/booking-deep-link',
      'http://fhir-registry.smarthealthit.org/StructureDefinition/booking-phone',
    ]);
  });

  it.each([
    { roles: true, actor: 'practitioner-role' as const },
    { roles: true, actor: 'location' as const },
    { roles: false, actor: 'location' as const },
  ])(
    'resolves every reference (roles published: $roles, schedule actor: $actor)',
    async ({ roles, actor }) => {
      await run(sinkFor(undefined, { includePractitionerRoles: roles }, actor), [records(1, 12)]);
      const { manifest, files } = await readPublication(
        dir,
        roles ? 'directory/$bulk-publish' : '$bulk-publish',
      );
      const resources = resourcesOf(files);
      const types = new Set(resources.map((r) => r.resourceType));
      expect(types.has('Practitioner')).toBe(roles);
      expect(types.has('PractitionerRole')).toBe(roles);
      expect(unresolvedReferences(resources)).toEqual([]);
      const refTypes = new Set(referencesOf(resources).map((ref) => ref.split('/')[0]));
      expect(refTypes).toEqual(
        new Set([
          'Schedule',
          'Location',
          ...(roles ? ['Practitioner'] : []),
          ...(actor === 'practitioner-role' ? ['PractitionerRole'] : []),
        ]),
      );
      // Practitioner files are split like Location files: by the state of the first location.
      for (const output of manifest.output.filter((o) => o.type === 'Practitioner')) {
        const [state] = output.extension?.state ?? [];
        expect(output.url).toMatch(new RegExp(`Practitioner-${state ?? '?'}\\.ndjson$`));
      }
      const roleOf = (n: number) =>
        resources.find(
          (r): r is PractitionerRole =>
            r.resourceType === 'PractitionerRole' &&
            r.practitioner?.reference === `Practitioner/PRV${String(n).padStart(10, '0')}`,
        );
      if (roles) expect(roleOf(4)).toBeDefined();
    },
  );

  it('refuses PractitionerRole schedule actors when roles are not published', () => {
    expect(() =>
      sinkFor(undefined, { includePractitionerRoles: false }, 'practitioner-role'),
    ).toThrow(/includePractitionerRoles/);
  });

  it('writes absolute URLs when a base URL is configured', async () => {
    await run(sinkFor(undefined, { baseUrl: 'https://pub.example/ssl/' }), [records(1, 2)]);
    const { manifest } = await readPublication(dir);
    expect(manifest.request).toBe('https://pub.example/ssl/$bulk-publish');
    for (const output of manifest.output)
      expect(output.url.startsWith('https://pub.example/ssl/runs/')).toBe(true);
  });

  it('resumes from a checkpoint without duplicate lines and writes the manifest only when completed', async () => {
    await run(sinkFor(), [records(1, 10), records(11, 20), records(21, 30)]);
    const clean = await readPublication(dir);
    await rm(dir, { recursive: true, force: true });

    const first = sinkFor();
    await first.open({ dryRun: false, mode: 'full', signal });
    await first.write(records(1, 10), signal);
    const checkpoint = first.checkpointState();
    await first.write(records(11, 20), signal); // written but never acknowledged
    await first.close({ completed: false });
    await expect(readdir(dir)).resolves.not.toContain('$bulk-publish');

    const second = sinkFor(clockAt('2026-12-01T09:00:00.000Z'));
    await second.open({
      dryRun: false,
      mode: 'full',
      signal,
      resumeState: JSON.parse(JSON.stringify(checkpoint)),
    });
    await second.write(records(11, 20), signal);
    await second.write(records(21, 30), signal);
    await second.close({ completed: true });
    const resumed = await readPublication(dir);
    expect(resumed.manifest).toEqual(clean.manifest);
    expect([...resumed.files.entries()]).toEqual([...clean.files.entries()]);
  });

  it('writes nothing in a dry run but reports what it would write', async () => {
    const sink = sinkFor();
    await sink.open({ dryRun: true, mode: 'full', signal });
    const outcomes = await sink.write(records(1, 2), signal);
    await sink.close({ completed: true });
    expect(outcomes[0]?.counts?.Slot?.created).toBe(42);
    await expect(readdir(dir)).resolves.toEqual([]);
  });

  it('carries untouched providers forward in an incremental run and drops deactivated ones', async () => {
    const roles = { includePractitionerRoles: true };
    await run(sinkFor(undefined, roles), [records(1, 10)]);
    const changed = buildRecord(4, '2026-12-01', 14, 1);
    const incremental = sinkFor(clockAt('2026-12-02T08:00:00.000Z'), roles);
    const outcomes = await run(
      incremental,
      [
        [
          changed,
          { kind: 'deactivation', providerId: 'PRV0000000003', changedAt: '2026-12-02T07:00:00Z' },
        ],
      ],
      'incremental',
    );
    const { manifest, files } = await readPublication(dir, 'directory/$bulk-publish');
    expect(outcomes[1]?.counts).toEqual({
      Provider: { created: 0, updated: 0, unchanged: 0, deleted: 1 },
    });
    expect(manifest.transactionTime).toBe('2026-12-02T08:00:00.000Z');
    const slots = resourcesOf(files).filter((r): r is Slot => r.resourceType === 'Slot');
    const owners = (id: string) =>
      slots.filter((s) => s.schedule.reference?.startsWith(`Schedule/${id}-`));
    expect(owners('PRV0000000003')).toEqual([]);
    expect(owners('PRV0000000004')).toHaveLength(14); // its new schedule, one slot a day, as sent
    expect(owners('PRV0000000005')).toHaveLength(13 * 3); // carried forward, past day dropped
    const resources = resourcesOf(files);
    const ids = resources.map((r) => `${r.resourceType}/${r.id}`);
    expect(new Set(ids).size).toBe(ids.length); // touched providers' lines were not carried forward
    expect(ids).not.toContain('Practitioner/PRV0000000003');
    expect(ids).toContain('Practitioner/PRV0000000004');
    expect(ids).toContain('Practitioner/PRV0000000005');
    expect(unresolvedReferences(resources)).toEqual([]);
  });
  describe('which types $bulk-publish lists', () => {
    const SPEC = ['Location', 'Schedule', 'Slot'];
    const typesOf = (manifest: { output: Array<{ type: string }> }) =>
      new Set(manifest.output.map((o) => o.type));

    it('does not publish directory resources unless asked (the schema default too)', () => {
      const options = optionsSchema.parse({
        outputDir: 'out',
        baseUrl: 'https://pub.example',
      });
      expect(options.includePractitionerRoles).toBe(false);
    });

    it('lists exactly Location, Schedule and Slot by default, every reference resolving inside', async () => {
      await run(sinkFor(), [records(1, 12)]);
      const { manifest, files } = await readPublication(dir);
      expect(typesOf(manifest)).toEqual(new Set(SPEC));
      const resources = resourcesOf(files);
      expect(new Set(resources.map((r) => r.resourceType))).toEqual(new Set(SPEC));
      expect(referencesOf(resources).length).toBeGreaterThan(0);
      expect(unresolvedReferences(resources)).toEqual([]);
      await expect(stat(join(dir, 'directory'))).rejects.toMatchObject({ code: 'ENOENT' });
    });

    it('adds Practitioner and PractitionerRole in directory/$bulk-publish when asked, leaving $bulk-publish as the specification lists it', async () => {
      await run(
        sinkFor(undefined, { includePractitionerRoles: true, baseUrl: 'https://pub.example' }),
        [records(1, 12)],
      );
      const specification = await readPublication(dir);
      expect(typesOf(specification.manifest)).toEqual(new Set(SPEC));
      expect(unresolvedReferences(resourcesOf(specification.files))).toEqual([]);
      const directory = await readPublication(dir, 'directory/$bulk-publish');
      expect(directory.manifest.request).toBe('https://pub.example/directory/$bulk-publish');
      expect(directory.manifest.transactionTime).toBe(specification.manifest.transactionTime);
      expect(typesOf(directory.manifest)).toEqual(
        new Set([...SPEC, 'Practitioner', 'PractitionerRole']),
      );
      // The same files, plus the directory's own.
      expect(directory.manifest.output.filter((o) => SPEC.includes(o.type))).toEqual(
        specification.manifest.output,
      );
      expect(unresolvedReferences(resourcesOf(directory.files))).toEqual([]);
      // A Schedule names only its Location; its PractitionerRole has the Schedule's id.
      const roleIds = new Set(
        resourcesOf(directory.files)
          .filter((r) => r.resourceType === 'PractitionerRole')
          .map((r) => r.id),
      );
      const schedules = resourcesOf(specification.files).filter(
        (r) => r.resourceType === 'Schedule',
      );
      expect(schedules.length).toBeGreaterThan(0);
      for (const schedule of schedules) expect(roleIds.has(schedule.id)).toBe(true);
    });

    it('with PractitionerRole schedule actors, leaves unresolved in $bulk-publish only those actors, which the directory manifest resolves', async () => {
      await run(sinkFor(undefined, { includePractitionerRoles: true }, 'practitioner-role'), [
        records(1, 12),
      ]);
      const specification = resourcesOf((await readPublication(dir)).files);
      const dangling = unresolvedReferences(specification);
      expect(dangling.length).toBeGreaterThan(0);
      expect(dangling.every((ref) => ref.startsWith('PractitionerRole/'))).toBe(true);
      const actors = specification
        .filter((r): r is Schedule => r.resourceType === 'Schedule')
        .flatMap((schedule) => schedule.actor.map((a) => a.reference));
      for (const ref of dangling) expect(actors).toContain(ref);
      const directory = resourcesOf((await readPublication(dir, 'directory/$bulk-publish')).files);
      expect(unresolvedReferences(directory)).toEqual([]);
    });

    it('removes the directory manifest once directory resources are no longer published', async () => {
      await run(sinkFor(undefined, { includePractitionerRoles: true }), [records(1, 4)]);
      expect((await stat(join(dir, 'directory', '$bulk-publish'))).isFile()).toBe(true);
      await run(sinkFor(clockAt('2026-12-01T09:00:00.000Z')), [records(1, 4)]);
      await expect(stat(join(dir, 'directory', '$bulk-publish'))).rejects.toMatchObject({
        code: 'ENOENT',
      });
      const { manifest } = await readPublication(dir);
      expect(typesOf(manifest)).toEqual(new Set(SPEC));
    });

    it('does not carry directory resources forward once they are no longer published', async () => {
      await run(sinkFor(undefined, { includePractitionerRoles: true }), [records(1, 6)]);
      await run(sinkFor(clockAt('2026-12-01T09:00:00.000Z')), [records(2, 2)], 'incremental');
      const { files } = await readPublication(dir);
      const types = new Set(resourcesOf(files).map((r) => r.resourceType));
      expect(types).toEqual(new Set(SPEC));
      const runs = await readdir(join(dir, 'runs'));
      const current = runs.sort().at(-1) ?? '';
      const names = await readdir(join(dir, 'runs', current));
      expect(names.filter((n) => n.startsWith('Practitioner'))).toEqual([]);
    });
  });

  describe('counts with a content diff', () => {
    const totals = (outcomes: readonly RecordOutcome[]) => {
      const sum = { created: 0, updated: 0, unchanged: 0, deleted: 0 };
      for (const outcome of outcomes)
        for (const counts of Object.values(outcome.counts ?? {}))
          for (const [bucket, n] of Object.entries(counts)) sum[bucket as keyof typeof sum] += n;
      return sum;
    };

    it('counts a repeated full run as unchanged, a changed provider as updated, a deactivation as deleted', async () => {
      const state = new MemoryStateStore();
      const clock = clockAt('2026-12-01T08:00:00.000Z');
      const withDiff = () =>
        sinkFor(clock, { contentDiff: new ContentDiff(state, 'ssl:test', clock) });
      const first = totals(await run(withDiff(), [records(1, 5)]));
      expect(first.created).toBeGreaterThan(0);
      expect(first.unchanged + first.updated + first.deleted).toBe(0);

      const again = totals(await run(withDiff(), [records(1, 5)]));
      expect(again).toEqual({ created: 0, updated: 0, unchanged: first.created, deleted: 0 });

      const changed = records(1, 5);
      const third = changed[2];
      // A booked slot changes the published Slot; acceptingNewPatients would not (no
      // PractitionerRole is published by default).
      if (third?.kind === 'provider' && third.slots[0] !== undefined) {
        third.slots[0].available = !third.slots[0].available;
      }
      const deactivation: SyncRecord = {
        kind: 'deactivation',
        providerId: buildRecord(5).provider.id,
        changedAt: '2026-12-01T09:00:00Z',
      };
      const outcomes = await run(
        withDiff(),
        [[...changed.slice(0, 4), deactivation]],
        'incremental',
      );
      const byKey = new Map(outcomes.map((o) => [o.key, totals([o])]));
      expect(byKey.get(buildRecord(3).provider.id)?.updated).toBeGreaterThan(0);
      expect(byKey.get(buildRecord(1).provider.id)?.updated).toBe(0);
      expect(byKey.get(buildRecord(5).provider.id)).toEqual({
        created: 0,
        updated: 0,
        unchanged: 0,
        deleted: 1,
      });
      // A provider never published is not counted as deleted.
      const neverSeen: SyncRecord = { ...deactivation, providerId: 'PRV9999999999' };
      const [unknown] = await run(withDiff(), [[neverSeen]], 'incremental');
      expect(totals(unknown === undefined ? [] : [unknown]).deleted).toBe(0);
    });

    it('remembers nothing from a dry run', async () => {
      const state = new MemoryStateStore();
      const clock = clockAt('2026-12-01T08:00:00.000Z');
      const sink = sinkFor(clock, { contentDiff: new ContentDiff(state, 'ssl:test', clock) });
      await sink.open({ dryRun: true, mode: 'full', signal });
      await sink.write(records(1, 3), signal);
      await sink.close({ completed: true });
      expect(await state.listHashKeys('ssl:test', '')).toEqual([]);
    });
  });
});
