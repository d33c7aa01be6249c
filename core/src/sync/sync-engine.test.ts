import { beforeEach, describe, expect, it } from '@jest/globals';
import { silentLogger } from '../logging/logger.js';
import type { Stage } from '../ports/stage.js';
import { MemoryStateStore } from '../state/memory-state-store.js';
import { ValidationError } from '../errors/errors.js';
import { SyncEngine, type SyncEngineDeps } from './sync-engine.js';
import { AppendSink, MemorySource, makeProvider, twoSlots } from '../testing/index.js';

const clock = { now: () => new Date('2026-11-25T10:00:00Z') };
const providers = (count: number) => Array.from({ length: count }, (_, i) => makeProvider(i + 1));

function engine(
  deps: Partial<SyncEngineDeps> & Pick<SyncEngineDeps, 'source' | 'sinks' | 'state'>,
) {
  return SyncEngine.of({ stages: [], slots: twoSlots, logger: silentLogger, clock, ...deps });
}

const ids = (lines: string[]) => lines.map((line) => line.split(':')[1]);

describe('SyncEngine full sync', () => {
  let state: MemoryStateStore;
  beforeEach(() => {
    state = new MemoryStateStore();
  });

  it('delivers every provider with its schedule once, in id order, and reports counts', async () => {
    const source = new MemorySource(providers(25));
    const seen: number[] = [];
    const sink = new AppendSink();
    sink.write = ((write) => async (batch) => {
      for (const record of batch) if (record.kind === 'provider') seen.push(record.slots.length);
      return write(batch);
    })(sink.write.bind(sink));
    const summary = await engine({ source, sinks: [sink], state }).run({
      pipeline: 'p',
      mode: 'full',
      batchSize: 10,
    });
    expect(ids(sink.lines)).toEqual(source.providers.map((p) => p.id));
    expect(seen.every((count) => count === 2)).toBe(true);
    expect(summary).toMatchObject({
      read: 25,
      written: 25,
      unchanged: 0,
      deadLettered: 0,
      mode: 'full',
    });
    expect(summary.sinks.append?.Line?.created).toBe(25);
    expect(await state.getCheckpoint('p', 'full')).toBeUndefined();
    expect((await state.getCheckpoint('p', 'incremental'))?.position).toEqual({
      mode: 'incremental',
      since: '2026-11-25T09:55:00.000Z',
    });
  });

  it('runs stages in order and drops what a stage filters out', async () => {
    const calls: string[] = [];
    const stage = (name: string, keep: (id: string) => boolean): Stage => ({
      name,
      process(record) {
        if (record.kind !== 'provider') return record;
        calls.push(`${name}:${record.provider.id}`);
        return keep(record.provider.id)
          ? {
              ...record,
              provider: { ...record.provider, specialties: [...record.provider.specialties, name] },
            }
          : null;
      },
    });
    const source = new MemorySource(providers(4));
    const sink = new AppendSink();
    const received: string[][] = [];
    sink.write = ((write) => async (batch) => {
      for (const record of batch)
        if (record.kind === 'provider') received.push(record.provider.specialties);
      return write(batch);
    })(sink.write.bind(sink));
    const summary = await engine({
      source,
      sinks: [sink],
      state,
      stages: [stage('first', () => true), stage('second', (id) => !id.endsWith('3'))],
    }).run({
      pipeline: 'p',
      mode: 'full',
      concurrency: 1,
    });
    expect(calls.slice(0, 2)).toEqual(['first:PRV0000000001', 'second:PRV0000000001']);
    expect(received.every((specialties) => specialties.slice(-2).join() === 'first,second')).toBe(
      true,
    );
    expect(summary.filtered).toBe(1);
    expect(ids(sink.lines)).toEqual(['PRV0000000001', 'PRV0000000002', 'PRV0000000004']);
  });

  it('dead-letters a record a stage throws on and goes on', async () => {
    const source = new MemorySource(providers(10));
    const sink = new AppendSink();
    const failing: Stage = {
      name: 'npi-check',
      process(record) {
        if (record.kind === 'provider' && record.provider.id === 'PRV0000000004')
          throw new ValidationError('npi: bad check digit');
        return record;
      },
    };
    const summary = await engine({ source, sinks: [sink], state, stages: [failing] }).run({
      pipeline: 'p',
      mode: 'full',
    });
    expect(summary.deadLettered).toBe(1);
    expect(sink.lines).toHaveLength(9);
    const letters = await state.listDeadLetters('p');
    expect(letters).toHaveLength(1);
    expect(letters[0]).toMatchObject({
      key: 'PRV0000000004',
      stage: 'npi-check',
      attempts: 1,
      reason: { code: 'PMS_VALIDATION', message: 'npi: bad check digit' },
    });
  });

  it('fails fast on the first record failure when asked to', async () => {
    const source = new MemorySource(providers(30));
    const sink = new AppendSink();
    const failing: Stage = {
      name: 'strict',
      process(record) {
        if (record.kind === 'provider' && record.provider.id === 'PRV0000000015')
          throw new Error('no');
        return record;
      },
    };
    await expect(
      engine({ source, sinks: [sink], state, stages: [failing] }).run({
        pipeline: 'p',
        mode: 'full',
        batchSize: 5,
        errorPolicy: 'fail-fast',
      }),
    ).rejects.toThrow(/PRV0000000015 failed in strict/);
    expect(sink.lines.length).toBeLessThan(15);
    expect(await state.listDeadLetters('p')).toHaveLength(0);
  });

  it('keeps the records in flight bounded when the sink is slower than the source', async () => {
    // 2 000 records, pages of 10: without backpressure nearly all would be pulled before the
    // slow sink acknowledged the first batch.
    const source = new MemorySource(providers(2000), 10);
    const sink = new AppendSink();
    sink.slow = true;
    let peakAtWrite = 0;
    sink.write = ((write) => async (batch) => {
      peakAtWrite = Math.max(peakAtWrite, source.pulled - sink.acked);
      return write(batch);
    })(sink.write.bind(sink));
    let peakReported = 0;
    await engine({ source, sinks: [sink], state }).run({
      pipeline: 'p',
      mode: 'full',
      batchSize: 20,
      concurrency: 4,
      onProgress: (progress) => {
        peakReported = Math.max(peakReported, progress.inFlight);
      },
    });
    // At most: one source page (10) + records being processed (4) + one batch being
    // filled (20) + the batch being written (20).
    const bound = 10 + 4 + 20 + 20;
    expect(peakAtWrite).toBeGreaterThan(0);
    expect(peakAtWrite).toBeLessThanOrEqual(bound);
    expect(peakReported).toBeLessThanOrEqual(bound);
    expect(sink.lines).toHaveLength(2000);
  });

  it('resumes after a failure mid-run with nothing lost and nothing duplicated', async () => {
    const source = new MemorySource(providers(47));
    const sink = new AppendSink();
    sink.failOnBatch = 3;
    await expect(
      engine({ source, sinks: [sink], state }).run({ pipeline: 'p', mode: 'full', batchSize: 10 }),
    ).rejects.toThrow('sink crashed');
    expect((await state.getCheckpoint('p', 'full'))?.position).toMatchObject({
      afterId: 'PRV0000000020',
    });
    sink.failOnBatch = undefined;
    const summary = await engine({ source, sinks: [sink], state }).run({
      pipeline: 'p',
      mode: 'full',
      batchSize: 10,
    });
    expect(summary.resumed).toBe(true);
    expect(ids(sink.lines)).toEqual(source.providers.map((p) => p.id));
  });

  it('stops cleanly when cancelled and resumes from a consistent checkpoint', async () => {
    const source = new MemorySource(providers(60));
    const sink = new AppendSink();
    const controller = new AbortController();
    sink.write = ((write) => async (batch) => {
      const outcome = await write(batch);
      if (sink.lines.length >= 20) controller.abort();
      return outcome;
    })(sink.write.bind(sink));
    await expect(
      engine({ source, sinks: [sink], state }).run({
        pipeline: 'p',
        mode: 'full',
        batchSize: 10,
        signal: controller.signal,
      }),
    ).rejects.toMatchObject({ code: 'PMS_CANCELLED' });
    const resumedSink = new AppendSink();
    resumedSink.lines = [...sink.lines];
    await engine({ source, sinks: [resumedSink], state }).run({
      pipeline: 'p',
      mode: 'full',
      batchSize: 10,
    });
    expect(ids(resumedSink.lines)).toEqual(source.providers.map((p) => p.id));
  });

  it('writes nothing and moves no checkpoint in a dry run', async () => {
    const source = new MemorySource(providers(5));
    const careful = Object.assign(new AppendSink('careful'), { supportsDryRun: true });
    const opened: boolean[] = [];
    careful.open = async (context) => {
      opened.push(context.dryRun);
    };
    await engine({ source, sinks: [careful], state }).run({
      pipeline: 'p',
      mode: 'full',
      dryRun: true,
    });
    expect(opened).toEqual([true]);
    expect(careful.writes).toBeGreaterThan(0);
    expect(await state.getCheckpoint('p', 'incremental')).toBeUndefined();
  });

  it('sends nothing during a dry run to a sink that does not declare dry-run support', async () => {
    const source = new MemorySource(providers(5));
    const unaware = new AppendSink('unaware');
    const opened: boolean[] = [];
    unaware.open = async (context) => {
      opened.push(context.dryRun);
    };
    const summary = await engine({ source, sinks: [unaware], state }).run({
      pipeline: 'p',
      mode: 'full',
      dryRun: true,
    });
    expect(summary).toMatchObject({ read: 5, deadLettered: 0 });
    expect(opened).toEqual([]);
    expect(unaware.writes).toBe(0);
    expect(unaware.lines).toEqual([]);
  });
});

