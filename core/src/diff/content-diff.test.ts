import { describe, expect, it } from '@jest/globals';
import { MemoryStateStore } from '../state/memory-state-store.js';
import { ManualClock } from '../testing/manual-clock.js';
import { ContentDiff, type TrackedItem } from './content-diff.js';

function setup() {
  const store = new MemoryStateStore();
  const clock = new ManualClock('2026-12-01T12:00:00.000Z');
  return { store, clock, diff: new ContentDiff(store, 'test-sink', clock) };
}

const item = (key: string, hash: string, endsAt?: string): TrackedItem =>
  endsAt === undefined ? { key, hash } : { key, hash, endsAt };

describe('ContentDiff', () => {
  it('sorts an owner’s items into created, updated and unchanged against what was recorded', async () => {
    const { diff } = setup();
    await diff.record([item('p1/a', 'h1'), item('p1/b', 'h2')], []);
    const result = await diff.compare('p1', [
      item('p1/a', 'h1'),
      item('p1/b', 'h2-changed'),
      item('p1/c', 'h3'),
    ]);
    expect(result.unchanged.map((i) => i.key)).toEqual(['p1/a']);
    expect(result.updated.map((i) => i.key)).toEqual(['p1/b']);
    expect(result.created.map((i) => i.key)).toEqual(['p1/c']);
    expect(result.withdrawn).toEqual([]);
    expect(result.expired).toEqual([]);
  });

  it('withdraws what left while current, and only forgets what left after it ended', async () => {
    const { diff } = setup();
    await diff.record(
      [
        item('p1/slot-past', 'h', '2026-12-01T06:00:00-05:00'),
        item('p1/slot-future', 'h', '2026-12-02T09:00:00-05:00'),
        item('p1/location', 'h'),
      ],
      [],
    );
    const result = await diff.compare('p1', []);
    expect(result.expired).toEqual(['p1/slot-past']);
    expect(result.withdrawn.sort()).toEqual(['p1/location', 'p1/slot-future']);
  });

  it('compares the hash alone, whatever end was recorded with it', async () => {
    const { diff } = setup();
    await diff.record([item('p1/slot', 'h', '2026-12-02T09:00:00Z')], []);
    const result = await diff.compare('p1', [item('p1/slot', 'h', '2026-12-02T10:00:00Z')]);
    expect(result.unchanged).toHaveLength(1);
  });

  it('keeps owners apart, even when one owner is a prefix of another', async () => {
    const { diff } = setup();
    await diff.record([item('p1/a', 'h'), item('p10/a', 'h')], []);
    expect((await diff.leave('p1')).withdrawn).toEqual(['p1/a']);
  });

  it('forgets keys it is told are gone, so a later compare creates them again', async () => {
    const { diff } = setup();
    await diff.record([item('p1/a', 'h'), item('p1/b', 'h')], []);
    await diff.record([], ['p1/a']);
    const result = await diff.compare('p1', [item('p1/a', 'h'), item('p1/b', 'h')]);
    expect(result.created.map((i) => i.key)).toEqual(['p1/a']);
    expect(result.unchanged.map((i) => i.key)).toEqual(['p1/b']);
  });

  it('reads values stored as "<hash> <start>", the form FHIR server sinks have kept since slots carried starts', async () => {
    const { diff, store } = setup();
    await store.setHashes('test-sink', [['p1/Slot/s', 'abc 2026-11-30T09:00:00-05:00']]);
    expect(await diff.leave('p1')).toEqual({ withdrawn: [], expired: ['p1/Slot/s'] });
    const again = await diff.compare('p1', [item('p1/Slot/s', 'abc')]);
    expect(again.unchanged).toHaveLength(1);
  });
});
