import { beforeEach, describe, expect, it } from '@jest/globals';
import { ValidationError } from '../errors/errors.js';
import { silentLogger } from '../logging/logger.js';
import type { RecordOutcome, Sink } from '../ports/sink.js';
import type { Stage } from '../ports/stage.js';
import { MemoryStateStore } from '../state/memory-state-store.js';
import { AppendSink, MemorySource, makeProvider, twoSlots } from '../testing/index.js';
import { SyncEngine, type SyncEngineDeps } from './sync-engine.js';

const clock = { now: () => new Date('2026-11-25T10:00:00Z') };
const providers = (count: number) => Array.from({ length: count }, (_, i) => makeProvider(i + 1));
const ids = (lines: string[]) => lines.map((line) => line.split(':')[1]);

function engine(
  deps: Partial<SyncEngineDeps> & Pick<SyncEngineDeps, 'source' | 'sinks' | 'state'>,
) {
  return SyncEngine.of({ stages: [], slots: twoSlots, logger: silentLogger, clock, ...deps });
}

/** A stage that throws for the given ids, with a switch to heal it. */
function failingStage(name: string, failing: Set<string>): Stage {
  return {
    name,
    process(record) {
      if (record.kind === 'provider' && failing.has(record.provider.id))
        throw new Error(`${name} rejects`);
      return record;
    },
  };
}

describe('SyncEngine edge cases', () => {
  let state: MemoryStateStore;
  beforeEach(() => {
    state = new MemoryStateStore();
  });

  it('resumes a full sync after a crash without skipping providers when an invalid record has an odd key', async () => {
    const source = new MemorySource(providers(30), 10);
    // A record the client could not identify is keyed by its position, which sorts after every id.
    source.invalidOnFirstPage = [
      { key: 'page 1 #3', raw: { id: 42 }, error: new ValidationError('id: expected string') },
    ];
    const sink = new AppendSink();
    sink.failOnBatch = 3;
    await expect(
      engine({ source, sinks: [sink], state }).run({ pipeline: 'p', mode: 'full', batchSize: 5 }),
    ).rejects.toThrow('sink crashed');
    sink.failOnBatch = undefined;
    await engine({ source, sinks: [sink], state }).run({
      pipeline: 'p',
      mode: 'full',
      batchSize: 5,
    });
    expect(ids(sink.lines)).toEqual(source.providers.map((p) => p.id));
    const letters = await state.listDeadLetters('p');
    expect(letters.map((letter) => [letter.key, letter.stage])).toEqual([['page 1 #3', 'source']]);
  });

  it('dead-letters records a sink returned no outcome for instead of counting them unchanged', async () => {
    const forgetful: Sink = {
      name: 'forgetful',
      async write(batch): Promise<RecordOutcome[]> {
        const first = batch[0];
        return first === undefined
          ? []
          : [{ key: first.kind === 'provider' ? first.provider.id : first.providerId, ok: true }];
      },
    };
    const summary = await engine({
      source: new MemorySource(providers(4)),
      sinks: [forgetful],
      state,
    }).run({ pipeline: 'p', mode: 'full' });
    expect(summary).toMatchObject({ read: 4, deadLettered: 3, unchanged: 1 });
    const letters = await state.listDeadLetters('p');
    expect(letters.map((letter) => letter.reason.code)).toEqual([
      'PMS_SINK_NO_OUTCOME',
      'PMS_SINK_NO_OUTCOME',
      'PMS_SINK_NO_OUTCOME',
    ]);
  });

  it('tells stages the mode that runs, not the one asked for', async () => {
    const modes: string[] = [];
    const recorder: Stage = {
      name: 'recorder',
      process(record, context) {
        modes.push(context.mode);
        return record;
      },
    };
    const summary = await engine({
      source: new MemorySource(providers(2)),
      sinks: [new AppendSink()],
      state,
      stages: [recorder],
    }).run({
      pipeline: 'p',
      mode: 'incremental',
    });
    expect(summary.mode).toBe('full');
    expect(modes).toEqual(['full', 'full']);
  });

  it('closes the sinks that opened when a later sink fails to open', async () => {
    const first = new AppendSink('first');
    let isClosed = false;
    first.close = async () => {
      isClosed = true;
    };
    const broken: Sink = {
      name: 'broken',
      open: async () => {
        throw new Error('cannot reach the destination');
      },
      write: async () => [],
    };
    await expect(
      engine({ source: new MemorySource(providers(2)), sinks: [first, broken], state }).run({
        pipeline: 'p',
        mode: 'full',
      }),
    ).rejects.toThrow('cannot reach the destination');
    expect(isClosed).toBe(true);
  });
});

