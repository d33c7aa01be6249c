import {
  MemoryStateStore,
  SyncEngine,
  silentLogger,
  type Clock,
  type SyncOptions,
  type SyncSummary,
} from '@pmsbridge/core';
import { BulkPublishSink, type BulkPublishSinkOptions } from '../bulk-publish-sink.js';
import { diskFileWriter, type FileWriter } from '../durable-file.js';
import type { PopulationSource } from './population-source.js';

/** A clock that moves one second per reading, as runs one after another see it. */
function tickingClock(startIso: string): Clock {
  let at = Date.parse(startIso);
  return { now: () => new Date((at += 1000)) };
}

/**
 * Test fixture: a pipeline whose only sink is a bulk publication in `dir`, over a real sync engine
 * and an in-memory state store that outlives its runs (as a state file does).
 */
export class PublicationPipeline {
  readonly state: MemoryStateStore;
  private readonly clock = tickingClock('2026-12-01T08:00:00Z');

  /**
   * @param layout how the sink splits files (`splitBy: 'state'` unless told), and whether it
   * publishes the directory resources.
   */
  constructor(
    readonly dir: string,
    readonly source: PopulationSource,
    private readonly layout: Pick<
      BulkPublishSinkOptions,
      'splitBy' | 'providerGroups' | 'includePractitionerRoles'
    > = {},
  ) {
    this.state = new MemoryStateStore({ clock: this.clock });
  }

  /** One sync through the real engine; the sink writes through `writer`. */
  run(mode: SyncOptions['mode'], writer: FileWriter = diskFileWriter): Promise<SyncSummary> {
    const sink = new BulkPublishSink(
      {
        outputDir: this.dir,
        splitBy: 'state',
        ...this.layout,
        mapping: { scheduleActor: 'location', bookingLink: 'https://book.example/{slotId}' },
      },
      this.clock,
      silentLogger,
      writer,
    );
    const engine = SyncEngine.of({
      source: this.source,
      slots: this.source,
      stages: [],
      sinks: [sink],
      state: this.state,
      logger: silentLogger,
      clock: this.clock,
    });
    return engine.run({
      pipeline: 'ssl',
      mode,
      batchSize: 2,
      batchMaxWaitMs: 1,
      concurrency: 1,
      horizonDays: 3,
    });
  }
}
