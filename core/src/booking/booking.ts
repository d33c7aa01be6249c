import { z } from 'zod';
import { RecordIdSchema } from '../domain/provider.js';
import { VisitTypeSchema } from '../domain/slot.js';

/**
 * The patient a booking is for. Protected health information: it goes to the partner that
 * books, and is kept only while the booking's outcome is not known (see `BookingService`);
 * it never appears in logs, dead letters or error messages.
 */
export const PatientSchema = z.strictObject({
  firstName: z.string().trim().min(1).max(100),
  lastName: z.string().trim().min(1).max(100),
  birthDate: z.iso.date(),
  phone: z
    .string()
    .regex(/^\+?[0-9 ().-]{7,25}$/, 'expected a phone number')
    .optional(),
  email: z.email().max(254).optional(),
});

/** A request to book one slot of one provider for a patient. */
export const BookingRequestSchema = z.strictObject({
  providerId: RecordIdSchema,
  slotId: RecordIdSchema,
  patient: PatientSchema,
  /** Why the patient comes, in a few words; passed to the partner as the appointment's reason. */
  reason: z.string().trim().min(1).max(500).optional(),
});

/**
 * Where a booking stands: `pending` while its outcome is not known (being sent, or sent with
 * no answer yet: it is reconciled with the partner before anything is sent again), `booked`,
 * `refused` by the partner (the slot was taken, or the request rejected), `cancelled`.
 */
export const BookingStatusSchema = z.enum(['pending', 'booked', 'refused', 'cancelled']);

/** Why a partner refused a booking: the slot is no longer free, or the request itself. */
export const RefusalCodeSchema = z.enum(['slot_unavailable', 'rejected']);

/** A booking as pmsbridge keeps and returns it: no patient data. */
export const BookingSchema = z.strictObject({
  /** pmsbridge's id, derived from the idempotency key (`BKG` and 20 hex digits). */
  id: z.string(),
  providerId: RecordIdSchema,
  slotId: RecordIdSchema,
  locationId: RecordIdSchema.optional(),
  /** Start and end with the location's UTC offset, e.g. `2026-03-09T09:00:00-06:00`. */
  start: z.string().optional(),
  end: z.string().optional(),
  visitType: VisitTypeSchema.optional(),
  status: BookingStatusSchema,
  /** The partner that holds the booking (its plugin id). */
  partner: z.string(),
  /** The partner's own id of the booking, e.g. `Appointment/123` or the filler's SCH-2. */
  partnerId: z.string().optional(),
  refusal: z.strictObject({ code: RefusalCodeSchema, message: z.string() }).optional(),
  createdAt: z.string(),
  updatedAt: z.string(),
});

export type Patient = z.infer<typeof PatientSchema>;
export type BookingRequest = z.infer<typeof BookingRequestSchema>;
export type BookingStatus = z.infer<typeof BookingStatusSchema>;
export type RefusalCode = z.infer<typeof RefusalCodeSchema>;
export type Booking = z.infer<typeof BookingSchema>;
