import { request, type Dispatcher } from 'undici';
import { z } from 'zod';
import { ConfigError, ErrorCode, parseWith, type Clock, type Logger } from '@pmsbridge/core';
import { HealthConnectError } from './remote-errors.js';
import { raceAbort } from './sleep.js';

/** Where and how to get OAuth 2.0 client-credentials tokens. */
export interface TokenProviderOptions {
  tokenUrl: string;
  clientId: string;
  clientSecret: string;
  scopes: readonly string[];
  clock: Clock;
  logger: Logger;
  dispatcher?: Dispatcher;
  /** Refresh this long before expiry (at most half the token's lifetime). Default 60 s. */
  refreshAheadMs?: number;
  /** Longest a token request may take. Default 30 s. */
  timeoutMs?: number;
}

const TokenResponseSchema = z.object({
  access_token: z.string().min(1),
  token_type: z.string().regex(/^bearer$/i, 'expected "Bearer"'),
  expires_in: z.number().positive(),
  scope: z.string().optional(),
});

const TokenErrorSchema = z.object({ error: z.string(), error_description: z.string().optional() });

interface CachedToken {
  value: string;
  refreshAt: number;
}

/**
 * OAuth 2.0 client credentials (RFC 6749 §4.4): caches the token, refreshes it ahead of
 * expiry, and shares one in-flight token request among every concurrent caller.
 */
export class TokenProvider {
  #token: CachedToken | undefined;
  #inFlight: Promise<CachedToken> | undefined;
  readonly #refreshAheadMs: number;

  constructor(private readonly options: TokenProviderOptions) {
    this.#refreshAheadMs = options.refreshAheadMs ?? 60_000;
  }

  /** A valid access token: the cached one, or a fresh one shared with concurrent callers. */
  async getToken(signal?: AbortSignal): Promise<string> {
    const now = this.options.clock.now().getTime();
    if (this.#token !== undefined && now < this.#token.refreshAt) return this.#token.value;
    this.#inFlight ??= this.#fetchToken().finally(() => {
      this.#inFlight = undefined;
    });
    // The shared request is not tied to one caller's signal; each caller stops waiting on its own.
    const token = await raceAbort(this.#inFlight, signal);
    return token.value;
  }

  /** Forgets `token` after the API rejected it, so the next call fetches a fresh one. */
  invalidate(token: string): void {
    if (this.#token?.value === token) this.#token = undefined;
  }

  async #fetchToken(): Promise<CachedToken> {
    const { tokenUrl, clientId, clientSecret, scopes, clock, logger } = this.options;
    const started = clock.now().getTime();
    const body = new URLSearchParams({
      grant_type: 'client_credentials',
      client_id: clientId,
      client_secret: clientSecret,
      scope: scopes.join(' '),
    }).toString();
    let response: Dispatcher.ResponseData;
    let text: string;
    try {
      response = await request(tokenUrl, {
        method: 'POST',
        headers: {
          'content-type': 'application/x-www-form-urlencoded',
          accept: 'application/json',
        },
        body,
        dispatcher: this.options.dispatcher,
        signal: AbortSignal.timeout(this.options.timeoutMs ?? 30_000),
      });
      text = await response.body.text();
    } catch (error) {
      throw new HealthConnectError(
        `Cannot reach the HealthConnect token endpoint: ${(error as Error).message}`,
        { method: 'POST', path: new URL(tokenUrl).pathname, isNetworkError: true },
        { cause: error, code: ErrorCode.Auth },
      );
    }
    const status = response.statusCode;
    logger.debug('token request', {
      method: 'POST',
      path: new URL(tokenUrl).pathname,
      status,
      durationMs: clock.now().getTime() - started,
    });
    if (status !== 200) throw this.#tokenError(status, text, response.headers);
    const parsed = parseWith(TokenResponseSchema, safeJson(text), 'token response');
    const lifetimeMs = parsed.expires_in * 1000;
    const refreshInMs = Math.max(lifetimeMs - this.#refreshAheadMs, lifetimeMs / 2);
    this.#token = { value: parsed.access_token, refreshAt: clock.now().getTime() + refreshInMs };
    return this.#token;
  }

  #tokenError(status: number, text: string, headers: Dispatcher.ResponseData['headers']): Error {
    const parsed = TokenErrorSchema.safeParse(safeJson(text));
    const remoteCode = parsed.success ? parsed.data.error : undefined;
    if (remoteCode === 'invalid_client') {
      return new ConfigError(
        'HealthConnect rejected the client credentials (invalid_client); check clientId and clientSecret',
        { details: { status, remoteCode } },
      );
    }
    if (remoteCode === 'invalid_scope' || remoteCode === 'unsupported_grant_type') {
      return new ConfigError(
        `HealthConnect refused the token request (${remoteCode}); check the "scopes" option against the client's grant`,
        { details: { status, remoteCode } },
      );
    }
    const retryAfter = headers['retry-after'];
    return new HealthConnectError(
      `The HealthConnect token endpoint answered ${status}`,
      {
        method: 'POST',
        path: new URL(this.options.tokenUrl).pathname,
        status,
        remoteCode,
        retryAfter: typeof retryAfter === 'string' ? retryAfter : undefined,
      },
      { code: ErrorCode.Auth },
    );
  }
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}
