import { describe, expect, it } from '@jest/globals';
import { compareCodePoints, prefixUpperBound } from './prefix-range.js';

describe('prefixUpperBound', () => {
  it('increments the last code point', () => {
    expect(prefixUpperBound('slot/')).toBe('slot0');
    expect(prefixUpperBound('a\u{1F600}')).toBe('a\u{1F601}');
  });

  it('skips the surrogate range', () => {
    expect(prefixUpperBound('a\uD7FF')).toBe('a\uE000');
  });

  it('carries past U+10FFFF to the code point before it', () => {
    expect(prefixUpperBound('ab\u{10FFFF}\u{10FFFF}')).toBe('ac');
  });

  it('has no bound for an empty prefix or one of only U+10FFFF', () => {
    expect(prefixUpperBound('')).toBeUndefined();
    expect(prefixUpperBound('\u{10FFFF}')).toBeUndefined();
  });
});

describe('compareCodePoints', () => {
  it('orders astral characters after the rest of the BMP, unlike UTF-16 order', () => {
    expect(['\u{1F600}', '\uFFFF', 'a'].sort(compareCodePoints)).toEqual([
      'a',
      '\uFFFF',
      '\u{1F600}',
    ]);
  });

  it('orders a prefix before its extensions', () => {
    expect(compareCodePoints('ab', 'abc')).toBeLessThan(0);
    expect(compareCodePoints('abc', 'abc')).toBe(0);
  });
});
