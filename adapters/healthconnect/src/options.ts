import { httpUrl } from '@pmsbridge/core';
import { z } from 'zod';
import { ProviderFieldOptionSchema } from './to-domain.js';

const positiveInt = z.number().int().positive();

/**
 * Options of the HealthConnect source, as a config entry gives them. Every field has a
 * default except the credentials; file paths are resolved against the config's directory.
 */
export const HealthConnectOptionsSchema = z.object({
  /** API base URL, up to and including `/provider/v2`. */
  baseUrl: httpUrl().default('https://api.healthconnect.io/provider/v2'),
  /** OAuth 2.0 token endpoint. */
  tokenUrl: httpUrl().default('https://auth.healthconnect.io/token'),
  /** OAuth client id; leave out with mutual TLS. */
  clientId: z.string().min(1).optional(),
  /** OAuth client secret; leave out with mutual TLS. */
  clientSecret: z.string().min(1).optional(),
  /** Scopes requested with the token. */
  scopes: z.array(z.string().min(1)).default(['provider:read', 'schedule:read']),
  /** Mutual TLS: PEM file paths. When set, no Authorization header is sent. */
  mtls: z
    .object({
      cert: z.string().min(1),
      key: z.string().min(1),
      ca: z.string().min(1).optional(),
      passphrase: z.string().optional(),
    })
    .optional(),
  /** Page size of provider listings (1–100). */
  perPage: z.number().int().min(1).max(100).default(100),
  /**
   * Top-level provider fields to request (`id` always comes back); all when absent. Either
   * pmsbridge's names (`acceptingNewPatients`) or HealthConnect's (`accepting_new_patients`).
   * Providers are validated for these fields only, and a pipeline whose stages or sinks
   * read a field left out here fails config validation.
   */
  fields: z.array(ProviderFieldOptionSchema).min(1).optional(),
  /**
   * Subscribe each provider booked through `pmsbridge serve` to `schedule.updated` webhooks
   * delivered to `url` (the public address of `pmsbridge webhooks`, which verifies them with
   * the secrets kept in the state store). Adds `webhooks:manage` to the scopes requested.
   */
  scheduleWebhooks: z.object({ url: httpUrl() }).strict().optional(),
  /** Requests in flight at once, across every caller of the client. */
  concurrency: positiveInt.default(16),
  /** Timeouts in milliseconds. */
  timeouts: z
    .object({
      connectMs: positiveInt.default(10_000),
      headersMs: positiveInt.default(30_000),
      bodyMs: positiveInt.default(30_000),
      /** Whole attempt, from sending to the last body byte. */
      requestMs: positiveInt.default(60_000),
    })
    .prefault({}),
  /** Retries of 429, 500, 502, 503, 504 and network errors on idempotent requests. */
  retry: z
    .object({
      maxAttempts: positiveInt.default(5),
      baseDelayMs: positiveInt.default(500),
      maxDelayMs: positiveInt.default(30_000),
      /** Longest `Retry-After` honoured, and longest pause until an `X-RateLimit-Reset`; longer waits are cut to this. */
      maxRetryAfterMs: positiveInt.default(120_000),
    })
    .prefault({}),
  /** Client-side limit on requests per second (none when absent). */
  requestsPerSecond: z.number().positive().optional(),
  /** Opens after `failureThreshold` consecutive failed attempts; probes after `resetMs`. */
  circuitBreaker: z
    .object({
      enabled: z.boolean().default(true),
      failureThreshold: positiveInt.default(10),
      resetMs: positiveInt.default(30_000),
    })
    .prefault({}),
});

/** Options as written in config (defaults not yet applied). */
export type HealthConnectOptionsInput = z.input<typeof HealthConnectOptionsSchema>;
/** Options with defaults applied. */
export type HealthConnectOptions = z.output<typeof HealthConnectOptionsSchema>;
