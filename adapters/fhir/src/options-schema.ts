import { httpUrl } from '@pmsbridge/core';
import { z } from 'zod';
import { mappingOptionFields } from '@pmsbridge/fhir-mapping';

export const authSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('none') }),
  z.object({ type: z.literal('bearer'), token: z.string().min(1) }),
  z.object({ type: z.literal('basic'), username: z.string().min(1), password: z.string() }),
  z.object({
    type: z.literal('client-credentials'),
    tokenUrl: httpUrl(),
    clientId: z.string().min(1),
    clientSecret: z.string().min(1),
    scope: z.string().optional(),
  }),
]);

/**
 * Options of the FHIR server sink. `target: server` is still accepted; the bulk publication
 * is a package of its own now, and `target: bulk` says where it went.
 */
export const serverOptionsSchema = z
  .object({
    target: z
      .literal('server', {
        error:
          'the SMART Scheduling Links publication moved to its own package: use @pmsbridge/adapter-smart-scheduling-links (without target)',
      })
      .optional(),
    baseUrl: httpUrl(),
    auth: authSchema.default({ type: 'none' }),
    bundleSize: z.number().int().min(1).max(5000).default(50),
    maxRetries: z.number().int().min(0).max(20).default(4),
    retryBaseDelayMs: z.number().int().min(1).default(500),
    /** Opens after `failureThreshold` consecutive 5xx/network failures; probes after `resetMs`. */
    circuitBreaker: z
      .object({
        enabled: z.boolean().default(true),
        failureThreshold: z.number().int().min(1).default(3),
        resetMs: z.number().int().min(1).default(30_000),
      })
      .strict()
      .prefault({}),
    ...mappingOptionFields('practitioner-role'),
  })
  .strict();

/** `@pmsbridge/adapter-fhir` options. */
export const optionsSchema = serverOptionsSchema;

/** Validated options (defaults applied). */
export type FhirAdapterOptions = z.output<typeof optionsSchema>;
