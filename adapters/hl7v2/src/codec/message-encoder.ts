import { fitToCharset, type Hl7Charset, type UnrepresentablePolicy } from './charset.js';
import { encodingCharacters, SEGMENT_TERMINATOR, type Hl7Delimiters } from './delimiters.js';
import { escapeText } from './escape.js';
import {
  isRepetitions,
  type Hl7Component,
  type Hl7Field,
  type Hl7FieldValue,
  type Hl7Segment,
} from './segment.js';

/** How text is written: delimiters, and the charset with its policy for what it cannot carry. */
export interface EncodingRules {
  readonly delimiters: Hl7Delimiters;
  readonly charset: Hl7Charset;
  readonly unrepresentable: UnrepresentablePolicy;
}

/**
 * Encodes segments as one message: each segment terminated by a carriage return, text escaped,
 * trailing empty fields, components and subcomponents left out.
 */
export function encodeMessage(segments: readonly Hl7Segment[], rules: EncodingRules): string {
  return segments.map((s) => encodeSegment(s, rules) + SEGMENT_TERMINATOR).join('');
}

/** Segment names already checked. */
const SEGMENT_NAMES = new Set<string>();

/** Encodes one segment, without its terminator. */
export function encodeSegment(seg: Hl7Segment, rules: EncodingRules): string {
  if (!SEGMENT_NAMES.has(seg.name)) {
    if (!/^[A-Z][A-Z0-9]{2}$/.test(seg.name)) {
      throw new Error(`Segment name "${seg.name}" is not three capitals or digits`);
    }
    SEGMENT_NAMES.add(seg.name);
  }
  const { delimiters } = rules;
  const isHeader = seg.name === 'MSH';
  let last = isHeader ? 2 : 0;
  for (const key in seg.fields) last = Math.max(last, Number(key));
  const parts: string[] = [seg.name];
  for (let n = 1; n <= last; n++) {
    if (isHeader && n === 1) continue; // MSH-1 is the separator itself
    if (isHeader && n === 2) {
      parts.push(encodingCharacters(delimiters));
      continue;
    }
    const field = seg.fields[n];
    parts.push(field === undefined ? '' : encodeField(field, rules, () => `${seg.name}-${n}`));
  }
  return trimTrailing(parts, 1).join(delimiters.field);
}

/**
 * Where a value is (`STF-3.1`), for an error message: built only when one is thrown, since a
 * message encodes thousands of values.
 */
type Position = () => string;

function encodeField(field: Hl7Field, rules: EncodingRules, position: Position): string {
  const values = isRepetitions(field) ? field.repetitions : [field];
  const encoded = values.map((value, i) =>
    encodeValue(value, rules, values.length > 1 ? () => `${position()}(${i + 1})` : position),
  );
  return trimTrailing(encoded).join(rules.delimiters.repetition);
}

function encodeValue(value: Hl7FieldValue, rules: EncodingRules, position: Position): string {
  if (typeof value === 'string') return encodeText(value, rules, position);
  const components = value.map((component, i) =>
    encodeComponent(component, rules, () => `${position()}.${i + 1}`),
  );
  return trimTrailing(components).join(rules.delimiters.component);
}

function encodeComponent(
  component: Hl7Component,
  rules: EncodingRules,
  position: Position,
): string {
  if (typeof component === 'string') return encodeText(component, rules, position);
  const subcomponents = component.map((text, i) =>
    encodeText(text, rules, () => `${position()}.${i + 1}`),
  );
  return trimTrailing(subcomponents).join(rules.delimiters.subcomponent);
}

function encodeText(text: string, rules: EncodingRules, position: Position): string {
  if (text === '') return text;
  const fitted = fitToCharset(text, rules.charset, rules.unrepresentable, position);
  return escapeText(fitted, rules.delimiters);
}

/** Drops empty strings from the end, keeping at least `keep` entries. */
function trimTrailing(parts: string[], keep = 0): string[] {
  let end = parts.length;
  while (end > keep && parts[end - 1] === '') end--;
  return parts.slice(0, end);
}
