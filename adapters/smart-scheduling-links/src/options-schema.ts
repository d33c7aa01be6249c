import { httpUrl } from '@pmsbridge/core';
import { mappingOptionFields } from '@pmsbridge/fhir-mapping';
import { z } from 'zod';

/**
 * Options of the SMART Scheduling Links publication. `baseUrl` is required: the manifest's
 * `request` and `output[].url` must be absolute http(s) URLs. Schedules cannot point to
 * PractitionerRoles that are not published (`scheduleActor: 'practitioner-role'` needs
 * `includePractitionerRoles: true`).
 */
export const optionsSchema = z
  .object({
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
    ...mappingOptionFields('location'),
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

/** Validated options (defaults applied). */
export type PublicationOptions = z.output<typeof optionsSchema>;
