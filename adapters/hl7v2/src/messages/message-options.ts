import type { Clock, VisitType } from '@pmsbridge/core';
import { z } from 'zod';
import { Hl7CodecOptionsSchema } from '../codec/codec-options.js';

/** A coded value (CE/CWE): identifier, text and, optionally, the coding system. */
const CodedValueSchema = z.strictObject({
  code: z.string().min(1),
  text: z.string().default(''),
  codingSystem: z.string().default(''),
});

/** A coded value written into a CE or CWE field. */
export type CodedValue = z.infer<typeof CodedValueSchema>;

const DEFAULT_VISIT_TYPES: Record<VisitType, CodedValue> = {
  new_patient: { code: 'NEW', text: 'New patient', codingSystem: '' },
  follow_up: { code: 'FOLLOWUP', text: 'Follow-up', codingSystem: '' },
  telehealth: { code: 'TELEHEALTH', text: 'Telehealth', codingSystem: '' },
};

/**
 * Everything that shapes the messages: the codec's options, plus the master file (`STF` or
 * `PRA`, MFI-1), its response level (MFI-6) and the AIS-3 service code of each visit type.
 */
export const Hl7MessageOptionsSchema = Hl7CodecOptionsSchema.extend({
  masterFile: z.enum(['STF', 'PRA']).default('STF'),
  /** MFI-6, table 0179: `ER` asks for an MFA segment only for records in error. */
  masterFileResponseLevel: z.enum(['AL', 'ER', 'NE', 'SU']).default('ER'),
  visitTypes: z
    .strictObject({
      new_patient: CodedValueSchema,
      follow_up: CodedValueSchema,
      telehealth: CodedValueSchema,
    })
    .default(DEFAULT_VISIT_TYPES),
});

/** Parsed message options, defaults applied. */
export type Hl7MessageOptions = z.infer<typeof Hl7MessageOptionsSchema>;

/**
 * The message options within a plugin's options (which add the transport's own): every key
 * {@link Hl7MessageOptionsSchema} knows, parsed again so that those the plugin does not offer
 * take their defaults.
 */
export function messageOptionsOf(options: object): Hl7MessageOptions {
  const given = options as Record<string, unknown>;
  return Hl7MessageOptionsSchema.parse(
    Object.fromEntries(Object.keys(Hl7MessageOptionsSchema.shape).map((k) => [k, given[k]])),
  );
}

/** What every message builder needs: the options and the clock that stamps MSH-7. */
export interface MessageContext {
  readonly options: Hl7MessageOptions;
  readonly clock: Clock;
}

/** A CE/CWE field value from a coded value. */
export function coded(value: CodedValue): string[] {
  return [value.code, value.text, value.codingSystem];
}
