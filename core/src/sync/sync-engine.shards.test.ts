import { describe, expect, it } from '@jest/globals';
import { recordKey, type SyncRecord } from '../domain/sync-record.js';
import type { FinishRunContext, RecordOutcome, Sink, SinkOpenContext } from '../ports/sink.js';
import { MemoryStateStore } from '../state/memory-state-store.js';
import { AppendSink } from '../testing/append-sink.js';
import { ManualClock } from '../testing/manual-clock.js';
import { MemorySource, makeProvider, twoSlots } from '../testing/memory-source.js';
import { RecordingLogger } from '../testing/recording-logger.js';
import { SyncEngine } from './sync-engine.js';

/** A store-like sink: one entry per key, writes idempotent, so shards may run anywhere. */
class KeyedSink implements Sink {
  readonly name = 'keyed';
  readonly shardable = true;
  readonly entries = new Map<string, number>();
  readonly opened: SinkOpenContext['shard'][] = [];
  readonly finished: Array<Omit<FinishRunContext, 'signal'>> = [];
  writes = 0;
  failOnWrite?: number;

  async open(context: SinkOpenContext): Promise<void> {
    this.opened.push(context.shard);
  }

  async write(batch: readonly SyncRecord[]): Promise<RecordOutcome[]> {
    this.writes += 1;
    if (this.writes === this.failOnWrite) throw new Error('sink outage');
    for (const record of batch) {
      const key = recordKey(record);
      this.entries.set(key, (this.entries.get(key) ?? 0) + 1);
    }
    return batch.map((record) => ({ key: recordKey(record), ok: true }));
  }

  async finishRun({ run, shards }: FinishRunContext): Promise<void> {
    this.finished.push({ run, shards });
  }
}

const providers = Array.from({ length: 25 }, (_, i) => makeProvider(i + 1));
const startedAt = '2026-03-02T10:00:00.000Z';

function engineOver(sink: Sink, state: MemoryStateStore, source = new MemorySource(providers, 4)) {
  return SyncEngine.of({
    source,
    slots: twoSlots,
    stages: [],
    sinks: [sink],
    state,
    logger: new RecordingLogger(),
    clock: new ManualClock('2026-03-02T10:05:00.000Z'),
  });
}

describe('SyncEngine distributed full runs', () => {
  it('runs shards in any order, each provider written once, then finishes the run once', async () => {
    const state = new MemoryStateStore();
    const sink = new KeyedSink();
    const source = new MemorySource(providers, 4);
    const shards = await source.planShards(3);
    expect(shards).toHaveLength(3);
    const ids = shards.map((_, i) => String(i));
    for (const i of [2, 0, 1]) {
      const shard = { id: String(i), ...shards[i] };
      const summary = await engineOver(sink, state, source).runShard({
        pipeline: 'p',
        run: 'r1',
        startedAt,
        shard,
        batchSize: 3,
      });
      expect(summary.read).toBe(i === 2 ? 7 : 9);
    }
    expect([...sink.entries.keys()].sort()).toEqual(providers.map((p) => p.id));
    expect([...sink.entries.values()].every((count) => count === 1)).toBe(true);
    expect(sink.opened).toEqual([
      { run: 'r1', id: '2' },
      { run: 'r1', id: '0' },
      { run: 'r1', id: '1' },
    ]);

    await engineOver(sink, state).finishDistributedRun({
      pipeline: 'p',
      run: 'r1',
      startedAt,
      shards: ids,
    });
    expect(sink.finished).toEqual([{ run: 'r1', shards: ids }]);
    expect((await state.getCheckpoint('p', 'incremental'))?.position).toEqual({
      mode: 'incremental',
      since: '2026-03-02T09:55:00.000Z',
    });
    for (const id of ids) expect(await state.getCheckpoint('p', `shard/r1/${id}`)).toBeUndefined();
  });

  it('resumes a shard that failed from its checkpoint, in another engine, without losing or repeating providers', async () => {
    const state = new MemoryStateStore();
    const sink = new KeyedSink();
    const source = new MemorySource(providers, 4);
    const [first] = await source.planShards(2);
    const shard = { id: '0', ...first };
    sink.failOnWrite = 3;
    await expect(
      engineOver(sink, state, source).runShard({
        pipeline: 'p',
        run: 'r',
        startedAt,
        shard,
        batchSize: 2,
      }),
    ).rejects.toThrow('sink outage');
    const acknowledged = sink.entries.size;
    expect(acknowledged).toBe(4);

    const again = new MemorySource(providers, 4);
    await engineOver(sink, state, again).runShard({
      pipeline: 'p',
      run: 'r',
      startedAt,
      shard,
      batchSize: 2,
    });
    expect([...sink.entries.keys()].sort()).toEqual(providers.slice(0, 13).map((p) => p.id));
    // Resumed after the last acknowledged provider, not from the shard's start.
    expect(again.pulled).toBeLessThanOrEqual(13 - acknowledged + 4);
    expect([...sink.entries.values()].filter((count) => count > 1).length).toBeLessThanOrEqual(2);

    // Run again (a job delivered twice): complete already, nothing is written.
    const writes = sink.writes;
    const summary = await engineOver(sink, state).runShard({
      pipeline: 'p',
      run: 'r',
      startedAt,
      shard,
    });
    expect(summary.read).toBe(0);
    expect(sink.writes).toBe(writes);
  });

  it('refuses to finish a run whose shards have not all completed, and sinks that cannot shard', async () => {
    const state = new MemoryStateStore();
    const sink = new KeyedSink();
    const source = new MemorySource(providers, 4);
    const [first] = await source.planShards(2);
    await engineOver(sink, state, source).runShard({
      pipeline: 'p',
      run: 'r',
      startedAt,
      shard: { id: '0', ...first },
    });
    await expect(
      engineOver(sink, state).finishDistributedRun({
        pipeline: 'p',
        run: 'r',
        startedAt,
        shards: ['0', '1'],
      }),
    ).rejects.toThrow('Shard 1 of run r has not completed');
    expect(sink.finished).toEqual([]);
    expect(await state.getCheckpoint('p', 'incremental')).toBeUndefined();

    const appendOnly = engineOver(new AppendSink('file'), state, source);
    expect(appendOnly.sinksThatCannotShard()).toEqual(['file']);
    await expect(
      appendOnly.runShard({ pipeline: 'p', run: 'r2', startedAt, shard: { id: '0' } }),
    ).rejects.toThrow('sinks file cannot take part in a distributed run');
  });
});
