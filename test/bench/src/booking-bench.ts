import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BookingStepInput, BookingStepResult } from './booking-step.js';
import { runStep, startFhirServerProcess, startSandboxProcess } from './processes.js';

const STEP = fileURLToPath(new URL('./booking-step.js', import.meta.url));

/** One benchmark scenario's figures. */
export interface BookingScenario {
  name: string;
  providers: number;
  durationMs: number;
  [key: string]: number | string | boolean;
}

/**
 * The booking API (`pmsbridge serve`) in its own process, against the sandbox and the test
 * FHIR server in theirs: availability queries per second with the directory's search cache
 * cold and warm (schedules are read every time: the guide never caches them), and bookings
 * per second, each a conditional create of an Appointment. Requests come from the same
 * process, 8 at a time.
 */
export async function bookingScenarios(
  workRoot: string,
  providers = 1000,
): Promise<BookingScenario[]> {
  const credentials = { clientId: 'bench', clientSecret: randomBytes(12).toString('hex') };
  const sandbox = await startSandboxProcess(providers, credentials);
  const fhir = await startFhirServerProcess();
  try {
    const step = await runStep<BookingStepResult>(STEP, {
      workDir: join(workRoot, 'booking'),
      source: { baseUrl: sandbox.baseUrl, tokenUrl: sandbox.tokenUrl, ...credentials },
      fhirBaseUrl: fhir.baseUrl,
      queries: 200,
      bookings: 100,
      concurrency: 8,
    } satisfies BookingStepInput);
    const perSecond = (count: number, ms: number) => Math.round((count / ms) * 1000 * 10) / 10;
    return [
      {
        name: 'booking api: availability queries, bookings',
        providers,
        durationMs: Math.round(step.coldMs + step.warmMs + step.bookingsMs),
        availabilityColdPerSecond: perSecond(step.coldQueries, step.coldMs),
        availabilityWarmPerSecond: perSecond(step.warmQueries, step.warmMs),
        bookings: step.bookings,
        bookingsPerSecond: perSecond(step.bookings, step.bookingsMs),
        peakRssMB: Math.round(step.peakRssBytes / 1024 / 1024),
      },
    ];
  } finally {
    await fhir.stop();
    await sandbox.stop();
  }
}
