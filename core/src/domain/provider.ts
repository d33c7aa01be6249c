import { z } from 'zod';

/**
 * A record id as a source gives it: opaque to pmsbridge, unique per kind (provider, location,
 * slot) within one source. Any printable text; sinks derive their own ids from it.
 */
export const RecordIdSchema = z
  .string()
  .min(1)
  .max(256)
  .regex(/^[^\p{Cc}]+$/u, 'expected no control characters');

/** A postal address. */
export const PostalAddressSchema = z.object({
  /** Street lines, first to last. */
  lines: z.array(z.string()),
  city: z.string().min(1),
  /** State, province or region, as its postal abbreviation where there is one. */
  state: z.string().min(1),
  postalCode: z.string().min(1),
  /** ISO 3166 country code. */
  country: z.string().min(2),
});

/** A practice location; slot dates and times are wall-clock time in its `timezone`. */
export const LocationSchema = z.object({
  id: RecordIdSchema,
  name: z.string().min(1),
  address: PostalAddressSchema,
  /** IANA time zone, e.g. `America/Chicago`. */
  timezone: z.string().min(1),
  phone: z.string().optional(),
  position: z
    .object({
      latitude: z.number().min(-90).max(90),
      longitude: z.number().min(-180).max(180),
    })
    .optional(),
});

/** A provider id: see {@link RecordIdSchema}. */
export const ProviderIdSchema = RecordIdSchema;

/** The National Provider Identifier: 10 digits. */
export const NpiSchema = z.string().regex(/^\d{10}$/, 'expected 10 digits');

/**
 * A healthcare provider (a practitioner) with the locations where they see patients. A source
 * that delivers only some fields (see `ProviderField`) leaves the others out.
 */
export const ProviderSchema = z.object({
  id: ProviderIdSchema,
  npi: NpiSchema,
  name: z.object({
    first: z.string().min(1),
    last: z.string().min(1),
    /** Credential or honorific shown with the name, e.g. `MD`. */
    title: z.string().optional(),
  }),
  gender: z.enum(['male', 'female', 'other', 'unknown']).optional(),
  /** Specialty names, e.g. `cardiology`; sinks map them to their code systems. */
  specialties: z.array(z.string().min(1)),
  acceptingNewPatients: z.boolean(),
  /** Languages spoken, as BCP 47 tags or names. */
  languages: z.array(z.string()).optional(),
  /** Insurance plans accepted, by name. */
  insuranceAccepted: z.array(z.string()).optional(),
  locations: z.array(LocationSchema).optional(),
  phone: z.string().optional(),
  status: z.enum(['active', 'inactive']),
  /** When the source last changed it (RFC 3339). */
  updatedAt: z.iso.datetime({ offset: true }),
});

export type PostalAddress = z.infer<typeof PostalAddressSchema>;
export type Location = z.infer<typeof LocationSchema>;
export type Provider = z.infer<typeof ProviderSchema>;
