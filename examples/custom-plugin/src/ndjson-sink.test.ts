import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MemoryStateStore } from '@pmsbridge/core';
import {
  AppendSink,
  MemorySource,
  createPlugin,
  makeProvider,
  runPipeline,
  twoSlots,
} from '@pmsbridge/core/testing';
import ndjsonSink, { type NdjsonLine } from './ndjson-sink.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ndjson-sink-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function lines(path: string): Promise<NdjsonLine[]> {
  const text = await readFile(path, 'utf8').catch(() => '');
  return text
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line) as NdjsonLine);
}

const providers = Array.from({ length: 6 }, (_, i) => makeProvider(i + 1));

describe('ndjson-sink', () => {
  it('writes one line per record, with the slots the source served', async () => {
    const sink = await createPlugin(ndjsonSink, { options: { path: 'out.ndjson' }, baseDir: dir });
    await runPipeline({ source: new MemorySource(providers), slots: twoSlots, sinks: [sink] });
    const written = await lines(join(dir, 'out.ndjson'));
    expect(written.map((line) => line.key)).toEqual(providers.map((p) => p.id));
    expect(written[0]?.summary).toEqual({ name: 'Ada Doe1', slots: 2 });
  });

  it('resumes after a crash without a duplicate line', async () => {
    const state = new MemoryStateStore();
    const path = join(dir, 'out.ndjson');
    const source = new MemorySource(providers, 2);
    const crashing = new AppendSink('crashing');
    crashing.failOnBatch = 2;
    const first = await createPlugin(ndjsonSink, { options: { path }, name: 'ndjson' });
    await expect(
      runPipeline({ source, sinks: [first, crashing], state, batchSize: 2 }),
    ).rejects.toThrow('sink crashed');
    // The crash came after this sink wrote batch 2 and before the checkpoint named it.
    expect((await lines(path)).map((line) => line.key)).toHaveLength(4);
    crashing.failOnBatch = undefined;
    const again = await createPlugin(ndjsonSink, { options: { path }, name: 'ndjson' });
    await runPipeline({ source, sinks: [again, crashing], state, batchSize: 2 });
    expect((await lines(path)).map((line) => line.key)).toEqual(providers.map((p) => p.id));
  });

  it('writes nothing during a dry run, and still reports every record', async () => {
    const path = join(dir, 'out.ndjson');
    const sink = await createPlugin(ndjsonSink, { options: { path } });
    const { summary } = await runPipeline({
      source: new MemorySource(providers),
      sinks: [sink],
      dryRun: true,
    });
    expect(summary).toMatchObject({ read: 6, written: 6, deadLettered: 0 });
    expect(await lines(path)).toEqual([]);
  });
});
