import { ValidationError } from '@pmsbridge/core';

/** The MSH-18 character sets messages can be written in (HL7 table 0211). */
export const HL7_CHARSETS = ['UNICODE UTF-8', 'ASCII', '8859/1'] as const;

/** An MSH-18 character set. */
export type Hl7Charset = (typeof HL7_CHARSETS)[number];

/**
 * What to do with a character the charset cannot carry: `refuse` fails the message (the record
 * is dead-lettered, naming the field); `fold` first drops diacritics (`José` → `Jose`) and
 * refuses only what still does not fit.
 */
export type UnrepresentablePolicy = 'refuse' | 'fold';

const HIGHEST_CODE_POINT: Record<Hl7Charset, number> = {
  'UNICODE UTF-8': 0x10ffff,
  ASCII: 0x7f,
  '8859/1': 0xff,
};

const NODE_ENCODING: Record<Hl7Charset, BufferEncoding> = {
  'UNICODE UTF-8': 'utf8',
  ASCII: 'latin1',
  '8859/1': 'latin1',
};

const NON_ASCII = /[^\p{ASCII}]/u;

/**
 * `value` as the charset can carry it, or a {@link ValidationError} naming `position` (e.g.
 * `STF-3.1`) and the first character it cannot carry.
 */
export function fitToCharset(
  value: string,
  charset: Hl7Charset,
  policy: UnrepresentablePolicy,
  position: string | (() => string),
): string {
  const highest = HIGHEST_CODE_POINT[charset];
  // UTF-8 carries everything; other text is checked only when it holds a non-ASCII character.
  if (highest === 0x10ffff || !NON_ASCII.test(value)) return value;
  const fitted = policy === 'fold' && !fits(value, highest) ? foldDiacritics(value) : value;
  for (const char of fitted) {
    const codePoint = char.codePointAt(0) ?? 0;
    if (codePoint > highest) {
      const hex = codePoint.toString(16).toUpperCase().padStart(4, '0');
      const where = typeof position === 'string' ? position : position();
      throw new ValidationError(
        `${where} holds U+${hex}, which the charset ${charset} cannot carry: send in UNICODE UTF-8 (the charset option) or set unrepresentable to fold`,
        { position: where, charset, codePoint: `U+${hex}` },
        'PMS_RECORD_UNMAPPABLE',
      );
    }
  }
  return fitted;
}

function fits(value: string, highest: number): boolean {
  for (const char of value) if ((char.codePointAt(0) ?? 0) > highest) return false;
  return true;
}

/** Drops combining marks after canonical decomposition: `é` → `e`, `ø` stays. */
function foldDiacritics(value: string): string {
  return value.normalize('NFD').replace(/\p{M}/gu, '').normalize('NFC');
}

/** The bytes of a message in its charset, for a transport to send. */
export function encodeBytes(message: string, charset: Hl7Charset): Buffer {
  return Buffer.from(message, NODE_ENCODING[charset]);
}

/** A received message's text, read in the charset agreed with the peer. */
export function decodeBytes(bytes: Uint8Array, charset: Hl7Charset): string {
  return Buffer.from(bytes).toString(NODE_ENCODING[charset]);
}
