import type { UnmappedSpecialtyReporter } from './unmapped-specialties.js';

/** Placeholders a {@link MappingOptions.bookingLink} template may use. */
export const BOOKING_LINK_PLACEHOLDERS = ['slotId', 'providerId', 'locationId', 'start'] as const;

/** Placeholders a {@link MappingOptions.locationUrl} template may use. */
export const LOCATION_URL_PLACEHOLDERS = ['locationId'] as const;

/** How mapped resources are shaped; shared by every mapper. */
export interface MappingOptions {
  /**
   * `practitioner-role`: Schedule.actor = the PractitionerRole and the Location.
   * `location`: Schedule.actor = the Location only (SMART Scheduling Links 2021 / Inferno).
   */
  scheduleActor: 'practitioner-role' | 'location';
  /**
   * Booking deep-link template: every Slot gets the SMART Scheduling Links
   * `booking-deep-link` extension (`valueUrl`). `{slotId}`, `{providerId}`,
   * `{locationId}` (HealthConnect ids) and `{start}` (the Slot's start instant) are
   * replaced, URL-encoded.
   */
  bookingLink?: string;
  /**
   * Booking phone on every Slot (`booking-phone` extension, `valueString`): a fixed
   * number, `location` for the phone of the slot's location, or `none`. The options
   * schema defaults it to `location`; left out here, no phone is added.
   */
  bookingPhone?: string;
  /**
   * Location web page template: every Location gets a `telecom` entry with system `url`
   * (SMART Scheduling Links wants a phone and a URL on each Location). `{locationId}`
   * is replaced, URL-encoded.
   */
  locationUrl?: string;
  /**
   * Told about each provider's specialty slugs that have no NUCC code (they are mapped as
   * text only), so the caller can count and log them once per run.
   */
  unmappedSpecialties?: UnmappedSpecialtyReporter;
}

/**
 * Defaults for embedding: PractitionerRole + Location actors, the location's phone as
 * booking phone, no booking link or Location URL (they need the booking portal's address).
 */
export const defaultMappingOptions: MappingOptions = {
  scheduleActor: 'practitioner-role',
  bookingPhone: 'location',
};

/** The mapping fields of validated sink options (see `options-schema.ts`). */
export interface MappingOptionFields {
  scheduleActor: MappingOptions['scheduleActor'];
  bookingLink?: string | undefined;
  bookingPhone?: string | undefined;
  locationUrl?: string | undefined;
}

/**
 * The {@link MappingOptions} of a sink's validated options, with the reporter that
 * counts unmapped specialties for that sink.
 */
export function mappingOptionsOf(
  options: MappingOptionFields,
  unmappedSpecialties?: UnmappedSpecialtyReporter,
): MappingOptions {
  return {
    scheduleActor: options.scheduleActor,
    ...(options.bookingLink !== undefined ? { bookingLink: options.bookingLink } : {}),
    ...(options.bookingPhone !== undefined ? { bookingPhone: options.bookingPhone } : {}),
    ...(options.locationUrl !== undefined ? { locationUrl: options.locationUrl } : {}),
    ...(unmappedSpecialties !== undefined ? { unmappedSpecialties } : {}),
  };
}
