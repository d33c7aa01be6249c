import { z } from 'zod';
import { RecordIdSchema } from './provider.js';

const LocalDate = z.iso.date();

/** What a slot is for. */
export const VisitTypeSchema = z.enum(['new_patient', 'follow_up', 'telehealth']);

/** One bookable slot; `date` and `time` are wall-clock time at the slot's location. */
export const SlotSchema = z.object({
  id: RecordIdSchema,
  /** Local date, `YYYY-MM-DD`. */
  date: LocalDate,
  /** Local start time, `HH:MM`. */
  time: z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'expected HH:MM'),
  durationMinutes: z.number().int().positive(),
  /** Free to book (`true`) or taken (`false`). */
  available: z.boolean(),
  /** Id of one of the provider's locations. */
  locationId: RecordIdSchema,
  visitType: VisitTypeSchema,
});

/** An inclusive range of local dates. */
export const ScheduleWindowSchema = z
  .object({ startDate: LocalDate, endDate: LocalDate })
  .refine((w) => w.endDate >= w.startDate, {
    message: 'endDate must not be before startDate',
    path: ['endDate'],
  });

export type VisitType = z.infer<typeof VisitTypeSchema>;
export type Slot = z.infer<typeof SlotSchema>;
export type ScheduleWindow = z.infer<typeof ScheduleWindowSchema>;
