import { z } from 'zod';
import { Hl7MessageOptionsSchema } from '../messages/message-options.js';
import { SLOT_TAKEN_ERROR_CODE } from '../messages/scheduling-response.js';
import { TlsOptionsSchema } from '../tls-options.js';

/**
 * Options of the HL7 v2 booking partner: the peer (`host`, `port`, `tls`), timeouts and
 * connection attempts, the HL7 error codes that mean "slot taken", and the message options
 * the sink has too (version, charset, MSH-3 to MSH-6, processing id, time zone, visit types).
 * Booking always runs in original acknowledgment mode, so MSH-15/16 are not offered.
 */
export const Hl7BookingOptionsSchema = Hl7MessageOptionsSchema.omit({
  masterFile: true,
  masterFileResponseLevel: true,
  acceptAcknowledgmentType: true,
  applicationAcknowledgmentType: true,
}).extend({
  host: z.string().min(1),
  // Coerced: a config may give it as `${HL7_BOOKING_PORT}`, which substitutes text.
  port: z.coerce.number().int().min(1).max(65_535),
  tls: TlsOptionsSchema.optional(),
  /** How long to wait for each answer (SRR, SQR); then the outcome is unknown and looked up. */
  ackTimeoutMs: z.number().int().positive().default(10_000),
  /** How long a connection attempt may take. */
  connectTimeoutMs: z.number().int().positive().default(5_000),
  /** Connection attempts before a request fails as unreachable (nothing was sent). */
  connectAttempts: z.number().int().min(1).max(20).default(2),
  /** Wait before the next connection attempt; doubles with each attempt. */
  retryDelayMs: z.number().int().min(0).default(500),
  /**
   * HL7 error codes (ERR-3; ERR-1.4 in 2.3.1; else ERR-5) of an `AE`/`AR` that mean the slot
   * is already booked: the booking is refused `slot_unavailable`, not `rejected`.
   */
  slotTakenErrorCodes: z.array(z.string().min(1)).min(1).default([SLOT_TAKEN_ERROR_CODE]),
});

/** Parsed booking options, defaults applied. */
export type Hl7BookingOptions = z.infer<typeof Hl7BookingOptionsSchema>;
