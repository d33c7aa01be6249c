import type { Location, Provider, Slot } from '@pmsbridge/core';
import { ManualClock } from '@pmsbridge/core/testing';
import {
  Hl7MessageOptionsSchema,
  type Hl7MessageOptions,
  type MessageContext,
} from './messages/message-options.js';

/** Every delimiter and the escape character, in the order HL7 lists them. */
export const ALL_DELIMITERS = '|^~\\&';

/** A location in Chicago whose name and address hold every delimiter. */
export const chicagoClinic: Location = {
  id: 'LOC-1',
  name: 'Lakeview | Heart ^ Vascular',
  address: {
    lines: ['12 Main St & Oak ~ Suite \\4', 'Floor 2'],
    city: 'Chicago',
    state: 'IL',
    postalCode: '60601',
    country: 'US',
  },
  timezone: 'America/Chicago',
  phone: '(312) 555-0100',
};

/** A provider whose name holds every delimiter, seen at {@link chicagoClinic}. */
export function trickyProvider(patch: Partial<Provider> = {}): Provider {
  return {
    id: 'PRV-0001',
    npi: '1234567893',
    name: { first: 'Ann^Marie', last: "O'Brien|Smith~&\\Jr", title: 'MD' },
    specialties: ['cardiology', 'internal medicine'],
    acceptingNewPatients: true,
    locations: [chicagoClinic],
    status: 'active',
    updatedAt: '2026-03-01T10:15:00-06:00',
    ...patch,
  };
}

/** A slot at {@link chicagoClinic}. */
export function slotAt(patch: Partial<Slot> = {}): Slot {
  return {
    id: 'SLOT-1',
    date: '2026-03-09',
    time: '09:00',
    durationMinutes: 30,
    available: true,
    locationId: chicagoClinic.id,
    visitType: 'new_patient',
    ...patch,
  };
}

/** A message context at a fixed time, with the given options over the defaults. */
export function contextWith(
  options: Partial<Hl7MessageOptions> = {},
  clock = new ManualClock('2026-03-02T15:04:05.000Z'),
): MessageContext {
  return { options: Hl7MessageOptionsSchema.parse(options), clock };
}

/** The segment names of an encoded message, in order. */
export function segmentNames(text: string): string[] {
  return text
    .split('\r')
    .filter((line) => line !== '')
    .map((line) => line.slice(0, 3));
}