describe('SyncEngine incremental sync', () => {
  it('applies changes since the stored cursor, including deactivations, and stores the new until', async () => {
    const state = new MemoryStateStore();
    const source = new MemorySource(providers(5), 2);
    const sink = new AppendSink();
    await engine({ source, sinks: [sink], state }).run({ pipeline: 'p', mode: 'full' });
    source.changeLog = [
      {
        at: '2026-11-25T11:00:00Z',
        change: {
          type: 'updated',
          providerId: 'PRV0000000002',
          changedAt: '2026-11-25T11:00:00Z',
          provider: makeProvider(2, { acceptingNewPatients: false }),
        },
      },
      {
        at: '2026-11-25T11:01:00Z',
        change: {
          type: 'deactivated',
          providerId: 'PRV0000000003',
          changedAt: '2026-11-25T11:01:00Z',
        },
      },
      {
        at: '2026-11-25T11:02:00Z',
        change: {
          type: 'created',
          providerId: 'PRV0000000006',
          changedAt: '2026-11-25T11:02:00Z',
          provider: makeProvider(6),
        },
      },
    ];
    sink.lines = [];
    const summary = await engine({ source, sinks: [sink], state }).run({
      pipeline: 'p',
      mode: 'incremental',
    });
    expect(summary.mode).toBe('incremental');
    expect(sink.lines).toEqual([
      'provider:PRV0000000002',
      'deactivation:PRV0000000003',
      'provider:PRV0000000006',
    ]);
    expect((await state.getCheckpoint('p', 'incremental'))?.position).toEqual({
      mode: 'incremental',
      since: '2026-11-25T11:02:00Z',
    });
    sink.lines = [];
    await engine({ source, sinks: [sink], state }).run({ pipeline: 'p', mode: 'incremental' });
    expect(sink.lines).toEqual([]);
  });

  it('runs a full sync when there is no cursor yet', async () => {
    const state = new MemoryStateStore();
    const summary = await engine({
      source: new MemorySource(providers(3)),
      sinks: [new AppendSink()],
      state,
    }).run({ pipeline: 'p', mode: 'incremental' });
    expect(summary.mode).toBe('full');
  });
});

