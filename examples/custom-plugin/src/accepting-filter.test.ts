import { describe, expect, it } from '@jest/globals';
import { recordKey } from '@pmsbridge/core';
import {
  AppendSink,
  MemorySource,
  RecordingLogger,
  createPlugin,
  makeProvider,
  runPipeline,
} from '@pmsbridge/core/testing';
import acceptingFilter from './accepting-filter.js';

describe('accepting-filter', () => {
  it('passes providers who accept new patients, in the chosen specialties only', async () => {
    const logger = new RecordingLogger();
    const stage = await createPlugin(acceptingFilter, {
      options: { specialties: ['cardiology'] },
      services: { logger },
    });
    const source = new MemorySource([
      makeProvider(1, { specialties: ['pediatrics'] }),
      makeProvider(2, { specialties: ['cardiology'] }),
      makeProvider(4, { specialties: ['cardiology'], acceptingNewPatients: false }),
    ]);
    const { summary, received } = await runPipeline({
      source,
      stages: [stage],
      sinks: [new AppendSink('out')],
    });
    expect(received.out?.map(recordKey)).toEqual([makeProvider(2).id]);
    expect(summary).toMatchObject({ read: 3, filtered: 2 });
    expect(logger.lines.filter((line) => line.message === 'filtered out')).toHaveLength(2);
  });

  it('always passes deactivations', async () => {
    const stage = await createPlugin(acceptingFilter);
    const deactivation = {
      kind: 'deactivation' as const,
      providerId: 'PRV0000000009',
      changedAt: '2026-12-01T00:00:00Z',
    };
    expect(
      await stage.process(deactivation, { signal: AbortSignal.timeout(1000), mode: 'incremental' }),
    ).toBe(deactivation);
  });

  it('refuses an empty specialty list, naming the option', async () => {
    await expect(createPlugin(acceptingFilter, { options: { specialties: [] } })).rejects.toThrow(
      /stages\[0\]\.options\.specialties/,
    );
  });
});
