import { beforeEach, describe, expect, it } from '@jest/globals';
import type { SyncRecord } from '../domain/sync-record.js';
import { PmsbridgeError } from '../errors/errors.js';
import { silentLogger } from '../logging/logger.js';
import type { Stage } from '../ports/stage.js';
import { MemoryStateStore } from '../state/memory-state-store.js';
import { SyncEngine, type SyncEngineDeps } from './sync-engine.js';
import { AppendSink, MemorySource, makeProvider, twoSlots } from '../testing/index.js';

const clock = { now: () => new Date('2026-11-25T10:00:00Z') };
const providers = (count: number) => Array.from({ length: count }, (_, i) => makeProvider(i + 1));

function engine(
  deps: Partial<SyncEngineDeps> & Pick<SyncEngineDeps, 'source' | 'sinks' | 'state'>,
) {
  return SyncEngine.of({ stages: [], slots: twoSlots, logger: silentLogger, clock, ...deps });
}

/** A stage that throws on the providers with the given numbers. */
function rejecting(...numbers: number[]): Stage {
  const ids = new Set(numbers.map((n) => makeProvider(n).id));
  return {
    name: 'reject',
    process(record) {
      if (record.kind === 'provider' && ids.has(record.provider.id)) throw new Error('rejected');
      return record;
    },
  };
}

describe('SyncEngine when a sink throws', () => {
  it('stops the run without moving the checkpoint past the batch and without dead-lettering it', async () => {
    const state = new MemoryStateStore();
    const source = new MemorySource(providers(30));
    const closed: boolean[] = [];
    let writes = 0;
    // An in-memory sink whose destination goes away on the second batch (as an expired
    // credential or an outage would): the write throws instead of rejecting records.
    const sink = new AppendSink();
    sink.write = ((write) => async (batch: readonly SyncRecord[]) => {
      writes += 1;
      if (writes === 2) {
        throw new PmsbridgeError('PMS_AUTH', 'The destination refused the credentials', {
          details: { status: 401 },
        });
      }
      return write(batch);
    })(sink.write.bind(sink));
    sink.close = async ({ completed }) => {
      closed.push(completed);
    };

    await expect(
      engine({ source, sinks: [sink], state }).run({ pipeline: 'p', mode: 'full', batchSize: 10 }),
    ).rejects.toMatchObject({ code: 'PMS_AUTH' });
    expect(writes).toBe(2);
    expect((await state.getCheckpoint('p', 'full'))?.position).toMatchObject({
      afterId: 'PRV0000000010',
    });
    expect(await state.getCheckpoint('p', 'incremental')).toBeUndefined();
    expect(await state.listDeadLetters('p')).toEqual([]);
    expect(closed).toEqual([false]);
  });
});

describe('SyncEngine dead-letter threshold', () => {
  let state: MemoryStateStore;
  let source: MemorySource;
  beforeEach(() => {
    state = new MemoryStateStore();
    source = new MemorySource(providers(20));
  });

  it('judges a run failed when more than 10 % of its records were dead-lettered', async () => {
    const summary = await engine({
      source,
      sinks: [new AppendSink()],
      state,
      stages: [rejecting(1, 2, 3)],
    }).run({ pipeline: 'p', mode: 'full' });
    expect(summary).toMatchObject({ deadLettered: 3, deadLetterShare: 0.15 });
    expect(summary.failure).toEqual({
      code: 'PMS_DEAD_LETTER_THRESHOLD',
      message: expect.stringContaining('3 of 20 records (15 %) were dead-lettered'),
    });
    // The records are safe in the dead-letter store and the checkpoint moved on.
    expect(await state.listDeadLetters('p')).toHaveLength(3);
    expect(await state.getCheckpoint('p', 'incremental')).toBeDefined();
  });

  it('judges a run failed whatever the cause, a sink rejecting every record included', async () => {
    const sink = new AppendSink();
    sink.write = async (batch) =>
      batch.map((record) => ({
        key: record.kind === 'provider' ? record.provider.id : record.providerId,
        ok: false,
        error: { code: 'PMS_SINK', message: 'rejected' },
      }));
    const summary = await engine({ source, sinks: [sink], state }).run({
      pipeline: 'p',
      mode: 'full',
    });
    expect(summary).toMatchObject({ deadLettered: 20, deadLetterShare: 1 });
    expect(summary.failure?.code).toBe('PMS_DEAD_LETTER_THRESHOLD');
  });

  it('accepts a share at or under the threshold, which is configurable', async () => {
    const run = (threshold?: number) =>
      engine({ source, sinks: [new AppendSink()], state, stages: [rejecting(1, 2)] }).run({
        pipeline: `p${threshold ?? ''}`,
        mode: 'full',
        deadLetterThreshold: threshold,
      });
    expect((await run()).failure).toBeUndefined();
    expect((await run(0.05))?.failure?.code).toBe('PMS_DEAD_LETTER_THRESHOLD');
    expect((await run(0))?.failure?.code).toBe('PMS_DEAD_LETTER_THRESHOLD');
  });

  it('does not judge a replay of dead letters, which holds only records that failed before', async () => {
    await engine({ source, sinks: [new AppendSink()], state, stages: [rejecting(4)] }).run({
      pipeline: 'p',
      mode: 'full',
    });
    const summary = await engine({
      source,
      sinks: [new AppendSink()],
      state,
      stages: [rejecting(4)],
    }).replayDeadLetters({ pipeline: 'p' });
    expect(summary).toMatchObject({ read: 1, deadLettered: 1 });
    expect(summary.failure).toBeUndefined();
  });
});
