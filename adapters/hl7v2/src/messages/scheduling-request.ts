import type { PartnerBookingRequest, Patient } from '@pmsbridge/core';
import type { Hl7Version } from '../codec/codec-options.js';
import {
  assembleMessage,
  type Hl7MessageType,
  type OutboundMessage,
} from '../codec/outbound-message.js';
import { repeat, segment, type Hl7Component, type Hl7Segment } from '../codec/segment.js';
import { rfc3339ToHl7 } from '../codec/timestamp.js';
import type { MessageContext } from './message-options.js';
import { componentsAt, personName, pointOfCare, practitioner } from './provider-fields.js';
import { MINUTES, resourceGroup } from './resource-group.js';

/** `SRM^S01`: request a new appointment booking. */
const BOOKING: Hl7MessageType = { code: 'SRM', trigger: 'S01', structure: 'SRM_S01' };
/** `SRM^S04`: request the cancellation of an appointment (same structure as S01). */
const CANCELLATION: Hl7MessageType = { code: 'SRM', trigger: 'S04', structure: 'SRM_S01' };

/** ARQ-8, table 0277: a routine request. */
const NORMAL_APPOINTMENT = 'Normal';

/** A booking the partner holds: pmsbridge's reference (placer id) and the partner's (filler id). */
export interface HeldBooking {
  readonly reference: string;
  readonly partnerId: string;
}

/**
 * The `SRM^S01` message asking the practice-management system (the filler) to book a slot:
 *
 * - ARQ: ARQ-1 the booking reference as the placer appointment id (with MSH-3 as its namespace),
 *   ARQ-7 the patient's reason as text, ARQ-8 `Normal`, ARQ-9/10 the duration in minutes,
 *   ARQ-11 the requested start range — the slot's start as both ends, since the range is when
 *   the appointment may *start* — and ARQ-15/19 (placer contact, entered by) MSH-3.
 * - PID: the patient's name, birth date, phone and e-mail (PID-13). PID-3 is left empty:
 *   pmsbridge holds no patient id; the filler matches or registers the patient.
 * - One resource group, as in `SIU^S24`: RGS (the slot id), AIS (visit type), AIL (location),
 *   AIP (practitioner with NPI), each with the start and duration.
 *
 * MSH-10 depends only on the reference and the content, so a resend of the same booking is
 * recognisably the same message. The message holds the patient's data: never log its text.
 */
export function buildBookingRequest(
  request: PartnerBookingRequest,
  context: MessageContext,
): OutboundMessage {
  const { options } = context;
  const start = rfc3339ToHl7(request.start);
  const minutes = String(request.slot.durationMinutes);
  const body: Hl7Segment[] = [
    segment('ARQ', {
      ...appointmentRequest(request.reference, options.sendingApplication),
      7: request.reason === undefined ? undefined : ['', request.reason],
      8: NORMAL_APPOINTMENT,
      9: minutes,
      10: MINUTES,
      11: [start, start],
    }),
    patientIdentification(request.patient, options.version),
    ...resourceGroup(
      {
        slotId: request.slot.id,
        service: options.visitTypes[request.slot.visitType],
        start,
        durationMinutes: request.slot.durationMinutes,
        location: pointOfCare(request.location),
        practitioner: practitioner(request.provider, options.version),
      },
      1,
    ),
  ];
  return assembleMessage(
    { type: BOOKING, body, key: request.reference, revision: BOOKING.trigger },
    context,
  );
}

/**
 * The `SRM^S04` message asking the filler to cancel a booking: ARQ-1 the placer id (the
 * booking reference), ARQ-2 the filler's id, and the resource group the structure requires
 * (an RGS alone). It carries no patient data. A resend has the same MSH-10.
 */
export function buildCancellationRequest(
  booking: HeldBooking,
  context: MessageContext,
): OutboundMessage {
  const { options } = context;
  const body: Hl7Segment[] = [
    segment('ARQ', {
      ...appointmentRequest(booking.reference, options.sendingApplication),
      2: [booking.partnerId],
    }),
    segment('RGS', { 1: '1' }),
  ];
  return assembleMessage(
    { type: CANCELLATION, body, key: booking.reference, revision: CANCELLATION.trigger },
    context,
  );
}

/**
 * The ARQ fields every request carries: the placer appointment id (ARQ-1, EI: the reference
 * and MSH-3 as namespace) and the two required persons, placer contact (ARQ-15) and entered
 * by (ARQ-19), both pmsbridge as MSH-3 names it.
 */
export function appointmentRequest(
  reference: string,
  sendingApplication: string,
): Record<number, Hl7Component[]> {
  return { 1: [reference, sendingApplication], 15: [sendingApplication], 19: [sendingApplication] };
}

/** PID: set id 1, the name (PID-5), birth date (PID-7) and phone and e-mail (PID-13). */
function patientIdentification(patient: Patient, version: Hl7Version): Hl7Segment {
  const contacts: Hl7Component[][] = [
    ...(patient.phone === undefined ? [] : [componentsAt({ 1: patient.phone, 2: 'PRN', 3: 'PH' })]),
    ...(patient.email === undefined
      ? []
      : [componentsAt({ 2: 'NET', 3: 'Internet', 4: patient.email })]),
  ];
  return segment('PID', {
    1: '1',
    5: personName({ first: patient.firstName, last: patient.lastName }, version),
    7: patient.birthDate.replaceAll('-', ''),
    13: contacts.length === 0 ? undefined : repeat(...contacts),
  });
}
