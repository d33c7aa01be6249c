import { describe, expect, it } from '@jest/globals';
import { ValidationError, type Stage, type SyncRecord } from '@pmsbridge/core';
import {
  AppendSink,
  MemorySource,
  RecordingLogger,
  makeProvider,
  runPipeline,
  twoSlots,
} from '@pmsbridge/core/testing';

/**
 * What an integrator outside this repository writes: a small stage of their own, tested
 * end to end through the real engine with only the public kit.
 */
function acceptingPatientsOnly(): Stage {
  return {
    name: 'accepting-patients-only',
    process(record: SyncRecord) {
      if (record.kind !== 'provider') return record;
      const { provider } = record;
      if (provider.npi === '') throw new ValidationError('provider has no NPI');
      if (!provider.acceptingNewPatients) return null;
      return { ...record, slots: record.slots.filter((slot) => slot.available) };
    },
  };
}

describe('@pmsbridge/core/testing: a custom stage end to end', () => {
  const providers = [
    makeProvider(1),
    makeProvider(2, { acceptingNewPatients: false }),
    makeProvider(3),
    makeProvider(4, { npi: '' }),
  ];

  it('drops providers not accepting patients, keeps only open slots and dead-letters a provider without an NPI', async () => {
    const sink = new AppendSink('directory');
    const run = await runPipeline({
      source: new MemorySource(providers),
      slots: twoSlots,
      stages: [acceptingPatientsOnly()],
      sinks: [sink],
      mode: 'full',
    });

    const delivered = run.received.directory ?? [];
    expect(delivered.map((record) => record.kind === 'provider' && record.provider.id)).toEqual([
      providers[0]?.id,
      providers[2]?.id,
    ]);
    for (const record of delivered)
      if (record.kind === 'provider')
        expect(record.slots.every((slot) => slot.available)).toBe(true);
    expect(sink.lines).toHaveLength(2);
    expect(run.summary).toMatchObject({ read: 4, written: 2, filtered: 1, deadLettered: 1 });
    expect(run.summary.sinks.directory?.Line?.created).toBe(2);
    const [letter] = await run.state.listDeadLetters('test');
    expect(letter).toMatchObject({
      key: providers[3]?.id,
      stage: 'accepting-patients-only',
    });
  });

  it('hands the run a logger whose lines the test can read', async () => {
    const logger = new RecordingLogger();
    await runPipeline({
      source: new MemorySource(providers.slice(0, 1)),
      sinks: [new AppendSink()],
      logger,
    });
    expect(logger.lines.length).toBeGreaterThan(0);
    expect(JSON.stringify(logger.lines)).not.toContain(providers[0]?.name.last);
  });
});
