import { createHash } from 'node:crypto';

/** MSH-10 is an ST of at most 20 characters in 2.3.1 and 2.5.1. */
export const CONTROL_ID_LENGTH = 20;

/**
 * The message control id (MSH-10) of a message: 20 hex digits (80 bits) of a SHA-256 over the
 * record key, the revision and the encoded message with MSH-7 and MSH-10 left empty. A message
 * rebuilt for a resend after a crash therefore carries the same id, and the receiver can tell
 * it is the same message; any change of content gives another id.
 *
 * `revision` tells apart two sends of identical content (a slot opened, blocked, then opened
 * again): pass what changes at the source each time, e.g. the provider's `updatedAt`.
 */
export function messageControlId(key: string, revision: string, draft: string): string {
  return createHash('sha256')
    .update(key)
    .update('\u0000')
    .update(revision)
    .update('\u0000')
    .update(draft)
    .digest('hex')
    .slice(0, CONTROL_ID_LENGTH)
    .toUpperCase();
}

/** A short deterministic id (20 hex digits) for a set of parts, e.g. a block of slots. */
export function contentId(parts: readonly string[]): string {
  return createHash('sha256')
    .update(parts.join('\u0000'))
    .digest('hex')
    .slice(0, CONTROL_ID_LENGTH)
    .toUpperCase();
}
