import { z } from 'zod';
import { BOOKING_LINK_PLACEHOLDERS, LOCATION_URL_PLACEHOLDERS } from './mapping-options.js';
import { urlTemplateProblem } from './url-template.js';

/** A URL template whose placeholders are among `allowed` and that fills to an http(s) URL. */
function urlTemplate(allowed: readonly string[]) {
  return z.string().superRefine((template, context) => {
    const problem = urlTemplateProblem(template, allowed);
    if (problem !== undefined) context.addIssue({ code: 'custom', message: problem });
  });
}

/**
 * The mapping options a sink's options schema spreads in (`...mappingOptionFields('location')`).
 * `scheduleActor` defaults per sink: PractitionerRole + Location on a FHIR server, Location
 * only in a bulk publication (the SMART Scheduling Links 2021 Schedule profile Inferno tests
 * allows exactly one actor, a Location).
 */
export function mappingOptionFields(defaultActor: 'practitioner-role' | 'location') {
  return {
    /** Schedule.actor: PractitionerRole + Location, or Location only (SMART Scheduling Links). */
    scheduleActor: z.enum(['practitioner-role', 'location']).default(defaultActor),
    /** Booking deep-link template (`{slotId}`, `{providerId}`, `{locationId}`, `{start}`). */
    bookingLink: urlTemplate(BOOKING_LINK_PLACEHOLDERS).optional(),
    /** Booking phone: a number, `location` for the location's phone, or `none`. */
    bookingPhone: z.string().min(1).default('location'),
    /** Location web page template (`{locationId}`), published as Location.telecom `url`. */
    locationUrl: urlTemplate(LOCATION_URL_PLACEHOLDERS).optional(),
  };
}
