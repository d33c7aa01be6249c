import type { Hl7Delimiters } from './delimiters.js';

/**
 * Escapes text for a field, component or subcomponent: each delimiter and the escape character
 * become their escape sequences (`\F\ \S\ \R\ \T\ \E\`) in one left-to-right pass, so a
 * sequence is never escaped twice; carriage return and line feed, which would end the segment,
 * become hex escapes (`\X0D\`, `\X0A\`).
 */
export function escapeText(value: string, delimiters: Hl7Delimiters): string {
  const { any, every, sequences } = escapingOf(delimiters);
  // Most text holds nothing to escape: return it as it is.
  if (!any.test(value)) return value;
  return value.replace(every, (char) => sequences.get(char) ?? char);
}

interface Escaping {
  /** Matches a character to escape. */
  readonly any: RegExp;
  /** The same, global, for replacing every one. */
  readonly every: RegExp;
  readonly sequences: ReadonlyMap<string, string>;
}

/** Built once per set of delimiters: messages escape thousands of values. */
const escapings = new WeakMap<Hl7Delimiters, Escaping>();

function escapingOf(d: Hl7Delimiters): Escaping {
  let escaping = escapings.get(d);
  if (escaping === undefined) {
    const sequences = escapeSequences(d);
    const chars = [...sequences.keys()].map((c) => c.replace(/[\\^\]-]/g, '\\$&')).join('');
    escaping = { any: new RegExp(`[${chars}]`), every: new RegExp(`[${chars}]`, 'g'), sequences };
    escapings.set(d, escaping);
  }
  return escaping;
}

function escapeSequences(d: Hl7Delimiters): Map<string, string> {
  const e = d.escape;
  return new Map([
    [d.field, `${e}F${e}`],
    [d.component, `${e}S${e}`],
    [d.subcomponent, `${e}T${e}`],
    [d.repetition, `${e}R${e}`],
    [d.escape, `${e}E${e}`],
    ['\r', `${e}X0D${e}`],
    ['\n', `${e}X0A${e}`],
  ]);
}

/**
 * Reverses {@link escapeText} on one subcomponent's text. Hex data (`\Xhh…\`) is read as bytes
 * of the message's charset (`encoding`). Sequences that format or switch charsets (`\H\`, `\N\`,
 * `\.br\`, `\Zxx\`, `\Cxxyy\`, `\Mxxyyzz\`) carry no character of their own and are kept as they
 * are; an escape character with no closing one is kept as text.
 */
export function unescapeText(
  value: string,
  delimiters: Hl7Delimiters,
  encoding: BufferEncoding = 'utf8',
): string {
  const e = delimiters.escape;
  if (!value.includes(e)) return value;
  let text = '';
  let index = 0;
  while (index < value.length) {
    const start = value.indexOf(e, index);
    const end = start < 0 ? -1 : value.indexOf(e, start + 1);
    if (start < 0 || end < 0) {
      text += value.slice(index);
      break;
    }
    text += value.slice(index, start);
    const sequence = value.slice(start + 1, end);
    text += resolveSequence(sequence, delimiters, encoding) ?? `${e}${sequence}${e}`;
    index = end + 1;
  }
  return text;
}

function resolveSequence(
  sequence: string,
  d: Hl7Delimiters,
  encoding: BufferEncoding,
): string | undefined {
  switch (sequence) {
    case 'F':
      return d.field;
    case 'S':
      return d.component;
    case 'T':
      return d.subcomponent;
    case 'R':
      return d.repetition;
    case 'E':
      return d.escape;
  }
  const hex = /^X((?:[0-9A-Fa-f]{2})+)$/.exec(sequence)?.[1];
  return hex === undefined ? undefined : Buffer.from(hex, 'hex').toString(encoding);
}
