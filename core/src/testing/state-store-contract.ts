import { ErrorCategory, isPmsbridgeError, type StateError } from '../errors/errors.js';
import type { Clock } from '../ports/clock.js';
import type { DeadLetterInput, StateStore } from '../ports/state-store.js';
import { ManualClock } from './manual-clock.js';
import { testGlobals } from './test-globals.js';

/** Makes a fresh, empty store that reads time from `clock`. */
export type StateStoreFactory = (clock: Clock) => Promise<StateStore> | StateStore;

function letter(patch: Partial<DeadLetterInput> = {}): DeadLetterInput {
  return {
    pipeline: 'providers',
    key: 'provider:PRV1',
    stage: 'sink:fhir',
    reason: { code: 'PMS_SINK', message: 'rejected', details: { status: 422 } },
    record: { id: 'PRV1', name: { last: 'Doe' } },
    ...patch,
  };
}

/**
 * The behaviour every {@link StateStore} must have, as a jest suite. Each implementation's
 * test file calls this with a factory, so the SQLite and in-memory stores, and a store
 * written outside this repository, are held to the same tests. The factory gets the
 * {@link ManualClock} the suite moves; the suite closes each store after its test.
 *
 * @example
 * ```ts
 * describeStateStoreContract('RedisStateStore', (clock) => new RedisStateStore({ clock }));
 * ```
 */
