import { describe, expect, it } from '@jest/globals';
import type { Registry } from 'prom-client';
import { recordKey, type SyncRecord } from '../domain/sync-record.js';
import type { RecordOutcome, Sink } from '../ports/sink.js';
import type { Stage } from '../ports/stage.js';
import { MemoryStateStore } from '../state/memory-state-store.js';
import {
  AppendSink,
  MemorySource,
  RecordingLogger,
  makeProvider,
  runPipeline,
} from '../testing/index.js';
import { Metrics } from './metrics.js';

/** The value of one series, 0 when the series does not exist. */
async function valueOf(
  registry: Registry,
  name: string,
  labels: Record<string, string>,
): Promise<number> {
  const metric = registry.getSingleMetric(name);
  if (metric === undefined) throw new Error(`no metric ${name}`);
  const { values } = await metric.get();
  const series = values.find((value) =>
    Object.entries(labels).every(([key, wanted]) => String(value.labels[key]) === wanted),
  );
  return series?.value ?? 0;
}

const providers = (count: number) => Array.from({ length: count }, (_, i) => makeProvider(i + 1));

/** Drops provider 2; fails provider 3. */
const picky: Stage = {
  name: 'picky',
  process(record) {
    if (recordKey(record) === makeProvider(2).id) return null;
    if (recordKey(record) === makeProvider(3).id) throw new Error('provider 3 is unusable');
    return record;
  },
};

/** Refuses provider 4; reports one Practitioner per record, created the first time only. */
class RefusingSink implements Sink {
  readonly name = 'refusing';
  readonly #seen = new Set<string>();

  async write(batch: readonly SyncRecord[]): Promise<RecordOutcome[]> {
    return batch.map((record) => {
      const key = recordKey(record);
      if (key === makeProvider(4).id)
        return { key, ok: false, error: { code: 'PMS_SINK', message: 'refused' } };
      const isNew = !this.#seen.has(key);
      this.#seen.add(key);
      return {
        key,
        ok: true,
        counts: {
          Practitioner: {
            created: isNew ? 1 : 0,
            updated: 0,
            unchanged: isNew ? 0 : 1,
            deleted: 0,
          },
        },
      };
    });
  }
}

describe('Metrics fed by the sync engine', () => {
  it('counts records by outcome, dead letters by stage and resources by sink, batch by batch', async () => {
    const metrics = new Metrics({ processMetrics: false });
    const { summary } = await runPipeline({
      source: new MemorySource(providers(7)),
      stages: [picky],
      sinks: [new RefusingSink(), new AppendSink('lines')],
      batchSize: 2,
      metrics,
    });
    const records = (outcome: string) =>
      valueOf(metrics.registry, 'pmsbridge_sync_records_total', { pipeline: 'test', outcome });
    expect(summary).toMatchObject({ read: 7, written: 4, filtered: 1, deadLettered: 2 });
    expect(await records('read')).toBe(7);
    expect(await records('written')).toBe(4);
    expect(await records('unchanged')).toBe(0);
    expect(await records('filtered')).toBe(1);
    expect(await records('dead_lettered')).toBe(2);
    const deadLetters = (stage: string) =>
      valueOf(metrics.registry, 'pmsbridge_sync_dead_letters_total', { pipeline: 'test', stage });
    expect(await deadLetters('picky')).toBe(1);
    expect(await deadLetters('refusing')).toBe(1);
    const resources = (sink: string, resourceType: string, outcome: string) =>
      valueOf(metrics.registry, 'pmsbridge_sink_resources_total', {
        pipeline: 'test',
        sink,
        resource_type: resourceType,
        outcome,
      });
    expect(await resources('refusing', 'Practitioner', 'created')).toBe(4);
    // The append sink was handed provider 4 too: it is another sink that refused it.
    expect(await resources('lines', 'Line', 'created')).toBe(5);
  });

  it('adds a second run to the first, and leaves dry runs out', async () => {
    const metrics = new Metrics({ processMetrics: false });
    const state = new MemoryStateStore();
    const sink = new RefusingSink();
    const source = new MemorySource(providers(3));
    await runPipeline({ source, sinks: [sink], state, metrics });
    await runPipeline({ source, sinks: [sink], state, metrics });
    await runPipeline({ source, sinks: [sink], metrics, dryRun: true });
    expect(
      await valueOf(metrics.registry, 'pmsbridge_sync_records_total', {
        pipeline: 'test',
        outcome: 'read',
      }),
    ).toBe(6);
    const practitioners = (outcome: string) =>
      valueOf(metrics.registry, 'pmsbridge_sink_resources_total', {
        sink: 'refusing',
        outcome,
      });
    expect(await practitioners('created')).toBe(3);
    expect(await practitioners('unchanged')).toBe(3);
  });

  it('keeps each instance in a registry of its own', async () => {
    const first = new Metrics();
    const second = new Metrics();
    await runPipeline({
      source: new MemorySource(providers(2)),
      sinks: [new AppendSink()],
      metrics: first,
    });
    const read = { pipeline: 'test', outcome: 'read' };
    expect(await valueOf(first.registry, 'pmsbridge_sync_records_total', read)).toBe(2);
    expect(await valueOf(second.registry, 'pmsbridge_sync_records_total', read)).toBe(0);
    expect(await first.registry.metrics()).toContain('process_cpu_user_seconds_total');
  });
});

describe('the run id', () => {
  it('is on every line a run logs, and differs between runs', async () => {
    const logger = new RecordingLogger();
    const source = new MemorySource(providers(2));
    await runPipeline({ source, sinks: [new AppendSink()], logger });
    await runPipeline({ source, sinks: [new AppendSink()], logger });
    const runs = logger.lines
      .filter((line) => line.message === 'sync started' || line.message === 'sync finished')
      .map((line) => line.fields.run);
    expect(runs).toHaveLength(4);
    expect(runs.every((run) => typeof run === 'string' && /^[0-9a-f]{12}$/.test(run))).toBe(true);
    expect(runs[0]).toBe(runs[1]);
    expect(runs[2]).toBe(runs[3]);
    expect(runs[0]).not.toBe(runs[2]);
  });
});
