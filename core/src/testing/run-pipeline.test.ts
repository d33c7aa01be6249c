import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from '@jest/globals';
import { recordKey } from '../domain/sync-record.js';
import { MemoryStateStore } from '../state/memory-state-store.js';
import {
  AppendSink,
  MemorySource,
  RecordingLogger,
  makeProvider,
  runPipeline,
  twoSlots,
} from './index.js';

const providers = (count: number) => Array.from({ length: count }, (_, i) => makeProvider(i + 1));

describe('runPipeline', () => {
  it('runs the engine over in-memory state and reports what each sink received', async () => {
    const source = new MemorySource(providers(3));
    const first = new AppendSink('first');
    const second = new AppendSink('second');
    const run = await runPipeline({
      source,
      slots: twoSlots,
      sinks: [first, second],
      batchSize: 2,
    });
    expect(run.summary).toMatchObject({ pipeline: 'test', mode: 'full', read: 3, written: 3 });
    for (const name of ['first', 'second'])
      expect(run.received[name]?.map(recordKey)).toEqual(source.providers.map((p) => p.id));
    expect(run.received.first?.every((r) => r.kind === 'provider' && r.slots.length === 2)).toBe(
      true,
    );
    expect(first.lines).toHaveLength(3);
    expect(second.writes).toBe(2);
  });

  it('passes run options through: a dry run moves no checkpoint', async () => {
    const run = await runPipeline({
      source: new MemorySource(providers(2)),
      sinks: [new AppendSink()],
      dryRun: true,
      pipeline: 'directory',
    });
    expect(run.summary.dryRun).toBe(true);
    expect(await run.state.getCheckpoint('directory', 'incremental')).toBeUndefined();
  });

  it("passes a sink's checkpoint state through, so a run resumed over the same state duplicates nothing", async () => {
    const source = new MemorySource(providers(6), 2);
    const state = new MemoryStateStore();
    const sink = new AppendSink();
    sink.failOnBatch = 2;
    await expect(runPipeline({ source, sinks: [sink], state, batchSize: 2 })).rejects.toThrow();
    sink.failOnBatch = undefined;
    const resumed = await runPipeline({ source, sinks: [sink], state, batchSize: 2 });
    expect(resumed.summary.resumed).toBe(true);
    expect(sink.lines).toEqual(source.providers.map((p) => `provider:${p.id}`));
  });

  it('records log lines with the fields of every enclosing child logger', () => {
    const logger = new RecordingLogger();
    logger.child({ component: 'sink' }).child({ batch: 1 }).warn('slow', { ms: 5 });
    logger.info('done');
    expect(logger.lines).toEqual([
      { level: 'warn', message: 'slow', fields: { component: 'sink', batch: 1, ms: 5 } },
      { level: 'info', message: 'done', fields: {} },
    ]);
    expect(logger.messages('info')).toEqual(['done']);
  });
});

describe('@pmsbridge/core/testing, built', () => {
  it('loads outside jest, so the doubles and the harness serve any test runner', async () => {
    const coreDir = fileURLToPath(new URL('../..', import.meta.url));
    const script =
      "const kit = await import('@pmsbridge/core/testing');" +
      'console.log(Object.keys(kit).sort().join(","));';
    const { stdout } = await promisify(execFile)(
      process.execPath,
      ['--input-type=module', '-e', script],
      { cwd: coreDir },
    );
    expect(stdout.trim().split(',')).toEqual(
      expect.arrayContaining(['describeStateStoreContract', 'runPipeline', 'ManualClock']),
    );
  });
});
