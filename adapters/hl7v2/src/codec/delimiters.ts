/** The encoding characters of a message: MSH-1 and the four characters of MSH-2. */
export interface Hl7Delimiters {
  readonly field: string;
  readonly component: string;
  readonly repetition: string;
  readonly escape: string;
  readonly subcomponent: string;
}

/** The standard encoding characters, `|` and `^~\&`, which every message built here uses. */
export const DEFAULT_DELIMITERS: Hl7Delimiters = {
  field: '|',
  component: '^',
  repetition: '~',
  escape: '\\',
  subcomponent: '&',
};

/** Segments end with a carriage return, never a line feed. */
export const SEGMENT_TERMINATOR = '\r';

/** MSH-2 as written: component, repetition, escape and subcomponent characters. */
export function encodingCharacters(delimiters: Hl7Delimiters): string {
  return `${delimiters.component}${delimiters.repetition}${delimiters.escape}${delimiters.subcomponent}`;
}
