import { describe, expect, it } from '@jest/globals';
import { ALL_DELIMITERS } from '../fixtures.test-helper.js';
import { DEFAULT_DELIMITERS } from './delimiters.js';
import { escapeText, unescapeText } from './escape.js';

const d = DEFAULT_DELIMITERS;

describe('escapeText', () => {
  it.each([
    ['|', '\\F\\'],
    ['^', '\\S\\'],
    ['&', '\\T\\'],
    ['~', '\\R\\'],
    ['\\', '\\E\\'],
    ['\r', '\\X0D\\'],
    ['\n', '\\X0A\\'],
  ])('writes %j as %s', (char, sequence) => {
    expect(escapeText(`a${char}b`, d)).toBe(`a${sequence}b`);
  });

  it('escapes in one pass, so an escape character is never escaped twice', () => {
    expect(escapeText('\\F\\', d)).toBe('\\E\\F\\E\\');
    expect(escapeText(ALL_DELIMITERS, d)).toBe('\\F\\\\S\\\\R\\\\E\\\\T\\');
  });

  it('leaves other text, non-ASCII included, as it is', () => {
    expect(escapeText('José Núñez-Łukasz 東京', d)).toBe('José Núñez-Łukasz 東京');
  });
});

describe('unescapeText', () => {
  it.each([
    ALL_DELIMITERS,
    "O'Brien|Smith^Jr~&\\Esq",
    '\\F\\ typed literally',
    'line one\r\nline two',
    'trailing backslash \\',
    '',
  ])('round-trips %j', (text) => {
    expect(unescapeText(escapeText(text, d), d)).toBe(text);
  });

  it('reads hex data as bytes of the charset', () => {
    expect(unescapeText('caf\\XC3A9\\', d, 'utf8')).toBe('café');
    expect(unescapeText('caf\\XE9\\', d, 'latin1')).toBe('café');
  });

  it('keeps formatting and charset sequences it does not resolve', () => {
    expect(unescapeText('a\\.br\\b \\H\\bold\\N\\ \\C2842\\', d)).toBe(
      'a\\.br\\b \\H\\bold\\N\\ \\C2842\\',
    );
  });

  it('keeps an escape character with no closing one as text', () => {
    expect(unescapeText('C:\\path', d)).toBe('C:\\path');
  });
});
