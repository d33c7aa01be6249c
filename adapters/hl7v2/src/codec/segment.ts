/** One component: its text, or its subcomponents first to last. */
export type Hl7Component = string | readonly string[];

/** One value of a field: its text, or its components first to last. */
export type Hl7FieldValue = string | readonly Hl7Component[];

/** A field that repeats: its values first to last, written with the repetition separator. */
export interface Hl7Repetitions {
  readonly repetitions: readonly Hl7FieldValue[];
}

/** A field: one value, or {@link Hl7Repetitions}. Text is escaped when the message is encoded. */
export type Hl7Field = Hl7FieldValue | Hl7Repetitions;

/**
 * A segment to encode: its name and its fields by HL7 number (`{ 3: name, 7: 'A' }` is field 3
 * and field 7). Missing numbers are empty fields. In `MSH`, fields 1 and 2 are the encoding
 * characters and always written from the delimiters.
 */
export interface Hl7Segment {
  readonly name: string;
  readonly fields: Readonly<Record<number, Hl7Field | undefined>>;
}

/** A segment from its name and numbered fields. */
export function segment(name: string, fields: Hl7Segment['fields']): Hl7Segment {
  return { name, fields };
}

/** Repeats a field: `repeat(['cardiology'], ['pediatrics'])` → `cardiology~pediatrics`. */
export function repeat(...repetitions: readonly Hl7FieldValue[]): Hl7Repetitions {
  return { repetitions };
}

/** Whether a field holds repetitions rather than a single value. */
export function isRepetitions(field: Hl7Field): field is Hl7Repetitions {
  return typeof field === 'object' && 'repetitions' in field;
}
