/**
 * Small, fast, seedable hashing and pseudo-random numbers. Everything the sandbox
 * generates is a pure function of (seed, what, index), so nothing needs to be stored.
 */

/** Mixes 32-bit integers into one well-distributed unsigned 32-bit hash. */
export function hash32(...parts: number[]): number {
  let h = 0x9e3779b9;
  for (const part of parts) h = mix(h, part);
  h = Math.imul(h ^ (h >>> 15), 0x2c1b3c6d);
  h ^= h >>> 12;
  return h >>> 0;
}

/** {@link hash32} of exactly five parts as a number in [0, 1), without the rest-array cost (hot path). */
export function unit5(a: number, b: number, c: number, d: number, e: number): number {
  let h = 0x9e3779b9;
  h = mix(h, a);
  h = mix(h, b);
  h = mix(h, c);
  h = mix(h, d);
  h = mix(h, e);
  h = Math.imul(h ^ (h >>> 15), 0x2c1b3c6d);
  h ^= h >>> 12;
  return (h >>> 0) / 4294967296;
}

function mix(h: number, part: number): number {
  h = Math.imul(h ^ (part | 0), 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return h ^ (h >>> 16);
}

/** A hash of `parts` as a number in [0, 1). */
export function unit(...parts: number[]): number {
  return hash32(...parts) / 4294967296;
}

/** Hashes a string to an unsigned 32-bit integer (FNV-1a). */
export function hashString(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** A seeded generator of numbers in [0, 1) (mulberry32): same seed, same sequence. */
export function createRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Picks an element of a non-empty list by a [0, 1) draw. */
export function pick<T>(list: readonly T[], draw: number): T {
  const value = list[Math.min(list.length - 1, Math.floor(draw * list.length))];
  if (value === undefined) throw new RangeError('pick() needs a non-empty list');
  return value;
}
