import { createHmac, timingSafeEqual } from 'node:crypto';
import {
  PmsbridgeError,
  ErrorCode,
  ValidationError,
  parseWith,
  systemClock,
  type Clock,
} from '@pmsbridge/core';
import { WebhookEventSchema, type WebhookEvent } from '@pmsbridge/healthconnect-contract';

/** Why a webhook delivery was rejected; stable, for branching and metrics. */
export type WebhookRejection =
  | 'missing_headers'
  | 'invalid_timestamp'
  | 'timestamp_out_of_tolerance'
  | 'invalid_secret'
  | 'no_matching_signature'
  | 'invalid_body';

/** A delivery failed verification: answer it with 400/401 and do not act on it. */
export class WebhookVerificationError extends PmsbridgeError {
  readonly reason: WebhookRejection;

  constructor(reason: WebhookRejection, message: string, cause?: unknown) {
    super(ErrorCode.HcWebhookRejected, `Webhook rejected (${reason}): ${message}`, {
      cause,
      details: { reason },
    });
    this.reason = reason;
  }
}

/** Options of {@link verifyWebhook}. */
export interface VerifyWebhookOptions {
  /** Largest allowed distance between `webhook-timestamp` and now. Default 5 minutes. */
  toleranceMs?: number;
  clock?: Clock;
}

/** Header values as node's `IncomingHttpHeaders`, a `Headers` object, or a plain record. */
export type WebhookHeaders = Headers | Record<string, string | string[] | undefined>;

/**
 * Verifies a HealthConnect webhook delivery (Standard Webhooks): the HMAC-SHA256 over
 * `{webhook-id}.{webhook-timestamp}.{raw body}` keyed with the base64 part of the
 * `whsec_` secret must match one of the space-separated `v1,<sig>` signatures (several
 * during secret rotation), compared in constant time, and the timestamp must be within
 * the tolerance. Returns the parsed event; throws a {@link WebhookVerificationError}.
 * Pass the body exactly as received (before any JSON parsing). With several secrets (e.g.
 * the subscription of the provider the delivery names, and a listener-wide one), a signature
 * by any of them is accepted.
 */
export function verifyWebhook(
  headers: WebhookHeaders,
  rawBody: string | Buffer,
  secret: string | readonly string[],
  options: VerifyWebhookOptions = {},
): WebhookEvent {
  const id = readHeader(headers, 'webhook-id');
  const timestamp = readHeader(headers, 'webhook-timestamp');
  const signatures = readHeader(headers, 'webhook-signature');
  if (id === undefined || timestamp === undefined || signatures === undefined) {
    throw new WebhookVerificationError(
      'missing_headers',
      'webhook-id, webhook-timestamp and webhook-signature are required',
    );
  }
  checkTimestamp(timestamp, options);
  const keys = (typeof secret === 'string' ? [secret] : secret).map(secretKey);
  if (keys.length === 0) {
    throw new WebhookVerificationError('invalid_secret', 'no secret to verify the delivery with');
  }
  const body = typeof rawBody === 'string' ? Buffer.from(rawBody, 'utf8') : rawBody;
  const matches = keys.map((key) =>
    hasMatchingSignature(
      signatures,
      createHmac('sha256', key).update(`${id}.${timestamp}.`).update(body).digest(),
    ),
  );
  if (!matches.includes(true)) {
    throw new WebhookVerificationError(
      'no_matching_signature',
      'no v1 signature matches the body and secret',
    );
  }
  try {
    return parseWith(
      WebhookEventSchema,
      JSON.parse(body.toString('utf8')) as unknown,
      'webhook event',
    );
  } catch (error) {
    const detail = error instanceof ValidationError ? error.message : 'the body is not JSON';
    throw new WebhookVerificationError('invalid_body', detail, error);
  }
}

function checkTimestamp(timestamp: string, options: VerifyWebhookOptions): void {
  if (!/^\d+$/.test(timestamp)) {
    throw new WebhookVerificationError(
      'invalid_timestamp',
      'webhook-timestamp must be epoch seconds',
    );
  }
  const now = (options.clock ?? systemClock).now().getTime();
  const tolerance = options.toleranceMs ?? 5 * 60_000;
  if (Math.abs(now - Number(timestamp) * 1000) > tolerance) {
    throw new WebhookVerificationError(
      'timestamp_out_of_tolerance',
      `webhook-timestamp is more than ${tolerance / 1000} s away from now`,
    );
  }
}

function secretKey(secret: string): Buffer {
  const encoded = secret.startsWith('whsec_') ? secret.slice('whsec_'.length) : secret;
  const key = Buffer.from(encoded, 'base64');
  if (key.length === 0)
    throw new WebhookVerificationError('invalid_secret', 'the secret is empty or not base64');
  return key;
}

function hasMatchingSignature(header: string, expected: Buffer): boolean {
  let isMatch = false;
  for (const entry of header.split(' ')) {
    const [version, encoded] = entry.split(',', 2);
    if (version !== 'v1' || encoded === undefined) continue;
    const candidate = Buffer.from(encoded, 'base64');
    // Check every signature (no early exit) so timing does not reveal which one matched.
    if (candidate.length === expected.length && timingSafeEqual(candidate, expected))
      isMatch = true;
  }
  return isMatch;
}

/** One header value (the first of several), `undefined` when absent or empty. @internal */
export function readHeader(headers: WebhookHeaders, name: string): string | undefined {
  if (headers instanceof Headers) return headers.get(name) ?? undefined;
  const value = headers[name] ?? headers[name.toLowerCase()];
  const first = Array.isArray(value) ? value[0] : value;
  return first === undefined || first.length === 0 ? undefined : first;
}
