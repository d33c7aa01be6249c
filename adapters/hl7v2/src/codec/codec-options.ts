import { z } from 'zod';
import { HL7_CHARSETS } from './charset.js';

/** The HL7 v2 versions messages are built in. */
export const HL7_VERSIONS = ['2.5.1', '2.3.1'] as const;

/** An HL7 v2 version (MSH-12). */
export type Hl7Version = (typeof HL7_VERSIONS)[number];

/**
 * Acknowledgment conditions, HL7 table 0155, for MSH-15 and MSH-16: `AL` always, `NE` never,
 * `ER` on error only, `SU` on successful completion only.
 */
export const ACKNOWLEDGMENT_CONDITIONS = ['AL', 'NE', 'ER', 'SU'] as const;

/** An acknowledgment condition (table 0155). */
export type AcknowledgmentCondition = (typeof ACKNOWLEDGMENT_CONDITIONS)[number];

const AcknowledgmentType = z.enum(ACKNOWLEDGMENT_CONDITIONS);

/**
 * How messages are encoded and addressed. Defaults: version 2.5.1, UTF-8, refuse characters
 * the charset cannot carry, production processing, original acknowledgment mode (MSH-15 and
 * MSH-16 empty), MSH-7 in UTC.
 */
export const Hl7CodecOptionsSchema = z.strictObject({
  version: z.enum(HL7_VERSIONS).default('2.5.1'),
  /** MSH-18; the transport writes the bytes in this charset. */
  charset: z.enum(HL7_CHARSETS).default('UNICODE UTF-8'),
  /** `refuse` a character the charset cannot carry, or `fold` diacritics away first. */
  unrepresentable: z.enum(['refuse', 'fold']).default('refuse'),
  /** MSH-3 to MSH-6: the practice-management system routes on these. */
  sendingApplication: z.string().min(1).default('PMSBRIDGE'),
  sendingFacility: z.string().default(''),
  receivingApplication: z.string().default(''),
  receivingFacility: z.string().default(''),
  /** MSH-11, table 0103: production, training or debugging. */
  processingId: z.enum(['P', 'T', 'D']).default('P'),
  /** MSH-15; with MSH-16, leave both out for original mode (AA/AE/AR only). */
  acceptAcknowledgmentType: AcknowledgmentType.optional(),
  /** MSH-16. */
  applicationAcknowledgmentType: AcknowledgmentType.optional(),
  /** IANA zone of MSH-7, the time the message was built. */
  timeZone: z.string().min(1).default('UTC'),
});

/** Parsed codec options, defaults applied. */
export type Hl7CodecOptions = z.infer<typeof Hl7CodecOptionsSchema>;
