import { describe, expect, it } from '@jest/globals';
import type { ProviderChange } from '../domain/change.js';
import { recordKey, type SyncRecord } from '../domain/sync-record.js';
import { silentLogger } from '../logging/logger.js';
import { MemoryStateStore } from '../state/memory-state-store.js';
import { SyncEngine, type SyncEngineDeps } from './sync-engine.js';
import { AppendSink, MemorySource, makeProvider, twoSlots } from '../testing/index.js';

const clock = { now: () => new Date('2026-11-25T10:00:00Z') };

function engine(deps: Pick<SyncEngineDeps, 'source' | 'sinks' | 'state'>) {
  return SyncEngine.of({ stages: [], slots: twoSlots, logger: silentLogger, clock, ...deps });
}

/** Records every batch a sink receives, with each record's state. */
class RecordingSink extends AppendSink {
  batches: string[][] = [];

  override async write(batch: readonly SyncRecord[]) {
    this.batches.push(batch.map(describeRecord));
    return super.write(batch);
  }
}

const describeRecord = (record: SyncRecord): string =>
  record.kind === 'provider'
    ? `${record.provider.id}:${record.provider.name.last}`
    : `${recordKey(record)}:off`;

let minute = 0;
/** Feed entries one minute apart, after the full run's start. */
function feed(...changes: ProviderChange[]): Array<{ change: ProviderChange; at: string }> {
  return changes.map((change) => {
    minute += 1;
    const at = new Date(Date.parse('2026-11-25T11:00:00Z') + minute * 60_000).toISOString();
    return { change: { ...change, changedAt: at }, at };
  });
}

const updated = (n: number, version: string): ProviderChange => ({
  type: 'updated',
  providerId: makeProvider(n).id,
  changedAt: '',
  provider: makeProvider(n, { name: { first: 'Ada', last: version } }),
});

const deactivated = (n: number): ProviderChange => ({
  type: 'deactivated',
  providerId: makeProvider(n).id,
  changedAt: '',
});

/** A pipeline after its first full run, ready for incremental runs. */
async function afterFullRun(pageSize: number) {
  const state = new MemoryStateStore();
  const source = new MemorySource(
    Array.from({ length: 5 }, (_, i) => makeProvider(i + 1)),
    pageSize,
  );
  await engine({ source, sinks: [new AppendSink()], state }).run({ pipeline: 'p', mode: 'full' });
  return { state, source };
}

describe('SyncEngine incremental runs fold the changes of one provider', () => {
  it.each([1, 3, 50])(
    'writes a provider changed %i time(s) once, in its last state',
    async (times) => {
      const { state, source } = await afterFullRun(7);
      source.changeLog = feed(
        updated(2, 'other'),
        ...Array.from({ length: times }, (_, i) => updated(1, `v${i + 1}`)),
      );
      const sink = new RecordingSink();
      const summary = await engine({ source, sinks: [sink], state }).run({
        pipeline: 'p',
        mode: 'incremental',
        batchSize: 10,
      });
      expect(sink.batches.flat()).toEqual(['PRV0000000002:other', `PRV0000000001:v${times}`]);
      expect(summary).toMatchObject({ read: times + 1, written: 2, coalesced: times - 1 });
    },
  );

  it('lets a deactivation after updates win, and an update after a deactivation reactivate', async () => {
    const { state, source } = await afterFullRun(2);
    source.changeLog = feed(
      updated(1, 'a'),
      deactivated(3),
      updated(1, 'b'),
      deactivated(1),
      updated(3, 'back'),
    );
    const sink = new RecordingSink();
    await engine({ source, sinks: [sink], state }).run({ pipeline: 'p', mode: 'incremental' });
    expect(sink.batches.flat()).toEqual(['PRV0000000001:off', 'PRV0000000003:back']);
  });

  it('resumes after a crash with each provider written in its last state and nothing lost', async () => {
    // Pages of 2 and batches of 2: the crash lands mid-feed, after some coalesced records
    // were acknowledged and while superseded changes of others lie before the checkpoint.
    const { state, source } = await afterFullRun(2);
    source.changeLog = feed(
      updated(1, 'a'),
      updated(2, 'a'),
      updated(3, 'a'),
      updated(1, 'b'),
      updated(4, 'a'),
      updated(5, 'a'),
      updated(2, 'b'),
      deactivated(4),
      updated(3, 'b'),
    );
    const lastStates = [
      'PRV0000000001:b',
      'PRV0000000005:a',
      'PRV0000000002:b',
      'PRV0000000004:off',
      'PRV0000000003:b',
    ];
    const sink = new RecordingSink();
    sink.failOnBatch = 2;
    await expect(
      engine({ source, sinks: [sink], state }).run({
        pipeline: 'p',
        mode: 'incremental',
        batchSize: 2,
        concurrency: 1,
      }),
    ).rejects.toThrow('sink crashed');
    expect((await state.getCheckpoint('p', 'incremental'))?.position).toMatchObject({
      cursor: '4',
      index: 1,
    });

    sink.failOnBatch = undefined;
    const resumed = new RecordingSink();
    await engine({ source, sinks: [resumed], state }).run({
      pipeline: 'p',
      mode: 'incremental',
      batchSize: 2,
      concurrency: 1,
    });
    const delivered = [...(sink.batches[0] ?? []), ...resumed.batches.flat()];
    expect(delivered).toEqual(lastStates);
    expect((await state.getCheckpoint('p', 'incremental'))?.position).toEqual({
      mode: 'incremental',
      since: source.changeLog.at(-1)?.at,
    });
  });

  it('does not fold the records of a full run', async () => {
    const state = new MemoryStateStore();
    const source = new MemorySource([makeProvider(1), makeProvider(2)], 1);
    const sink = new RecordingSink();
    const summary = await engine({ source, sinks: [sink], state }).run({
      pipeline: 'p',
      mode: 'full',
    });
    expect(summary).toMatchObject({ read: 2, written: 2, coalesced: 0 });
  });
});
