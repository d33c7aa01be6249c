import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { CsvStepInput, CsvStepResult } from './csv-step.js';
import { runStep } from './processes.js';

const STEP = fileURLToPath(new URL('./csv-step.js', import.meta.url));

/** One benchmark scenario's figures. */
export interface CsvScenario {
  name: string;
  providers: number;
  durationMs: number;
  [key: string]: number | string | boolean;
}

const MB = 1024 * 1024;

/**
 * Writes then reads 1 000 000 slot rows (1 000 providers × 1 000 slots) with the CSV sink and
 * source, each phase in its own process: rows per second and peak RSS of each.
 */
export async function csvScenarios(workRoot: string): Promise<CsvScenario[]> {
  const dir = join(workRoot, 'csv-export');
  const base = { dir, providers: 1000, slotsPerProvider: 1000 };
  try {
    const written = await runStep<CsvStepResult>(STEP, {
      ...base,
      phase: 'write',
    } satisfies CsvStepInput);
    const read = await runStep<CsvStepResult>(STEP, {
      ...base,
      phase: 'read',
    } satisfies CsvStepInput);
    const perSecond = (step: CsvStepResult) => Math.round(step.rows / (step.durationMs / 1000));
    return [
      {
        name: 'csv: write then read 1 000 000 slot rows',
        providers: base.providers,
        durationMs: Math.round(written.durationMs + read.durationMs),
        rows: written.rows,
        writeRowsPerSecond: perSecond(written),
        writePeakRssMB: Math.round(written.peakRssBytes / MB),
        readRowsPerSecond: perSecond(read),
        readPeakRssMB: Math.round(read.peakRssBytes / MB),
        readRows: read.rows,
      },
    ];
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