describe('dead-letter replay', () => {
  it('re-runs dead letters through the current pipeline and removes those that land', async () => {
    const state = new MemoryStateStore();
    const source = new MemorySource(providers(6));
    let isBroken = true;
    const flaky: Stage = {
      name: 'flaky',
      process(record) {
        if (isBroken && record.kind === 'provider' && record.provider.id === 'PRV0000000002')
          throw new Error('enrichment down');
        return record;
      },
    };
    const sink = new AppendSink();
    await engine({ source, sinks: [sink], state, stages: [flaky] }).run({
      pipeline: 'p',
      mode: 'full',
    });
    expect(await state.listDeadLetters('p')).toHaveLength(1);
    await engine({ source, sinks: [sink], state, stages: [flaky] }).replayDeadLetters({
      pipeline: 'p',
    });
    expect((await state.listDeadLetters('p'))[0]?.attempts).toBe(2);
    isBroken = false;
    const summary = await engine({
      source,
      sinks: [sink],
      state,
      stages: [flaky],
    }).replayDeadLetters({ pipeline: 'p' });
    expect(summary.written).toBe(1);
    expect(await state.listDeadLetters('p')).toHaveLength(0);
    expect(sink.lines.filter((line) => line.endsWith('PRV0000000002'))).toHaveLength(1);
  });
});
