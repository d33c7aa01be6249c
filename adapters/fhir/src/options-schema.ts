import { httpUrl } from '@pmsbridge/core';
import { z } from 'zod';
import { BOOKING_LINK_PLACEHOLDERS, LOCATION_URL_PLACEHOLDERS } from './mapping-options.js';
import { urlTemplateProblem } from './url-template.js';

const authSchema = z.discriminatedUnion('type', [
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
 * Mapping options shared by both targets. `scheduleActor` defaults per target:
 * PractitionerRole + Location on a FHIR server, Location only in a bulk publication
 * (the SMART Scheduling Links 2021 Schedule profile Inferno tests allows exactly one
 * actor, a Location).
 */
const mappingFields = (defaultActor: 'practitioner-role' | 'location') => ({
  /** Schedule.actor: PractitionerRole + Location, or Location only (SMART Scheduling Links). */
  scheduleActor: z.enum(['practitioner-role', 'location']).default(defaultActor),
  /** Booking deep-link template (`{slotId}`, `{providerId}`, `{locationId}`, `{start}`). */
  bookingLink: urlTemplate(BOOKING_LINK_PLACEHOLDERS).optional(),
  /** Booking phone: a number, `location` for the location's phone, or `none`. */
  bookingPhone: z.string().min(1).default('location'),
  /** Location web page template (`{locationId}`), published as Location.telecom `url`. */
  locationUrl: urlTemplate(LOCATION_URL_PLACEHOLDERS).optional(),
});

/** A URL template whose placeholders are among `allowed` and that fills to an http(s) URL. */
function urlTemplate(allowed: readonly string[]) {
  return z.string().superRefine((template, context) => {
    const problem = urlTemplateProblem(template, allowed);
    if (problem !== undefined) context.addIssue({ code: 'custom', message: problem });
  });
}

/** Options of the FHIR server target. */
export const serverOptionsSchema = z
  .object({
    target: z.literal('server'),
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
    ...mappingFields('practitioner-role'),
  })
  .strict();

/**
 * Options of the SMART Scheduling Links bulk-publication target. `baseUrl` is required:
 * the manifest's `request` and `output[].url` must be absolute http(s) URLs. Schedules
 * cannot point to PractitionerRoles that are not published
 * (`scheduleActor: 'practitioner-role'` needs `includePractitionerRoles: true`).
 */
export const bulkOptionsSchema = z
  .object({
    target: z.literal('bulk'),
    outputDir: z.string().min(1),
    splitBy: z.enum(['none', 'state', 'week', 'state-week']).default('state-week'),
    /**
     * Also publish Practitioner and PractitionerRole files, listed (with every other file)
     * in a second manifest, `directory/$bulk-publish`. `$bulk-publish` keeps the 2021
     * specification's types only: clients that check them reject a manifest with others.
     */
    includePractitionerRoles: z.boolean().default(false),
    /** Public base URL of the publication; manifest URLs are made absolute with it. */
    baseUrl: httpUrl(),
    ...mappingFields('location'),
  })
  .strict()
  .superRefine((options, context) => {
    if (options.scheduleActor === 'practitioner-role' && !options.includePractitionerRoles) {
      context.addIssue({
        code: 'custom',
        path: ['scheduleActor'],
        message:
          "scheduleActor 'practitioner-role' needs includePractitionerRoles: true (every Schedule would point to an unpublished PractitionerRole); use scheduleActor 'location'",
      });
    }
  });

/** `@pmsbridge/adapter-fhir` options: `target: 'server'` or `target: 'bulk'`. */
export const optionsSchema = z.discriminatedUnion('target', [
  serverOptionsSchema,
  bulkOptionsSchema,
]);

/** Validated options (defaults applied). */
export type FhirAdapterOptions = z.output<typeof optionsSchema>;
