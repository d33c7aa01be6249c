import { Counter, type Registry } from 'prom-client';
import type { SyncBatchReport } from '../ports/metrics-recorder.js';

const RECORD_OUTCOMES = [
  ['read', 'read'],
  ['written', 'written'],
  ['unchanged', 'unchanged'],
  ['filtered', 'filtered'],
  ['deadLettered', 'dead_lettered'],
] as const;

const RESOURCE_OUTCOMES = ['created', 'updated', 'unchanged', 'deleted'] as const;

/** The counters of sync runs: records by outcome, dead letters by stage, resources by sink. */
export class SyncMetrics {
  readonly #records: Counter<'pipeline' | 'outcome'>;
  readonly #deadLetters: Counter<'pipeline' | 'stage'>;
  readonly #resources: Counter<'pipeline' | 'sink' | 'resource_type' | 'outcome'>;

  constructor(registry: Registry) {
    this.#records = new Counter({
      name: 'pmsbridge_sync_records_total',
      help: 'Records of sync runs by outcome: read from the source, then written (changed something in a sink), unchanged, filtered out by a stage, or dead-lettered',
      labelNames: ['pipeline', 'outcome'],
      registers: [registry],
    });
    this.#deadLetters = new Counter({
      name: 'pmsbridge_sync_dead_letters_total',
      help: 'Records dead-lettered by sync runs, by the stage or sink that failed them',
      labelNames: ['pipeline', 'stage'],
      registers: [registry],
    });
    this.#resources = new Counter({
      name: 'pmsbridge_sink_resources_total',
      help: 'Output resources of sync runs by sink, resource type and outcome (created, updated, unchanged, deleted)',
      labelNames: ['pipeline', 'sink', 'resource_type', 'outcome'],
      registers: [registry],
    });
  }

  /** Adds what one acknowledged batch counted. */
  record(report: SyncBatchReport): void {
    const { pipeline } = report;
    for (const [field, outcome] of RECORD_OUTCOMES)
      this.#records.inc({ pipeline, outcome }, report[field]);
    for (const [stage, count] of Object.entries(report.deadLetteredBy)) {
      if (count > 0) this.#deadLetters.inc({ pipeline, stage }, count);
    }
    for (const [sink, types] of Object.entries(report.sinks)) {
      for (const [resourceType, counts] of Object.entries(types)) {
        for (const outcome of RESOURCE_OUTCOMES) {
          if (counts[outcome] > 0) {
            this.#resources.inc(
              { pipeline, sink, resource_type: resourceType, outcome },
              counts[outcome],
            );
          }
        }
      }
    }
  }
}
