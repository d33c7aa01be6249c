import { z } from 'zod';

/**
 * A zod schema for an absolute `http:` or `https:` URL, for every option that names a server
 * pmsbridge talks to or publishes at (API base URLs, token endpoints, FHIR servers). Anything
 * else (`ftp://…`, `file:…`, a bare host name) is a config error naming the field, caught by
 * `pmsbridge validate` instead of at the first request.
 *
 * @example
 * const optionsSchema = z.strictObject({ baseUrl: httpUrl().default('https://api.example.com') });
 */
export function httpUrl(): z.ZodURL {
  return z.url({ protocol: /^https?$/, error: 'must be an http:// or https:// URL' });
}
