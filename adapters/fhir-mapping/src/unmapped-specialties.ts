import type { Logger } from '@pmsbridge/core';

/**
 * Told about every specialty slug a provider carries that has no NUCC code (it is mapped
 * as text only). Passed to the mappers in {@link MappingOptions.unmappedSpecialties}; the
 * mappers stay free of I/O and only call {@link UnmappedSpecialtyReporter.report}.
 */
export interface UnmappedSpecialtyReporter {
  /** One provider carries `slug`, which has no NUCC code. */
  report(slug: string): void;
  /**
   * The run is over: a sink calls it from `close` so that what was reported is logged
   * once per run and the next run counts afresh.
   */
  endRun?(): void;
}

/**
 * Counts unmapped specialty slugs over one run and logs them without flooding the log:
 * a warning the first time a slug is seen in the run, and from {@link endRun} one line
 * with every slug and how many providers carried it. `endRun` also starts the next run's
 * count. Specialty slugs are reference data, not patient data.
 */
export class UnmappedSpecialtyLog implements UnmappedSpecialtyReporter {
  private readonly counts = new Map<string, number>();

  constructor(private readonly logger: Logger) {}

  /** Counts `slug`; logs a warning on its first sighting in this run. */
  report(slug: string): void {
    const count = (this.counts.get(slug) ?? 0) + 1;
    this.counts.set(slug, count);
    if (count === 1) {
      this.logger.warn('specialty has no NUCC code; mapped as text only', { specialty: slug });
    }
  }

  /** Providers per unmapped slug in this run, in the order the slugs were first seen. */
  counted(): ReadonlyMap<string, number> {
    return new Map(this.counts);
  }

  /** Logs the run's counts once (nothing when every specialty was coded) and resets them. */
  endRun(): void {
    if (this.counts.size > 0) {
      this.logger.warn('specialties mapped as text only in this run', {
        specialties: Object.fromEntries(this.counts),
      });
    }
    this.counts.clear();
  }
}
