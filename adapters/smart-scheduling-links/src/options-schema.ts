import { httpUrl } from '@pmsbridge/core';
import { mappingOptionFields } from '@pmsbridge/fhir-mapping';
import { z } from 'zod';
import { DEFAULT_PROVIDER_GROUPS, MAX_PROVIDER_GROUPS } from './provider-groups.js';

/**
 * Options of the SMART Scheduling Links publication. `baseUrl` is required: the manifest's
 * `request` and `output[].url` must be absolute http(s) URLs. Schedules cannot point to
 * PractitionerRoles that are not published (`scheduleActor: 'practitioner-role'` needs
 * `includePractitionerRoles: true`).
 */
export const optionsSchema = z
  .object({
    outputDir: z.string().min(1),
    splitBy: z
      .enum(['none', 'state', 'week', 'state-week', 'provider-group'])
      .default('state-week'),
    /**
     * With `splitBy: provider-group`, how many groups providers are hashed into (Slot files
     * hold one group, Schedule and directory files 16). Only with that layout.
     */
    providerGroups: z.number().int().min(1).max(MAX_PROVIDER_GROUPS).optional(),
    /**
     * Also publish Practitioner and PractitionerRole files, listed (with every other file)
     * in a second manifest, `directory/$bulk-publish`. `$bulk-publish` keeps the 2021
     * specification's types only: clients that check them reject a manifest with others.
     */
    includePractitionerRoles: z.boolean().default(false),
    /** Public base URL of the publication; manifest URLs are made absolute with it. */
    baseUrl: httpUrl(),
    ...mappingOptionFields('location'),
  })
  .strict()
  .superRefine((options, context) => {
    if (options.providerGroups !== undefined && options.splitBy !== 'provider-group') {
      context.addIssue({
        code: 'custom',
        path: ['providerGroups'],
        message: `providerGroups applies to splitBy 'provider-group' only (splitBy is '${options.splitBy}'); remove it or set splitBy: provider-group`,
      });
    }
    if (options.scheduleActor === 'practitioner-role' && !options.includePractitionerRoles) {
      context.addIssue({
        code: 'custom',
        path: ['scheduleActor'],
        message:
          "scheduleActor 'practitioner-role' needs includePractitionerRoles: true (every Schedule would point to an unpublished PractitionerRole); use scheduleActor 'location'",
      });
    }
  })
  .transform((options) =>
    options.splitBy === 'provider-group'
      ? { ...options, providerGroups: options.providerGroups ?? DEFAULT_PROVIDER_GROUPS }
      : options,
  );

/** Validated options (defaults applied). */
export type PublicationOptions = z.output<typeof optionsSchema>;
