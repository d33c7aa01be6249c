import { StateError } from '@pmsbridge/core';

/**
 * Rejects a time to live that is not a positive, finite number of milliseconds, with the
 * message the built-in stores give.
 */
export function checkTtl(ttlMs: number, operation: string): void {
  if (!Number.isFinite(ttlMs) || ttlMs <= 0) {
    throw new StateError(
      `${operation} needs a positive time to live in milliseconds, got ${ttlMs}`,
    );
  }
}

/**
 * When something taken at `now` for `ttlMs` (rounded up to whole milliseconds) lapses, in
 * milliseconds and ISO 8601 — computed as the built-in stores do.
 * @throws StateError when `ttlMs` is not positive and finite, or reaches past the dates
 *   JavaScript can represent.
 */
export function expiryOf(
  now: Date,
  ttlMs: number,
  operation: string,
): { expiresAtMs: number; expiresAt: string } {
  checkTtl(ttlMs, operation);
  const expiresAtMs = now.getTime() + Math.ceil(ttlMs);
  const expires = new Date(expiresAtMs);
  if (Number.isNaN(expires.getTime())) {
    throw new StateError(`${operation} got a time to live too long to represent: ${ttlMs} ms`);
  }
  return { expiresAtMs, expiresAt: expires.toISOString() };
}
