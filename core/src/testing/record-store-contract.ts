import type { Clock } from '../ports/clock.js';
import type { RecordStore } from '../ports/record-store.js';
import type { StateStore } from '../ports/state-store.js';
import { ManualClock } from './manual-clock.js';
import { testGlobals } from './test-globals.js';

/** Makes a fresh, empty store with records that reads time from `clock`. */
export type RecordStoreFactory = (
  clock: Clock,
) => Promise<StateStore & RecordStore> | (StateStore & RecordStore);

/**
 * The behaviour every {@link RecordStore} must have, as a jest suite, like
 * `describeStateStoreContract` for the rest of a state store.
 */
export function describeRecordStoreContract(name: string, factory: RecordStoreFactory): void {
  const { afterEach, beforeEach, describe, expect, it } = testGlobals(
    'describeRecordStoreContract',
  );

  describe(`${name} (records)`, () => {
    let clock: ManualClock;
    let store: StateStore & RecordStore;

    beforeEach(async () => {
      clock = new ManualClock('2026-03-02T10:00:00.000Z');
      store = await factory(clock);
    });

    afterEach(async () => {
      await store.close();
    });

    it('creates a record once: a second create of the key leaves the first value', async () => {
      expect(await store.createRecord('bookings', 'k1', '{"a":1}')).toBe(true);
      expect(await store.createRecord('bookings', 'k1', '{"a":2}')).toBe(false);
      expect(await store.getRecord('bookings', 'k1')).toEqual({
        value: '{"a":1}',
        version: 1,
        updatedAt: '2026-03-02T10:00:00.000Z',
      });
      expect(await store.getRecord('other', 'k1')).toBeUndefined();
    });

    it('updates only from the version read, one writer winning', async () => {
      await store.createRecord('bookings', 'k1', 'v1');
      clock.advance(1000);
      expect(await store.updateRecord('bookings', 'k1', 'v2', 1)).toBe(true);
      expect(await store.updateRecord('bookings', 'k1', 'lost', 1)).toBe(false);
      expect(await store.getRecord('bookings', 'k1')).toEqual({
        value: 'v2',
        version: 2,
        updatedAt: '2026-03-02T10:00:01.000Z',
      });
      expect(await store.updateRecord('bookings', 'absent', 'v', 1)).toBe(false);
      const racers = await Promise.all(
        ['a', 'b', 'c'].map((v) => store.updateRecord('bookings', 'k1', v, 2)),
      );
      expect(racers.filter(Boolean)).toHaveLength(1);
    });

    it('lists by prefix in key order, with a limit, and deletes', async () => {
      for (const key of ['b/2', 'a/1', 'b/1', 'c']) await store.createRecord('queue', key, key);
      expect((await store.listRecords('queue')).map((r) => r.key)).toEqual([
        'a/1',
        'b/1',
        'b/2',
        'c',
      ]);
      expect((await store.listRecords('queue', { prefix: 'b/' })).map((r) => r.value)).toEqual([
        'b/1',
        'b/2',
      ]);
      expect((await store.listRecords('queue', { limit: 1 })).map((r) => r.key)).toEqual(['a/1']);
      await store.deleteRecord('queue', 'b/1');
      await store.deleteRecord('queue', 'absent');
      expect((await store.listRecords('queue', { prefix: 'b/' })).map((r) => r.key)).toEqual([
        'b/2',
      ]);
      expect(await store.createRecord('queue', 'b/1', 'again')).toBe(true);
    });
  });
}
