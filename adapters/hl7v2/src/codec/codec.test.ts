import { describe, expect, it } from '@jest/globals';
import { isPmsbridgeError } from '@pmsbridge/core';
import { ALL_DELIMITERS } from '../fixtures.test-helper.js';
import { decodeBytes, encodeBytes } from './charset.js';
import { DEFAULT_DELIMITERS } from './delimiters.js';
import { encodeMessage, type EncodingRules } from './message-encoder.js';
import { parseMessage, repetitionCount, valueOf } from './message-parser.js';
import { repeat, segment } from './segment.js';

const utf8: EncodingRules = {
  delimiters: DEFAULT_DELIMITERS,
  charset: 'UNICODE UTF-8',
  unrepresentable: 'refuse',
};
const header = segment('MSH', { 3: 'APP', 9: ['ADT', 'A08'], 12: '2.5.1', 18: 'UNICODE UTF-8' });

describe('encodeMessage and parseMessage', () => {
  it('writes MSH-1 and MSH-2 unescaped and terminates every segment with a carriage return', () => {
    const text = encodeMessage([header, segment('NTE', { 3: 'x' })], utf8);
    expect(text).toBe('MSH|^~\\&|APP||||||ADT^A08|||2.5.1||||||UNICODE UTF-8\rNTE|||x\r');
  });

  it('round-trips every delimiter at field, component, subcomponent and repetition level', () => {
    const tricky = `a${ALL_DELIMITERS}z`;
    const text = encodeMessage(
      [
        header,
        segment('ZZZ', {
          1: tricky,
          2: [tricky, 'plain', [tricky, 'sub']],
          3: repeat([tricky], 'second', [['x', tricky]]),
        }),
      ],
      utf8,
    );
    const zzz = parseMessage(text).segment('ZZZ');
    if (zzz === undefined) throw new Error('ZZZ missing');
    expect(valueOf(zzz, 1)).toBe(tricky);
    expect(valueOf(zzz, 2, { component: 1 })).toBe(tricky);
    expect(valueOf(zzz, 2, { component: 2 })).toBe('plain');
    expect(valueOf(zzz, 2, { component: 3, subcomponent: 1 })).toBe(tricky);
    expect(valueOf(zzz, 2, { component: 3, subcomponent: 2 })).toBe('sub');
    expect(repetitionCount(zzz, 3)).toBe(3);
    expect(valueOf(zzz, 3, { repetition: 1 })).toBe(tricky);
    expect(valueOf(zzz, 3, { repetition: 2 })).toBe('second');
    expect(valueOf(zzz, 3, { repetition: 3, component: 1, subcomponent: 2 })).toBe(tricky);
  });

  it('leaves out trailing empty fields, components and subcomponents but keeps inner ones', () => {
    const text = encodeMessage([header, segment('ZZZ', { 2: ['', 'b', '', ''], 4: '' })], utf8);
    expect(text.split('\r')[1]).toBe('ZZZ||^b');
  });

  it('reads messages whose segments end with line feeds', () => {
    const parsed = parseMessage('MSH|^~\\&|APP\nMSA|AA|X1\n');
    expect(parsed.segments.map((s) => s.name)).toEqual(['MSH', 'MSA']);
    expect(parsed.value('MSH', 1)).toBe('|');
    expect(parsed.value('MSH', 2)).toBe('^~\\&');
    expect(parsed.value('MSH', 3)).toBe('APP');
  });

  it('reads the delimiters a peer declares in MSH-1 and MSH-2', () => {
    const parsed = parseMessage('MSH#*@!$#APP#X*Y$Z\rMSA#AA#1!F!2');
    expect(parsed.value('MSH', 4, { component: 2, subcomponent: 2 })).toBe('Z');
    expect(parsed.value('MSA', 2)).toBe('1#2');
  });

  it('refuses text that does not start with MSH', () => {
    expect(() => parseMessage('PID|1')).toThrow(/must start with an MSH segment/);
  });
});

describe('charsets', () => {
  const ascii: EncodingRules = { ...utf8, charset: 'ASCII' };

  it('carries any character in UTF-8, as UTF-8 bytes', () => {
    const text = encodeMessage([header, segment('ZZZ', { 1: 'Núñez 東京' })], utf8);
    expect(parseMessage(text).value('ZZZ', 1)).toBe('Núñez 東京');
    const bytes = encodeBytes(text, 'UNICODE UTF-8');
    expect(bytes.includes(Buffer.from('東京', 'utf8'))).toBe(true);
    expect(decodeBytes(bytes, 'UNICODE UTF-8')).toBe(text);
  });

  it('refuses a character ASCII cannot carry, naming the field and the code point', () => {
    let thrown: unknown;
    try {
      encodeMessage([header, segment('STF', { 3: ['Núñez', 'Ana'] })], ascii);
    } catch (error) {
      thrown = error;
    }
    expect(isPmsbridgeError(thrown)).toBe(true);
    expect(thrown).toMatchObject({ code: 'PMS_RECORD_UNMAPPABLE' });
    expect(String(thrown)).toMatch(/STF-3\.1 holds U\+00FA, which the charset ASCII cannot carry/);
  });

  it('folds diacritics when asked, and still refuses what has none to drop', () => {
    const fold: EncodingRules = { ...ascii, unrepresentable: 'fold' };
    const text = encodeMessage([header, segment('STF', { 3: ['Núñez', 'José'] })], fold);
    expect(text).toContain('STF|||Nunez^Jose');
    expect(() => encodeMessage([header, segment('STF', { 3: '東京' })], fold)).toThrow(
      /STF-3 holds U\+6771/,
    );
  });

  it('carries Latin-1 in 8859/1 as one byte per character and refuses beyond it', () => {
    const latin1: EncodingRules = { ...utf8, charset: '8859/1' };
    const text = encodeMessage([header, segment('ZZZ', { 1: 'Núñez' })], latin1);
    const bytes = encodeBytes(text, '8859/1');
    expect(bytes.includes(Buffer.from([0x4e, 0xfa, 0xf1, 0x65, 0x7a]))).toBe(true);
    expect(decodeBytes(bytes, '8859/1')).toBe(text);
    expect(() => encodeMessage([header, segment('ZZZ', { 1: 'Łukasz' })], latin1)).toThrow(
      /U\+0141/,
    );
  });
});
