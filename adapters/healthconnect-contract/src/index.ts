/**
 * `@pmsbridge/healthconnect-contract`: the HealthConnect Provider API v2 wire format as zod
 * schemas — snake_case bodies, `PRV`/`LOC` ids, page and feed envelopes, webhook events,
 * error and token bodies. The HealthConnect adapter parses responses with them and maps them to
 * pmsbridge's domain; the sandbox serves them; the sandbox's OpenAPI document is generated from
 * them. One definition, so the client, the sandbox and the document cannot drift apart.
 */
export * from './provider.js';
export * from './schedule.js';
export * from './changes.js';
export * from './webhooks.js';
export * from './errors.js';
export * from './token.js';
