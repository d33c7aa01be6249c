import { z } from 'zod';

/**
 * A request to book one slot through a partner booking system. HealthConnect itself
 * publishes slots; booking goes through the practice's own system (a `BookingPort`).
 */
export const BookingRequestSchema = z.object({
  provider_id: z.string().min(1),
  slot_id: z.string().min(1),
  patient: z.object({
    first_name: z.string().min(1),
    last_name: z.string().min(1),
    birth_date: z.iso.date(),
    phone: z.string().optional(),
    email: z.email().optional(),
  }),
  reason: z.string().optional(),
});

/** The partner system's answer to a booking request. */
export const BookingResultSchema = z.object({
  booking_id: z.string().min(1),
  status: z.enum(['confirmed', 'pending', 'rejected']),
  provider_id: z.string(),
  slot_id: z.string(),
  reason: z.string().optional(),
});

export type BookingRequest = z.infer<typeof BookingRequestSchema>;
export type BookingResult = z.infer<typeof BookingResultSchema>;
