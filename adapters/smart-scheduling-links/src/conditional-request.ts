import type { IncomingHttpHeaders } from 'node:http';

/** What identifies the version of a representation, for conditional GET. */
export interface Validators {
  /** A strong entity tag, quoted: `"abc"`. */
  etag: string;
  /** When the representation last changed (HTTP dates have whole seconds). */
  lastModified: Date;
}

/** `W/"x"` → `"x"`: `If-None-Match` uses the weak comparison (RFC 9110 §13.1.2). */
function opaqueTag(tag: string): string {
  const trimmed = tag.trim();
  return trimmed.startsWith('W/') ? trimmed.slice(2) : trimmed;
}

function matchesNoneOf(header: string, etag: string): boolean {
  const ours = opaqueTag(etag);
  return !header.split(',').some((tag) => tag.trim() === '*' || opaqueTag(tag) === ours);
}

/**
 * Whether a GET or HEAD can be answered `304 Not Modified` (RFC 9110 §13.2.2): by
 * `If-None-Match` when the request has it (then `If-Modified-Since` is ignored), else by
 * `If-Modified-Since` when it is a valid HTTP date not earlier than the last change (to
 * the second). An invalid date is ignored, as the RFC requires.
 */
export function isNotModified(headers: IncomingHttpHeaders, validators: Validators): boolean {
  const noneMatch = headers['if-none-match'];
  if (noneMatch !== undefined) return !matchesNoneOf(noneMatch, validators.etag);
  const modifiedSince = headers['if-modified-since'];
  if (modifiedSince === undefined) return false;
  const since = Date.parse(modifiedSince);
  if (Number.isNaN(since)) return false;
  return Math.floor(validators.lastModified.getTime() / 1000) <= Math.floor(since / 1000);
}
