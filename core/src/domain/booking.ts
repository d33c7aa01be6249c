import { z } from 'zod';

/**
 * A request to book one slot through a partner booking system (the practice's own system,
 * behind a `BookingPort`).
 */
export const BookingRequestSchema = z.object({
  providerId: z.string().min(1),
  slotId: z.string().min(1),
  patient: z.object({
    firstName: z.string().min(1),
    lastName: z.string().min(1),
    birthDate: z.iso.date(),
    phone: z.string().optional(),
    email: z.email().optional(),
  }),
  reason: z.string().optional(),
});

/** The partner system's answer to a booking request. */
export const BookingResultSchema = z.object({
  bookingId: z.string().min(1),
  status: z.enum(['confirmed', 'pending', 'rejected']),
  providerId: z.string(),
  slotId: z.string(),
  reason: z.string().optional(),
});

export type BookingRequest = z.infer<typeof BookingRequestSchema>;
export type BookingResult = z.infer<typeof BookingResultSchema>;
