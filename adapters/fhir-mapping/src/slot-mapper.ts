import type { Location as HcLocation, Slot as HcSlot } from '@pmsbridge/core';
import type { CodeableConcept, Extension, Slot } from '@medplum/fhirtypes';
import type { MappingOptions } from './mapping-options.js';
import { providerLocationKey, slotId } from './resource-ids.js';
import {
  ACCEPTING_PATIENTS_THO_SYSTEM,
  BOOKING_DEEP_LINK_URL,
  BOOKING_PHONE_URL,
  SLOT_ID_SYSTEM,
  V2_0276_SYSTEM,
} from './terminology.js';
import { fillUrlTemplate } from './url-template.js';
import { formatInstant, zonedEpochMs } from '@pmsbridge/core';

const MINUTE_MS = 60_000;

/**
 * HealthConnect visit types → Slot.appointmentType. R4 binds appointmentType to HL7 v2
 * table 0276; `new_patient` also carries the accepting-patients `newpt` code the HL7 SMART
 * Scheduling Links draft uses to mark new-patient slots.
 */
export function appointmentTypeFor(visitType: HcSlot['visitType']): CodeableConcept {
  switch (visitType) {
    case 'new_patient':
      return {
        coding: [
          {
            system: V2_0276_SYSTEM,
            code: 'ROUTINE',
            display: 'Routine appointment - default if not valued',
          },
          {
            system: ACCEPTING_PATIENTS_THO_SYSTEM,
            code: 'newpt',
            display: 'Accepting',
          },
        ],
        text: 'New patient visit',
      };
    case 'follow_up':
      return {
        coding: [
          {
            system: V2_0276_SYSTEM,
            code: 'FOLLOWUP',
            display: 'A follow up visit from a previous appointment',
          },
        ],
        text: 'Follow-up visit',
      };
    case 'telehealth':
      return {
        coding: [
          {
            system: V2_0276_SYSTEM,
            code: 'ROUTINE',
            display: 'Routine appointment - default if not valued',
          },
        ],
        text: 'Telehealth visit',
      };
  }
}

function bookingExtensions(
  slot: HcSlot,
  providerId: string,
  location: HcLocation,
  start: string,
  options: MappingOptions,
): Extension[] {
  const extensions: Extension[] = [];
  if (options.bookingLink !== undefined) {
    const valueUrl = fillUrlTemplate(options.bookingLink, {
      slotId: slot.id,
      providerId,
      locationId: location.id,
      start,
    });
    extensions.push({ url: BOOKING_DEEP_LINK_URL, valueUrl });
  }
  const phone = bookingPhoneOf(location, options);
  if (phone !== undefined) extensions.push({ url: BOOKING_PHONE_URL, valueString: phone });
  return extensions;
}

/** The booking phone of a slot at `location` per {@link MappingOptions.bookingPhone}. */
function bookingPhoneOf(location: HcLocation, options: MappingOptions): string | undefined {
  const { bookingPhone } = options;
  if (bookingPhone === undefined || bookingPhone === 'none') return undefined;
  const phone = bookingPhone === 'location' ? location.phone : bookingPhone;
  return phone === undefined || phone === '' ? undefined : phone;
}

/**
 * Maps a HealthConnect slot to a FHIR Slot of the provider's Schedule at the slot's
 * location: status free/busy, start/end as instants with the location's UTC offset on
 * that date, appointment type, the slot id as identifier, and the SMART Scheduling Links
 * booking extensions per {@link MappingOptions.bookingLink} / {@link MappingOptions.bookingPhone}.
 */
export function mapSlot(
  slot: HcSlot,
  providerId: string,
  location: HcLocation,
  options: MappingOptions,
): Slot {
  const start = zonedEpochMs(slot.date, slot.time, location.timezone);
  const end = start + slot.durationMinutes * MINUTE_MS;
  const resource: Slot = {
    resourceType: 'Slot',
    id: slotId(slot.id),
    identifier: [{ system: SLOT_ID_SYSTEM, value: slot.id }],
    schedule: { reference: `Schedule/${providerLocationKey(providerId, location.id)}` },
    status: slot.available ? 'free' : 'busy',
    start: formatInstant(start, location.timezone),
    end: formatInstant(end, location.timezone),
    appointmentType: appointmentTypeFor(slot.visitType),
  };
  const extensions = bookingExtensions(slot, providerId, location, resource.start, options);
  if (extensions.length > 0) resource.extension = extensions;
  return resource;
}
