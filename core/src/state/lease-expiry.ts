import { StateError } from '../errors/errors.js';
import { checkTtl } from './seen-expiry.js';

/** When a lease taken or renewed at `now` for `ttlMs` lapses, in milliseconds and ISO 8601. */
export interface LeaseExpiry {
  expiresAtMs: number;
  expiresAt: string;
}

/**
 * The expiry of a lease taken or renewed at `now` for `ttlMs` (rounded up to whole
 * milliseconds), the same in both stores.
 * @throws StateError when `ttlMs` is not positive and finite, or reaches past the dates
 *   JavaScript can represent.
 */
export function leaseExpiry(now: Date, ttlMs: number, operation: string): LeaseExpiry {
  checkTtl(ttlMs, operation);
  const expiresAtMs = now.getTime() + Math.ceil(ttlMs);
  const expires = new Date(expiresAtMs);
  if (Number.isNaN(expires.getTime())) {
    throw new StateError(`${operation} got a time to live too long to represent: ${ttlMs} ms`);
  }
  return { expiresAtMs, expiresAt: expires.toISOString() };
}
