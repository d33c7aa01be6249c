import { ValidationError } from '@pmsbridge/core';
import type { Hl7Delimiters } from './delimiters.js';
import { unescapeText } from './escape.js';

/**
 * A parsed segment. `fields[n]` is field n (`fields[0]` the name); each field is its
 * repetitions, each repetition its components, each component its subcomponents, all unescaped.
 */
export interface ParsedSegment {
  readonly name: string;
  readonly fields: readonly (readonly (readonly (readonly string[])[])[])[];
}

/** Where a value sits inside a field; every index counts from 1, as HL7 numbers them. */
export interface ValuePosition {
  readonly component?: number;
  readonly subcomponent?: number;
  readonly repetition?: number;
}

/** A parsed message: its delimiters and segments, with readers by segment name. */
export class ParsedMessage {
  constructor(
    readonly delimiters: Hl7Delimiters,
    readonly segments: readonly ParsedSegment[],
  ) {}

  /** The first segment named `name`, if any. */
  segment(name: string): ParsedSegment | undefined {
    return this.segments.find((s) => s.name === name);
  }

  /** Every segment named `name`, in order. */
  segmentsNamed(name: string): ParsedSegment[] {
    return this.segments.filter((s) => s.name === name);
  }

  /** One value of the first segment named `name` (`''` when absent), e.g. `value('MSH', 9, { component: 2 })`. */
  value(name: string, field: number, position: ValuePosition = {}): string {
    const found = this.segment(name);
    return found === undefined ? '' : valueOf(found, field, position);
  }
}

/** One value of a parsed segment; `''` when the field, repetition or component is absent. */
export function valueOf(seg: ParsedSegment, field: number, position: ValuePosition = {}): string {
  const { component = 1, subcomponent = 1, repetition = 1 } = position;
  return seg.fields[field]?.[repetition - 1]?.[component - 1]?.[subcomponent - 1] ?? '';
}

/** How many repetitions a field holds (0 when empty). */
export function repetitionCount(seg: ParsedSegment, field: number): number {
  const repetitions = seg.fields[field] ?? [];
  const isEmpty = repetitions.length === 1 && repetitions[0]?.every((c) => c.every((s) => !s));
  return isEmpty ? 0 : repetitions.length;
}

/**
 * Parses a message: the delimiters come from its MSH segment; segments may end with `\r`,
 * `\n` or `\r\n`; text is unescaped, hex data read in the charset MSH-18 names.
 */
export function parseMessage(text: string): ParsedMessage {
  if (!text.startsWith('MSH') || text.length < 8) {
    throw new ValidationError('An HL7 v2 message must start with an MSH segment', {
      start: text.slice(0, 8),
    });
  }
  const delimiters: Hl7Delimiters = {
    field: text.charAt(3),
    component: text.charAt(4),
    repetition: text.charAt(5),
    escape: text.charAt(6),
    subcomponent: text.charAt(7),
  };
  const lines = text.split(/\r\n|\r|\n/).filter((line) => line.length > 0);
  const header = parseSegment(lines[0] ?? '', delimiters, 'utf8');
  const encoding = header.fields[18]?.[0]?.[0]?.[0] === 'UNICODE UTF-8' ? 'utf8' : 'latin1';
  const segments = [header, ...lines.slice(1).map((l) => parseSegment(l, delimiters, encoding))];
  return new ParsedMessage(delimiters, segments);
}

function parseSegment(line: string, d: Hl7Delimiters, encoding: BufferEncoding): ParsedSegment {
  const raw = line.split(d.field);
  const name = raw[0] ?? '';
  const split = (field: string): string[][][] =>
    field
      .split(d.repetition)
      .map((rep) =>
        rep
          .split(d.component)
          .map((c) => c.split(d.subcomponent).map((s) => unescapeText(s, d, encoding))),
      );
  if (name === 'MSH') {
    // MSH-1 is the field separator and MSH-2 the encoding characters: neither is split.
    const [, encodingChars = '', ...rest] = raw;
    return { name, fields: [[[[name]]], [[[d.field]]], [[[encodingChars]]], ...rest.map(split)] };
  }
  return { name, fields: raw.map(split) };
}
