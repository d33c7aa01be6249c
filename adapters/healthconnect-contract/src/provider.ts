import { z } from 'zod';

/** A postal address as HealthConnect sends it. */
export const AddressSchema = z
  .object({
    line: z.array(z.string()),
    city: z.string().min(1),
    state: z.string().length(2),
    postal_code: z.string().min(1),
    country: z.string().min(2),
  })
  .describe('A postal address.');

/** A practice location; slot dates and times are local to its `timezone`. */
export const LocationSchema = z
  .object({
    id: z.string().regex(/^LOC\d{10}$/, 'expected "LOC" followed by 10 digits'),
    name: z.string().min(1),
    address: AddressSchema,
    timezone: z.string().min(1),
    phone: z.string().optional(),
    position: z
      .object({
        latitude: z.number().min(-90).max(90),
        longitude: z.number().min(-180).max(180),
      })
      .optional(),
  })
  .describe('A practice location; slot dates and times are local to its `timezone`.');

/** Provider id: "PRV" followed by 10 digits. */
export const ProviderIdSchema = z
  .string()
  .regex(/^PRV\d{10}$/, 'expected "PRV" followed by 10 digits');

/** A provider as HealthConnect sends it. `fields` may leave out anything but `id`. */
export const ProviderSchema = z
  .object({
    id: ProviderIdSchema,
    npi: z.string().regex(/^\d{10}$/, 'expected 10 digits'),
    name: z.object({
      first: z.string().min(1),
      last: z.string().min(1),
      title: z.string().optional(),
    }),
    gender: z.enum(['male', 'female', 'other', 'unknown']).optional(),
    specialties: z.array(z.string().min(1)),
    accepting_new_patients: z.boolean(),
    languages: z.array(z.string()).optional(),
    insurance_accepted: z.array(z.string()).optional(),
    locations: z.array(LocationSchema).optional(),
    phone: z.string().optional(),
    status: z.enum(['active', 'inactive']),
    updated_at: z.iso.datetime({ offset: true }),
  })
  .describe('A provider. A response to a request with `fields` may leave out anything but `id`.');

/** A page of provider search results. */
export const ProviderPageSchema = z
  .object({
    providers: z.array(z.unknown()),
    page: z.number().int().min(1),
    per_page: z.number().int().min(1).max(100),
    total: z.number().int().min(0),
    has_next_page: z.boolean(),
  })
  .describe('A page of provider search results.');

/** A provider's locations, as `/providers/{id}/locations` returns them. */
export const LocationListSchema = z
  .object({ locations: z.array(LocationSchema) })
  .describe("A provider's locations.");

export type Address = z.infer<typeof AddressSchema>;
export type Location = z.infer<typeof LocationSchema>;
export type Provider = z.infer<typeof ProviderSchema>;
export type LocationList = z.infer<typeof LocationListSchema>;
export type ProviderPage = Omit<z.infer<typeof ProviderPageSchema>, 'providers'> & {
  providers: Provider[];
};
