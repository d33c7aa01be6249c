import { z } from 'zod';

const LocalDate = z.iso.date();

/** One bookable slot; `date` and `time` are wall-clock time at the slot's location. */
export const SlotSchema = z
  .object({
    slot_id: z.string().min(1),
    date: LocalDate,
    time: z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'expected HH:MM'),
    duration_minutes: z.number().int().positive(),
    available: z.boolean(),
    location_id: z.string().min(1),
    visit_type: z.enum(['new_patient', 'follow_up', 'telehealth']),
  })
  .describe("One bookable slot; `date` and `time` are wall-clock time at the slot's location.");

/** An inclusive range of local dates. */
export const ScheduleWindowSchema = z
  .object({ start_date: LocalDate, end_date: LocalDate })
  .refine((w) => w.end_date >= w.start_date, {
    message: 'end_date must not be before start_date',
    path: ['end_date'],
  });

/** The schedule response for one provider and one window. */
export const ScheduleSchema = z
  .object({
    provider_id: z.string(),
    start_date: LocalDate,
    end_date: LocalDate,
    schedule: z.array(z.unknown()),
  })
  .describe('The slots of one provider between two local dates, both included.');

export type Slot = z.infer<typeof SlotSchema>;
export type ScheduleWindow = z.infer<typeof ScheduleWindowSchema>;
export type Schedule = Omit<z.infer<typeof ScheduleSchema>, 'schedule'> & { schedule: Slot[] };
