import type { Appointment, Bundle, Patient as FhirPatient } from '@medplum/fhirtypes';
import {
  ErrorCode,
  isPmsbridgeError,
  type BookingPort,
  type PartnerBookingRequest,
  type PartnerOutcome,
  type Patient,
} from '@pmsbridge/core';
import {
  LOCATION_ID_SYSTEM,
  PROVIDER_ID_SYSTEM,
  SLOT_ID_SYSTEM,
  appointmentTypeFor,
  locationId,
  practitionerId,
  slotId,
} from '@pmsbridge/fhir-mapping';
import type { FhirTransport } from '../fhir-transport.js';

/** The identifier system of the Appointments pmsbridge books: the value is the booking id. */
export const BOOKING_ID_SYSTEM = 'https://pmsbridge.dev/fhir/sid/booking-id';

/** Statuses of an Appointment that holds its slot. */
const ACTIVE = new Set(['proposed', 'pending', 'booked', 'arrived', 'fulfilled', 'checked-in']);

/** The patient as a contained resource: the booking travels in one request. */
function containedPatient(patient: Patient): FhirPatient {
  const telecom = [
    ...(patient.phone === undefined ? [] : [{ system: 'phone' as const, value: patient.phone }]),
    ...(patient.email === undefined ? [] : [{ system: 'email' as const, value: patient.email }]),
  ];
  return {
    resourceType: 'Patient',
    id: 'patient',
    name: [{ family: patient.lastName, given: [patient.firstName] }],
    birthDate: patient.birthDate,
    ...(telecom.length === 0 ? {} : { telecom }),
  };
}

/**
 * The R4 Appointment of a booking: `booked`, identified by the booking id (so a retry is
 * recognised), for the Slot, with the practitioner and location as the FHIR sink writes them
 * (their ids and business identifiers) and the patient contained.
 */
export function appointmentFor(request: PartnerBookingRequest): Appointment {
  const { provider, slot, location } = request;
  const name = [provider.name.first, provider.name.last].join(' ');
  return {
    resourceType: 'Appointment',
    contained: [containedPatient(request.patient)],
    identifier: [{ system: BOOKING_ID_SYSTEM, value: request.reference }],
    status: 'booked',
    appointmentType: appointmentTypeFor(slot.visitType),
    ...(request.reason === undefined ? {} : { description: request.reason }),
    start: request.start,
    end: request.end,
    minutesDuration: slot.durationMinutes,
    slot: [
      {
        reference: `Slot/${slotId(slot.id)}`,
        identifier: { system: SLOT_ID_SYSTEM, value: slot.id },
      },
    ],
    participant: [
      {
        actor: {
          reference: `Practitioner/${practitionerId(provider.id)}`,
          identifier: { system: PROVIDER_ID_SYSTEM, value: provider.id },
          display: name,
        },
        required: 'required',
        status: 'accepted',
      },
      {
        actor: {
          reference: `Location/${locationId(location.id)}`,
          identifier: { system: LOCATION_ID_SYSTEM, value: location.id },
          display: location.name,
        },
        required: 'required',
        status: 'accepted',
      },
      { actor: { reference: '#patient' }, required: 'required', status: 'accepted' },
    ],
  };
}

/** An HTTP status of a FHIR server's refusal, if the error is one. */
function refusalStatus(error: unknown): number | undefined {
  if (!isPmsbridgeError(error) || error.code !== ErrorCode.FhirRejected) return undefined;
  const status = (error.details as { status?: unknown } | undefined)?.status;
  return typeof status === 'number' ? status : undefined;
}

/**
 * Books in a FHIR R4 server: an `Appointment` created with conditional create
 * (`If-None-Exist: identifier=<booking id>`), so a retry of a booking whose answer was lost
 * finds the first rather than booking twice; a 409 or 412 (the slot is taken) is refused
 * `slot_unavailable`, any other 4xx `rejected` (with the server's message, which names no
 * patient data pmsbridge sent: only codes and paths are kept); 5xx, 429 and network failures
 * throw. `find` searches by the identifier; `cancel` sets the Appointment `cancelled`.
 */
export class FhirBookingPort implements BookingPort {
  constructor(
    readonly name: string,
    private readonly transport: FhirTransport,
  ) {}

  async book(request: PartnerBookingRequest, signal: AbortSignal): Promise<PartnerOutcome> {
    try {
      const created = await this.transport.create(appointmentFor(request), signal, {
        ifNoneExist: `identifier=${BOOKING_ID_SYSTEM}|${request.reference}`,
      });
      return { status: 'booked', partnerId: `Appointment/${created.id ?? ''}` };
    } catch (error) {
      const status = refusalStatus(error);
      if (status === 409 || status === 412) {
        return {
          status: 'refused',
          code: 'slot_unavailable',
          message: 'The slot is already booked',
        };
      }
      if (status !== undefined && status >= 400 && status < 500 && status !== 408) {
        return {
          status: 'refused',
          code: 'rejected',
          message: `The FHIR server refused the appointment (HTTP ${status})`,
        };
      }
      throw error;
    }
  }

  async find(reference: string, signal: AbortSignal): Promise<PartnerOutcome | undefined> {
    const bundle: Bundle = await this.transport.search(
      'Appointment',
      { identifier: `${BOOKING_ID_SYSTEM}|${reference}` },
      signal,
    );
    const found = (bundle.entry ?? [])
      .map((entry) => entry.resource as Appointment | undefined)
      .find((appointment) => appointment?.status !== undefined && ACTIVE.has(appointment.status));
    return found?.id === undefined
      ? undefined
      : { status: 'booked', partnerId: `Appointment/${found.id}` };
  }

  async cancel(
    { partnerId }: { reference: string; partnerId: string },
    signal: AbortSignal,
  ): Promise<void> {
    const id = partnerId.replace(/^Appointment\//, '');
    const appointment = await this.transport.read<Appointment>('Appointment', id, signal);
    if (appointment.status === 'cancelled') return;
    await this.transport.update({ ...appointment, id, status: 'cancelled' }, signal);
  }
}
