import { z } from 'zod';
import { BookingRequestSchema, BookingSchema } from '../booking/booking.js';
import { TIMES_OF_DAY } from '../booking/finder.js';
import { LocationSchema, ProviderSchema, RecordIdSchema } from '../domain/provider.js';
import { SlotSchema, VisitTypeSchema } from '../domain/slot.js';

const slug = z.string().regex(/^[a-z0-9][a-z0-9_-]{0,63}$/, 'expected a lower-case slug');
const flag = z.enum(['true', 'false']).transform((value) => value === 'true');
const paging = {
  page: z.coerce.number().int().min(1).max(10_000).default(1),
  perPage: z.coerce.number().int().min(1).max(100).default(20),
};
const searchCriteria = {
  specialty: slug.optional(),
  location: z
    .string()
    .regex(/^[^,]{1,80}, [A-Z]{2}$/, 'expected "City, ST"')
    .optional(),
  insurance: slug.optional(),
  acceptingNewPatients: flag.optional(),
  name: z.string().trim().min(1).max(100).optional(),
};
const DAY_MS = 86_400_000;
const isDate = (value: unknown) => z.iso.date().safeParse(value).success;
const bothDates = (q: { startDate: unknown; endDate: unknown }) =>
  isDate(q.startDate) && isDate(q.endDate);

/** `GET /v1/providers`: the directory's criteria and paging; unknown parameters are refused. */
export const ProviderSearchQuerySchema = z.strictObject({ ...searchCriteria, ...paging });

/** `GET /v1/availability`: the finder's criteria, a date range of at most 31 days, paging. */
export const AvailabilityQuerySchema = z
  .strictObject({
    ...searchCriteria,
    startDate: z.iso.date(),
    endDate: z.iso.date(),
    visitType: VisitTypeSchema.optional(),
    timeOfDay: z.enum(Object.keys(TIMES_OF_DAY) as [keyof typeof TIMES_OF_DAY]).optional(),
    /** How many matching providers' schedules are read. */
    providers: z.coerce.number().int().min(1).max(50).default(10),
    ...paging,
  })
  // Checked only once both dates are valid: an invalid one is reported by itself.
  .refine((q) => !bothDates(q) || q.endDate >= q.startDate, {
    path: ['endDate'],
    message: 'must not be before startDate',
  })
  .refine((q) => !bothDates(q) || Date.parse(q.endDate) - Date.parse(q.startDate) < 31 * DAY_MS, {
    path: ['endDate'],
    message: 'the range may span at most 31 days',
  });

/** The `Idempotency-Key` header of `POST /v1/bookings`. */
export const IdempotencyKeySchema = z
  .string({ error: 'the Idempotency-Key header is required' })
  .regex(/^[\x21-\x7e]{1,255}$/, 'expected 1 to 255 visible ASCII characters');

/** A booking id in a path. */
export const BookingIdSchema = z.string().regex(/^BKG[0-9A-F]{20}$/, 'expected a booking id');

const NextSlotSchema = z.object({
  slotId: RecordIdSchema,
  locationId: RecordIdSchema,
  visitType: VisitTypeSchema,
  start: z.string(),
  end: z.string(),
});

/** A provider as the directory answers it. */
export const DirectoryEntrySchema = z.object({
  provider: ProviderSchema,
  locations: z.array(LocationSchema),
  nextAvailable: NextSlotSchema.optional(),
});

const pageOf = <T extends z.ZodType>(items: T) =>
  z.object({
    items: z.array(items),
    page: z.number().int(),
    perPage: z.number().int(),
    total: z.number().int(),
    hasNextPage: z.boolean(),
  });

export const DirectoryPageSchema = pageOf(DirectoryEntrySchema);

/** A free slot as `GET /v1/availability` answers it. */
export const FoundSlotSchema = z.object({
  provider: ProviderSchema.pick({ id: true, npi: true, name: true, specialties: true }),
  location: LocationSchema,
  slot: SlotSchema,
  start: z.string(),
  end: z.string(),
});

export const AvailabilityPageSchema = pageOf(FoundSlotSchema);

/** RFC 9457 problem details. */
export const ProblemSchema = z.looseObject({
  type: z.string(),
  title: z.string(),
  status: z.number().int(),
  detail: z.string().optional(),
  errors: z.array(z.object({ field: z.string(), message: z.string() })).optional(),
  booking: BookingSchema.optional(),
});

export { BookingRequestSchema, BookingSchema };
