const MAX_CODE_POINT = 0x10ffff;
const SURROGATE_FIRST = 0xd800;
const SURROGATE_LAST = 0xdfff;

/**
 * The smallest string greater than every string that starts with `prefix`, in code point
 * order — the order of the `COLLATE "C"` key column over UTF-8. `key >= prefix AND key <
 * bound` then selects exactly the keys under `prefix` through the primary-key index, with no
 * LIKE pattern to escape. `undefined` (an empty prefix, or one of U+10FFFF only) means no
 * upper limit.
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