describe('incremental resume', () => {
  it('resumes inside the changes feed at the page cursor and index, applying each change once', async () => {
    const state = new MemoryStateStore();
    const source = new MemorySource(providers(3), 2);
    await engine({ source, sinks: [new AppendSink()], state }).run({ pipeline: 'p', mode: 'full' });
    source.changeLog = Array.from({ length: 7 }, (_, i) => {
      const at = `2026-11-25T11:0${i}:00Z`;
      const provider = makeProvider(10 + i);
      return {
        at,
        change: { type: 'created' as const, providerId: provider.id, changedAt: at, provider },
      };
    });
    const sink = new AppendSink();
    sink.failOnBatch = 3;
    await expect(
      engine({ source, sinks: [sink], state }).run({
        pipeline: 'p',
        mode: 'incremental',
        batchSize: 2,
        concurrency: 1,
      }),
    ).rejects.toThrow('sink crashed');
    expect((await state.getCheckpoint('p', 'incremental'))?.position).toMatchObject({
      cursor: '2',
      index: 1,
    });
    sink.failOnBatch = undefined;
    const summary = await engine({ source, sinks: [sink], state }).run({
      pipeline: 'p',
      mode: 'incremental',
      batchSize: 2,
      concurrency: 1,
    });
    expect(summary.resumed).toBe(true);
    expect(ids(sink.lines)).toEqual(source.changeLog.map((entry) => entry.change.providerId));
    expect((await state.getCheckpoint('p', 'incremental'))?.position).toEqual({
      mode: 'incremental',
      since: '2026-11-25T11:06:00Z',
    });
  });
});

describe('dead-letter replay', () => {
  let state: MemoryStateStore;
  let source: MemorySource;
  beforeEach(() => {
    state = new MemoryStateStore();
    source = new MemorySource(providers(5));
  });

  async function deadLetterInStage(stageName: string, id: string): Promise<void> {
    await engine({
      source,
      sinks: [new AppendSink()],
      state,
      stages: [failingStage(stageName, new Set([id]))],
    }).run({ pipeline: 'p', mode: 'full' });
  }

  it('keeps a single letter when the record fails again in another stage', async () => {
    await deadLetterInStage('enrich', 'PRV0000000002');
    await engine({
      source,
      sinks: [new AppendSink()],
      state,
      stages: [failingStage('normalise', new Set(['PRV0000000002']))],
    }).replayDeadLetters({ pipeline: 'p' });
    const letters = await state.listDeadLetters('p');
    expect(letters.map((letter) => [letter.key, letter.stage, letter.attempts])).toEqual([
      ['PRV0000000002', 'normalise', 1],
    ]);
  });

  it('counts attempts up when the record fails again in the same stage', async () => {
    await deadLetterInStage('enrich', 'PRV0000000002');
    const summary = await engine({
      source,
      sinks: [new AppendSink()],
      state,
      stages: [failingStage('enrich', new Set(['PRV0000000002']))],
    }).replayDeadLetters({ pipeline: 'p' });
    expect(summary.deadLettered).toBe(1);
    expect((await state.listDeadLetters('p')).map((letter) => letter.attempts)).toEqual([2]);
  });

  it('removes the letter of a record a stage now filters out', async () => {
    await deadLetterInStage('enrich', 'PRV0000000002');
    const dropAll: Stage = { name: 'drop', process: () => null };
    const summary = await engine({
      source,
      sinks: [new AppendSink()],
      state,
      stages: [dropAll],
    }).replayDeadLetters({ pipeline: 'p' });
    expect(summary.filtered).toBe(1);
    expect(await state.listDeadLetters('p')).toEqual([]);
  });

  it('records that a provider is gone from the source, and leaves letters it cannot fetch', async () => {
    await deadLetterInStage('enrich', 'PRV0000000004');
    await state.addDeadLetter({
      pipeline: 'p',
      key: 'page 2 #7',
      stage: 'source',
      reason: { code: 'PMS_VALIDATION', message: 'unreadable' },
      record: {},
    });
    source.gone.add('PRV0000000004');
    const summary = await engine({ source, sinks: [new AppendSink()], state }).replayDeadLetters({
      pipeline: 'p',
    });
    expect(summary).toMatchObject({ read: 1, deadLettered: 1 });
    const letters = await state.listDeadLetters('p');
    expect(letters.map((letter) => [letter.key, letter.stage])).toEqual([
      ['page 2 #7', 'source'],
      ['PRV0000000004', 'source'],
    ]);
    expect(letters[1]?.reason.message).toContain('no longer exists');
  });
});
