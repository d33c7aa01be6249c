import { defineBookingPort, httpUrl } from '@pmsbridge/core';
import { z } from 'zod';
import { AuthHeaderProvider } from '../fhir-auth.js';
import { FhirTransport } from '../fhir-transport.js';
import { authSchema } from '../options-schema.js';
import { FhirBookingPort } from './fhir-booking-port.js';

/** Options of the FHIR booking partner. */
export const fhirBookingOptionsSchema = z.strictObject({
  baseUrl: httpUrl(),
  auth: authSchema.default({ type: 'none' }),
  /** Retries of 429, 5xx and network failures; conditional create makes them safe. */
  maxRetries: z.number().int().min(0).max(10).default(2),
  retryBaseDelayMs: z.number().int().min(1).default(250),
});

/**
 * `@pmsbridge/adapter-fhir/booking`: `pmsbridge serve` books `Appointment`s in a FHIR R4
 * server (config `booking: { use: '@pmsbridge/adapter-fhir/booking', options: { baseUrl } }`).
 */
export const fhirBookingPlugin = defineBookingPort({
  id: '@pmsbridge/adapter-fhir/booking',
  options: fhirBookingOptionsSchema,
  needs: { logger: 'logger', clock: 'clock' },
  create: ({ options, name, services: { logger, clock } }) => {
    const log = logger.child({ booking: name });
    const transport = new FhirTransport(
      options.baseUrl,
      new AuthHeaderProvider(options.auth, clock, undefined, log),
      { maxRetries: options.maxRetries, baseDelayMs: options.retryBaseDelayMs, maxDelayMs: 10_000 },
      log,
    );
    return new FhirBookingPort(name, transport);
  },
});

export default fhirBookingPlugin;
