const MAX_CODE_POINT = 0x10ffff;
const SURROGATE_FIRST = 0xd800;
const SURROGATE_LAST = 0xdfff;

/**
 * The smallest string greater than every string that starts with `prefix`, in code point
 * order (which is SQLite's BINARY collation over UTF-8). `key >= prefix AND key < bound`
 * then selects exactly the keys under `prefix` through the primary-key index, with no LIKE
 * pattern to escape. Returns `undefined` when there is no such bound (an empty prefix, or
 * one made only of U+10FFFF), meaning "no upper limit".
 */
export function prefixUpperBound(prefix: string): string | undefined {
  const chars = Array.from(prefix);
  while (chars.length > 0) {
    const last = chars.pop()?.codePointAt(0) ?? MAX_CODE_POINT;
    if (last < MAX_CODE_POINT) {
      const next = last + 1 === SURROGATE_FIRST ? SURROGATE_LAST + 1 : last + 1;
      return chars.join('') + String.fromCodePoint(next);
    }
  }
  return undefined;
}

/** Orders strings by code point, as SQLite's BINARY collation does (UTF-16 order differs). */
export function compareCodePoints(a: string, b: string): number {
  const left = Array.from(a);
  const right = Array.from(b);
  const length = Math.min(left.length, right.length);
  for (let i = 0; i < length; i += 1) {
    const difference = (left[i]?.codePointAt(0) ?? 0) - (right[i]?.codePointAt(0) ?? 0);
    if (difference !== 0) return difference;
  }
  return left.length - right.length;
}
