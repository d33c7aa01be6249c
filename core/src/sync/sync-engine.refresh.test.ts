import { describe, expect, it } from '@jest/globals';
import type { ScheduleWindow, Slot } from '../domain/slot.js';
import { MemoryStateStore } from '../state/memory-state-store.js';
import { AppendSink } from '../testing/append-sink.js';
import { ManualClock } from '../testing/manual-clock.js';
import { MemorySource, makeProvider } from '../testing/memory-source.js';
import { RecordingLogger } from '../testing/recording-logger.js';
import { SyncEngine } from './sync-engine.js';

function setUp() {
  const source = new MemorySource([1, 2, 3].map((n) => makeProvider(n)));
  const scheduleReads: Array<[string, ScheduleWindow]> = [];
  const slots = {
    async getSchedule(providerId: string, window: ScheduleWindow): Promise<Slot[]> {
      scheduleReads.push([providerId, window]);
      return [];
    },
  };
  const sink = new AppendSink('out');
  const state = new MemoryStateStore();
  const engine = SyncEngine.of({
    source,
    slots,
    stages: [],
    sinks: [sink],
    state,
    logger: new RecordingLogger(),
    clock: new ManualClock('2026-03-02T10:00:00.000Z'),
  });
  return { source, scheduleReads, sink, state, engine };
}

describe('SyncEngine.refresh', () => {
  it('sends only the named providers, read afresh with their schedules, and moves no checkpoint', async () => {
    const { engine, sink, scheduleReads, state } = setUp();
    await engine.run({ pipeline: 'p', mode: 'full', horizonDays: 7 });
    const checkpoint = await state.getCheckpoint('p', 'incremental');
    sink.lines.length = 0;
    scheduleReads.length = 0;

    const summary = await engine.refresh({
      pipeline: 'p',
      horizonDays: 7,
      providerIds: ['PRV0000000002', 'PRV0000000002'],
    });
    expect(summary).toMatchObject({ read: 1, written: 1, deadLettered: 0 });
    expect(sink.lines).toEqual(['provider:PRV0000000002']);
    expect(scheduleReads).toEqual([
      ['PRV0000000002', { startDate: '2026-03-02', endDate: '2026-03-08' }],
    ]);
    expect(await state.getCheckpoint('p', 'incremental')).toEqual(checkpoint);
  });

  it('sends a provider the source no longer has as a deactivation', async () => {
    const { engine, sink, source } = setUp();
    source.gone.add('PRV0000000003');
    await engine.refresh({ pipeline: 'p', providerIds: ['PRV0000000003'] });
    expect(sink.lines).toEqual(['deactivation:PRV0000000003']);
  });
});
