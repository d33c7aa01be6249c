/** How mapped resources are shaped; shared by every mapper. */
export interface MappingOptions {
  /**
   * `practitioner-role`: Schedule.actor = the PractitionerRole and the Location.
   * `location`: Schedule.actor = the Location only (SMART Scheduling Links 2021 / Inferno).
   */
  scheduleActor: 'practitioner-role' | 'location';
  /**
   * Booking deep-link template added to every Slot; `{slotId}`, `{providerId}`,
   * `{locationId}` are replaced (URL-encoded).
   */
  bookingLink?: string;
  /** Booking phone added to every Slot: a fixed number, or `location` for the location's phone. */
  bookingPhone?: string;
}

/** Defaults: PractitionerRole + Location actors, no booking extensions. */
export const defaultMappingOptions: MappingOptions = { scheduleActor: 'practitioner-role' };