export function describeStateStoreContract(name: string, factory: StateStoreFactory): void {
  const { afterEach, beforeEach, describe, expect, it } = testGlobals('describeStateStoreContract');

  async function expectStateError(promise: Promise<unknown>): Promise<StateError> {
    const error = await promise.then(
      () => undefined,
      (caught: unknown) => caught,
    );
    // By brand, not instanceof: a store outside this repository may use another copy of core.
    expect(isPmsbridgeError(error)).toBe(true);
    expect((error as StateError).category).toBe(ErrorCategory.State);
    return error as StateError;
  }

  describe(`${name} (StateStore contract)`, () => {
    let clock: ManualClock;
    let store: StateStore;

    beforeEach(async () => {
      clock = new ManualClock();
      store = await factory(clock);
    });

    afterEach(async () => {
      await store.close();
    });

    describe('checkpoints', () => {
      it('has no checkpoint for a stream never saved', async () => {
        expect(await store.getCheckpoint('providers', 'full')).toBeUndefined();
      });

      it('reads back position, sink states and time per pipeline and stream', async () => {
        const full = {
          position: { page: 3, cursor: 'abc', done: false },
          sinkStates: { fhir: { bytes: 120 }, ndjson: [1, 2] },
          updatedAt: '2025-03-01T08:00:00.000Z',
        };
        const incremental = { position: 'token-9', sinkStates: {}, updatedAt: 'later' };
        await store.saveCheckpoint('providers', 'full', full);
        await store.saveCheckpoint('providers', 'incremental', incremental);
        await store.saveCheckpoint('slots', 'full', { ...full, position: { page: 99 } });

        expect(await store.getCheckpoint('providers', 'full')).toEqual(full);
        expect(await store.getCheckpoint('providers', 'incremental')).toEqual(incremental);
        expect((await store.getCheckpoint('slots', 'full'))?.position).toEqual({ page: 99 });
      });

      it('replaces the checkpoint on save and clears only the named stream', async () => {
        await store.saveCheckpoint('p', 'full', {
          position: 1,
          sinkStates: { a: 1 },
          updatedAt: 't1',
        });
        await store.saveCheckpoint('p', 'full', { position: 2, sinkStates: {}, updatedAt: 't2' });
        await store.saveCheckpoint('p', 'incremental', {
          position: 7,
          sinkStates: {},
          updatedAt: 't',
        });
        expect(await store.getCheckpoint('p', 'full')).toEqual({
          position: 2,
          sinkStates: {},
          updatedAt: 't2',
        });

        await store.clearCheckpoint('p', 'full');
        await store.clearCheckpoint('p', 'never-saved');
        expect(await store.getCheckpoint('p', 'full')).toBeUndefined();
        expect((await store.getCheckpoint('p', 'incremental'))?.position).toBe(7);
      });

      it('keeps an undefined position undefined and a null position null', async () => {
        await store.saveCheckpoint('p', 'a', {
          position: undefined,
          sinkStates: {},
          updatedAt: 't',
        });
        await store.saveCheckpoint('p', 'b', { position: null, sinkStates: {}, updatedAt: 't' });
        const a = await store.getCheckpoint('p', 'a');
        expect(a).toBeDefined();
        expect(a?.position).toBeUndefined();
        expect((await store.getCheckpoint('p', 'b'))?.position).toBeNull();
      });

      it('stores a copy, unaffected by later changes to the saved object', async () => {
        const position = { page: 1 };
        await store.saveCheckpoint('p', 'full', { position, sinkStates: {}, updatedAt: 't' });
        position.page = 2;
        const read = await store.getCheckpoint('p', 'full');
        expect(read?.position).toEqual({ page: 1 });
      });

      it('rejects a position JSON cannot hold and keeps the previous checkpoint', async () => {
        await store.saveCheckpoint('p', 'full', { position: 1, sinkStates: {}, updatedAt: 't' });
        const error = await expectStateError(
          store.saveCheckpoint('p', 'full', { position: 10n, sinkStates: {}, updatedAt: 't' }),
        );
        expect(error.message).toContain('pipeline "p" stream "full"');
        expect((await store.getCheckpoint('p', 'full'))?.position).toBe(1);
      });
    });

    describe('dead letters', () => {
      it('adds a dead letter with one attempt, stamped with the clock', async () => {
        await store.addDeadLetter(letter());
        const [stored, ...rest] = await store.listDeadLetters('providers');
        expect(rest).toHaveLength(0);
        expect(stored).toEqual({
          id: expect.any(Number),
          ...letter(),
          attempts: 1,
          firstSeenAt: '2025-03-01T08:00:00.000Z',
          lastSeenAt: '2025-03-01T08:00:00.000Z',
        });
      });

      it('counts a repeat for the same pipeline, key and stage as another attempt', async () => {
        await store.addDeadLetter(letter());
        const [first] = await store.listDeadLetters('providers');
        clock.advance(60_000);
        const reason = { code: 'PMS_REMOTE', message: 'server error' };
        await store.addDeadLetter(letter({ reason, record: { id: 'PRV1', v: 2 } }));

        const letters = await store.listDeadLetters('providers');
        expect(letters).toHaveLength(1);
        expect(letters[0]).toEqual({
          ...first,
          reason,
          record: { id: 'PRV1', v: 2 },
          attempts: 2,
          lastSeenAt: '2025-03-01T08:01:00.000Z',
        });
      });

      it('keeps separate rows for another stage, key or pipeline', async () => {
        await store.addDeadLetter(letter());
        await store.addDeadLetter(letter({ stage: 'map' }));
        await store.addDeadLetter(letter({ key: 'provider:PRV2' }));
        await store.addDeadLetter(letter({ pipeline: 'slots' }));
        expect(await store.listDeadLetters('providers')).toHaveLength(3);
        expect(await store.listDeadLetters('slots')).toHaveLength(1);
      });

      it('lists oldest first, up to the limit', async () => {
        for (const n of [1, 2, 3, 4]) {
          await store.addDeadLetter(letter({ key: `k${n}` }));
          clock.advance(1_000);
        }
        await store.addDeadLetter(letter({ key: 'k1' }));
        const keys = (await store.listDeadLetters('providers', { limit: 3 })).map((l) => l.key);
        expect(keys).toEqual(['k1', 'k2', 'k3']);
        expect(await store.listDeadLetters('providers', { limit: 10 })).toHaveLength(4);
      });

      it('rejects a limit that is not a positive integer', async () => {
        await expectStateError(store.listDeadLetters('providers', { limit: 0 }));
        await expectStateError(store.listDeadLetters('providers', { limit: 1.5 }));
      });

      it('purges the given ids of the pipeline only and returns how many went', async () => {
        for (const key of ['a', 'b', 'c']) await store.addDeadLetter(letter({ key }));
        await store.addDeadLetter(letter({ pipeline: 'slots', key: 'x' }));
        const [a, , c] = await store.listDeadLetters('providers');
        const [x] = await store.listDeadLetters('slots');
        const ids = [a?.id, c?.id, x?.id, 987654].filter((id): id is number => id !== undefined);

        expect(await store.purgeDeadLetters('providers', ids)).toBe(2);
        expect((await store.listDeadLetters('providers')).map((l) => l.key)).toEqual(['b']);
        expect(await store.listDeadLetters('slots')).toHaveLength(1);
        expect(await store.purgeDeadLetters('providers', [])).toBe(0);
        expect(await store.listDeadLetters('providers')).toHaveLength(1);
      });

      it('purges all of a pipeline when no ids are given', async () => {
        for (const key of ['a', 'b']) await store.addDeadLetter(letter({ key }));
        await store.addDeadLetter(letter({ pipeline: 'slots' }));
        expect(await store.purgeDeadLetters('providers')).toBe(2);
        expect(await store.listDeadLetters('providers')).toEqual([]);
        expect(await store.listDeadLetters('slots')).toHaveLength(1);
      });

      it('names the dead letter, not its record, when the record cannot be stored', async () => {
        const record = { ssn: 'do-not-print-123', big: 1n };
        const error = await expectStateError(store.addDeadLetter(letter({ record })));
        expect(error.message).toContain('key "provider:PRV1"');
        expect(error.message).not.toContain('do-not-print-123');
        expect(await store.listDeadLetters('providers')).toEqual([]);
      });
    });

    describe('seen ids', () => {
      it('is new the first time, seen until it expires, then new again', async () => {
        expect(await store.markSeen('events', 'evt-1', 10_000)).toBe(true);
        expect(await store.markSeen('events', 'evt-1', 10_000)).toBe(false);
        clock.advance(9_999);
        expect(await store.markSeen('events', 'evt-1', 10_000)).toBe(false);
        clock.advance(1);
        expect(await store.markSeen('events', 'evt-1', 10_000)).toBe(true);
        expect(await store.markSeen('events', 'evt-1', 10_000)).toBe(false);
      });

      it('does not extend the expiry of an id seen again before it expired', async () => {
        await store.markSeen('events', 'evt-1', 10_000);
        clock.advance(5_000);
        expect(await store.markSeen('events', 'evt-1', 10_000)).toBe(false);
        clock.advance(5_000);
        expect(await store.markSeen('events', 'evt-1', 10_000)).toBe(true);
      });

      it('keeps namespaces apart', async () => {
        expect(await store.markSeen('events', 'x', 1_000)).toBe(true);
        expect(await store.markSeen('deliveries', 'x', 1_000)).toBe(true);
        expect(await store.markSeen('events', 'y', 1_000)).toBe(true);
      });

      it('still answers correctly after expired ids were pruned', async () => {
        for (let i = 0; i < 5; i += 1) await store.markSeen('events', `old-${i}`, 1_000);
        await store.markSeen('events', 'long', 3_600_000);
        clock.advance(120_000);
        expect(await store.markSeen('events', 'fresh', 1_000)).toBe(true);
        expect(await store.markSeen('events', 'old-0', 1_000)).toBe(true);
        expect(await store.markSeen('events', 'long', 1_000)).toBe(false);
      });

      it('rejects a time to live that is not positive', async () => {
        await expectStateError(store.markSeen('events', 'x', 0));
        await expectStateError(store.markSeen('events', 'x', Number.NaN));
      });
    });

    describe('content hashes', () => {
      it('sets and gets hashes in batches, per namespace', async () => {
        await store.setHashes('fhir', [
          ['Practitioner/1', 'h1'],
          ['Practitioner/2', 'h2'],
        ]);
        await store.setHashes('ndjson', [['Practitioner/1', 'other']]);
        await store.setHashes('fhir', [['Practitioner/2', 'h2b']]);

        const hashes = await store.getHashes('fhir', ['Practitioner/1', 'Practitioner/2', 'none']);
        expect([...hashes.entries()].sort()).toEqual([
          ['Practitioner/1', 'h1'],
          ['Practitioner/2', 'h2b'],
        ]);
        expect(await store.getHashes('ndjson', ['Practitioner/1'])).toEqual(
          new Map([['Practitioner/1', 'other']]),
        );
      });

      it('handles a batch of thousands of keys', async () => {
        const entries = Array.from({ length: 5_000 }, (_, i) => [`k${i}`, `h${i}`] as const);
        await store.setHashes('fhir', entries);
        const hashes = await store.getHashes(
          'fhir',
          entries.map(([key]) => key),
        );
        expect(hashes.size).toBe(5_000);
        expect(hashes.get('k4999')).toBe('h4999');
        await store.deleteHashes(
          'fhir',
          entries.slice(0, 4_000).map(([key]) => key),
        );
        expect(await store.listHashKeys('fhir', 'k')).toHaveLength(1_000);
      });

      it('deletes the given keys only', async () => {
        await store.setHashes('fhir', [
          ['a', '1'],
          ['b', '2'],
          ['c', '3'],
        ]);
        await store.setHashes('other', [['a', '1']]);
        await store.deleteHashes('fhir', ['a', 'c', 'missing']);
        expect(await store.listHashKeys('fhir', '')).toEqual(['b']);
        expect(await store.listHashKeys('other', '')).toEqual(['a']);
      });

      it('treats empty batches as no-ops', async () => {
        await store.setHashes('fhir', []);
        await store.deleteHashes('fhir', []);
        expect(await store.getHashes('fhir', [])).toEqual(new Map());
      });

      it('lists the keys under a prefix, sorted, reading % and _ literally', async () => {
        const keys = [
          'slot/PRV1/2025-03-01T09:00',
          'slot/PRV1/2025-03-01T08:00',
          'slot/PRV1',
          'slot/PRV10/2025-03-01T08:00',
          'slot/PRV2/2025-03-01T08:00',
          'slot/PRV1%',
          'slot/PRV1_x',
          'slot/PRVX',
          'slot/PRV1/\u{10FFFF}',
          'slot/PRV1/\u{1F600}',
          'slot/PRV1/\uFFFF',
          'slot/PRV1\u{10FFFF}',
          'slot/PRV2',
        ];
        await store.setHashes(
          'fhir',
          keys.map((key) => [key, 'h'] as const),
        );
        await store.setHashes('other', [['slot/PRV1/2025', 'h']]);

        expect(await store.listHashKeys('fhir', 'slot/PRV1/')).toEqual([
          'slot/PRV1/2025-03-01T08:00',
          'slot/PRV1/2025-03-01T09:00',
          'slot/PRV1/\uFFFF',
          'slot/PRV1/\u{1F600}',
          'slot/PRV1/\u{10FFFF}',
        ]);
        expect(await store.listHashKeys('fhir', 'slot/PRV1%')).toEqual(['slot/PRV1%']);
        expect(await store.listHashKeys('fhir', 'slot/PRV1_')).toEqual(['slot/PRV1_x']);
        expect(await store.listHashKeys('fhir', 'slot/PRV1\u{10FFFF}')).toEqual([
          'slot/PRV1\u{10FFFF}',
        ]);
        expect(await store.listHashKeys('fhir', 'slot/PRV1')).toHaveLength(10);
        expect(await store.listHashKeys('fhir', 'nothing')).toEqual([]);
        expect(await store.listHashKeys('fhir', '')).toHaveLength(keys.length);
      });
    });

    describe('leases', () => {
      const ttl = 30_000;

      it('is exclusive while held: another owner gets none until it expires', async () => {
        expect(await store.acquireLease('providers', 'run-a', ttl)).toEqual({
          name: 'providers',
          owner: 'run-a',
          expiresAt: '2025-03-01T08:00:30.000Z',
        });
        expect(await store.acquireLease('providers', 'run-b', ttl)).toBeUndefined();
        clock.advance(ttl - 1);
        expect(await store.acquireLease('providers', 'run-b', ttl)).toBeUndefined();
        expect(await store.acquireLease('slots', 'run-b', ttl)).toMatchObject({ owner: 'run-b' });
      });

      it('reads the stored lease, expired or not, and nothing once released', async () => {
        expect(await store.readLease('providers')).toBeUndefined();
        await store.acquireLease('providers', 'run-a', ttl);
        clock.advance(ttl + 1);
        expect(await store.readLease('providers')).toEqual({
          name: 'providers',
          owner: 'run-a',
          expiresAt: '2025-03-01T08:00:30.000Z',
        });
        await store.releaseLease('providers', 'run-a');
        expect(await store.readLease('providers')).toBeUndefined();
      });

      it('lets another owner take over an expired lease, which then blocks the first', async () => {
        await store.acquireLease('providers', 'run-a', ttl);
        clock.advance(ttl);
        expect(await store.acquireLease('providers', 'run-b', 10_000)).toEqual({
          name: 'providers',
          owner: 'run-b',
          expiresAt: '2025-03-01T08:00:40.000Z',
        });
        expect(await store.acquireLease('providers', 'run-a', ttl)).toBeUndefined();
      });

      it('renews for its owner, by renewLease or by acquiring again', async () => {
        await store.acquireLease('providers', 'run-a', ttl);
        clock.advance(20_000);
        expect(await store.renewLease('providers', 'run-a', ttl)).toBe(true);
        clock.advance(20_000);
        expect(await store.acquireLease('providers', 'run-b', ttl)).toBeUndefined();
        expect(await store.acquireLease('providers', 'run-a', ttl)).toEqual({
          name: 'providers',
          owner: 'run-a',
          expiresAt: '2025-03-01T08:01:10.000Z',
        });
        clock.advance(ttl - 1);
        expect(await store.acquireLease('providers', 'run-b', ttl)).toBeUndefined();
        clock.advance(1);
        expect(await store.acquireLease('providers', 'run-b', ttl)).toBeDefined();
      });

      it('renews an expired lease that nobody took over', async () => {
        await store.acquireLease('providers', 'run-a', ttl);
        clock.advance(ttl + 5_000);
        expect(await store.renewLease('providers', 'run-a', ttl)).toBe(true);
        clock.advance(ttl - 1);
        expect(await store.acquireLease('providers', 'run-b', ttl)).toBeUndefined();
      });

      it('fails to renew after another owner took the lease over, and leaves it theirs', async () => {
        await store.acquireLease('providers', 'run-a', ttl);
        clock.advance(ttl);
        await store.acquireLease('providers', 'run-b', ttl);
        expect(await store.renewLease('providers', 'run-a', ttl)).toBe(false);
        expect(await store.acquireLease('providers', 'run-a', ttl)).toBeUndefined();
        expect(await store.renewLease('providers', 'run-b', ttl)).toBe(true);
      });

      it('fails to renew a lease never acquired', async () => {
        expect(await store.renewLease('providers', 'run-a', ttl)).toBe(false);
        expect(await store.acquireLease('providers', 'run-b', ttl)).toBeDefined();
      });

      it('frees the lease at once on release by its owner', async () => {
        await store.acquireLease('providers', 'run-a', ttl);
        await store.releaseLease('providers', 'run-a');
        expect(await store.renewLease('providers', 'run-a', ttl)).toBe(false);
        expect(await store.acquireLease('providers', 'run-b', ttl)).toMatchObject({
          owner: 'run-b',
        });
        expect(await store.acquireLease('providers', 'run-a', ttl)).toBeUndefined();
      });

      it('ignores a release by another owner or of a lease not held', async () => {
        await store.acquireLease('providers', 'run-a', ttl);
        await store.releaseLease('providers', 'run-b');
        await store.releaseLease('slots', 'run-a');
        expect(await store.acquireLease('providers', 'run-b', ttl)).toBeUndefined();
        expect(await store.renewLease('providers', 'run-a', ttl)).toBe(true);
      });

      it('rejects a time to live that is not positive or too long to represent', async () => {
        await expectStateError(store.acquireLease('providers', 'run-a', 0));
        await expectStateError(store.acquireLease('providers', 'run-a', Number.POSITIVE_INFINITY));
        await expectStateError(store.acquireLease('providers', 'run-a', 1e300));
        await store.acquireLease('providers', 'run-a', ttl);
        await expectStateError(store.renewLease('providers', 'run-a', -1));
        clock.advance(ttl - 1);
        expect(await store.acquireLease('providers', 'run-b', ttl)).toBeUndefined();
      });
    });

    describe('closing', () => {
      it('rejects calls after close with a StateError, and closes twice quietly', async () => {
        await store.close();
        await store.close();
        await expectStateError(store.getCheckpoint('p', 'full'));
        await expectStateError(store.markSeen('events', 'x', 1_000));
        await expectStateError(store.setHashes('fhir', [['a', '1']]));
        await expectStateError(store.acquireLease('providers', 'run-a', 1_000));
        await expectStateError(store.renewLease('providers', 'run-a', 1_000));
        await expectStateError(store.releaseLease('providers', 'run-a'));
      });
    });
  });
}
