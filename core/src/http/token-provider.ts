import type { Dispatcher } from 'undici';
import { z } from 'zod';
import { parseWith } from '../domain/parse.js';
import { raceAbort } from '../pipeline/race-abort.js';
import type { Clock } from '../ports/clock.js';
import type { Logger } from '../ports/logger.js';
import { exchange, type ExchangeResponse } from './http-exchange.js';

/** The token endpoint answered, but with no token. */
export interface TokenRefusal {
  status: number;
  /** The OAuth `error` of the body (`invalid_client`, `invalid_scope`, …), when readable. */
  remoteCode?: string;
  /** The raw `Retry-After` header, when the response carried one. */
  retryAfter?: string;
}

/**
 * The errors a {@link TokenProvider} throws, made by its caller so that each remote system
 * keeps its own error classes, codes and advice. Neither sees the client secret.
 */
export interface TokenErrorFactory {
  /** No answer from the token endpoint (refused, reset, timed out). */
  unreachable(cause: unknown): Error;
  /** An answer other than 200. */
  refused(refusal: TokenRefusal): Error;
}

/** Where and how to get OAuth 2.0 client-credentials tokens. */
export interface TokenProviderOptions {
  tokenUrl: string;
  clientId: string;
  clientSecret: string;
  /** Sent as the space-separated `scope` parameter; omitted when undefined. */
  scopes?: readonly string[];
  clock: Clock;
  /** Receives a debug line per token request (path, status, duration; never the token). */
  logger?: Logger;
  dispatcher?: Dispatcher;
  errors: TokenErrorFactory;
  /** Refresh this long before expiry (at most half the token's lifetime). Default 60 s. */
  refreshAheadMs?: number;
  /** Longest a token request may take. Default 30 s. */
  timeoutMs?: number;
}

/** Lifetime assumed when a token response has no `expires_in` (RFC 6749 only recommends it). */
const DEFAULT_LIFETIME_S = 300;

const TokenResponseSchema = z.object({
  access_token: z.string().min(1),
  token_type: z.string().regex(/^bearer$/i, 'expected "Bearer"'),
  expires_in: z.number().positive().optional(),
  scope: z.string().optional(),
});

const TokenErrorSchema = z.object({ error: z.string(), error_description: z.string().optional() });

interface CachedToken {
  value: string;
  refreshAt: number;
}

/**
 * OAuth 2.0 client credentials (RFC 6749 §4.4): caches the token, refreshes it ahead of
 * expiry, and shares one in-flight token request among every concurrent caller. That
 * request belongs to no caller, so no caller's signal bounds it (one caller aborting must
 * not fail the others): each caller stops waiting when its own signal aborts, and the
 * request itself times out after `timeoutMs`.
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

  /** Forgets `token` after the server rejected it, so the next call fetches a fresh one. */
  invalidate(token: string): void {
    if (this.#token?.value === token) this.#token = undefined;
  }

  async #fetchToken(): Promise<CachedToken> {
    const { tokenUrl, clientId, clientSecret, scopes, clock, logger, errors } = this.options;
    const started = clock.now().getTime();
    const form = new URLSearchParams({
      grant_type: 'client_credentials',
      client_id: clientId,
      client_secret: clientSecret,
    });
    if (scopes !== undefined) form.set('scope', scopes.join(' '));
    let response: ExchangeResponse;
    try {
      response = await exchange({
        url: tokenUrl,
        method: 'POST',
        headers: {
          'content-type': 'application/x-www-form-urlencoded',
          accept: 'application/json',
        },
        body: form.toString(),
        dispatcher: this.options.dispatcher,
        timeoutMs: this.options.timeoutMs ?? 30_000,
      });
    } catch (error) {
      throw errors.unreachable(error);
    }
    const { status, text } = response;
    logger?.debug('token request', {
      method: 'POST',
      path: new URL(tokenUrl).pathname,
      status,
      durationMs: clock.now().getTime() - started,
    });
    if (status !== 200) throw errors.refused(refusalOf(response));
    const parsed = parseWith(TokenResponseSchema, safeJson(text), 'token response');
    const lifetimeMs = (parsed.expires_in ?? DEFAULT_LIFETIME_S) * 1000;
    const refreshInMs = Math.max(lifetimeMs - this.#refreshAheadMs, lifetimeMs / 2);
    this.#token = { value: parsed.access_token, refreshAt: clock.now().getTime() + refreshInMs };
    return this.#token;
  }
}

function refusalOf(response: ExchangeResponse): TokenRefusal {
  const parsed = TokenErrorSchema.safeParse(safeJson(response.text));
  return {
    status: response.status,
    remoteCode: parsed.success ? parsed.data.error : undefined,
    retryAfter: response.header('retry-after'),
  };
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}
