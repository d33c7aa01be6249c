import { ErrorCode, RemoteError, raceAbort, type Clock } from '@pmsbridge/core';

/** How the FHIR server sink authenticates. */
export type FhirAuth =
  | { type: 'none' }
  | { type: 'bearer'; token: string }
  | { type: 'basic'; username: string; password: string }
  | {
      type: 'client-credentials';
      tokenUrl: string;
      clientId: string;
      clientSecret: string;
      scope?: string;
    };

/** Tokens are refreshed this long before they expire. */
const REFRESH_MARGIN_MS = 60_000;
/**
 * A shared token request belongs to no caller, so no caller's signal bounds it; this does
 * (overridable through the constructor's `tokenTimeoutMs`).
 */
const TOKEN_TIMEOUT_MS = 30_000;

/**
 * Produces the `Authorization` header for FHIR requests. OAuth 2.0 client-credentials
 * tokens are cached until shortly before expiry, and concurrent callers share one token
 * request. That request is not bound to any caller's signal (one caller aborting must not
 * fail the others): each caller stops waiting when its own signal aborts, and the request
 * itself times out after `tokenTimeoutMs` (default 30 s).
 */
export class AuthHeaderProvider {
  private cached: { value: string; expiresAt: number } | undefined;
  private inflight: Promise<string> | undefined;

  constructor(
    private readonly auth: FhirAuth,
    private readonly clock: Clock,
    private readonly tokenTimeoutMs = TOKEN_TIMEOUT_MS,
  ) {}

  /** The header value, or undefined for `none`. */
  async header(signal: AbortSignal): Promise<string | undefined> {
    switch (this.auth.type) {
      case 'none':
        return undefined;
      case 'bearer':
        return `Bearer ${this.auth.token}`;
      case 'basic':
        return `Basic ${Buffer.from(`${this.auth.username}:${this.auth.password}`).toString('base64')}`;
      case 'client-credentials': {
        if (
          this.cached !== undefined &&
          this.cached.expiresAt - REFRESH_MARGIN_MS > this.clock.now().getTime()
        ) {
          return this.cached.value;
        }
        this.inflight ??= this.requestToken(
          this.auth,
          AbortSignal.timeout(this.tokenTimeoutMs),
        ).finally(() => {
          this.inflight = undefined;
        });
        return raceAbort(this.inflight, signal);
      }
    }
  }

  /** Forgets a cached token (after a 401). */
  invalidate(): void {
    this.cached = undefined;
  }

  private async requestToken(
    auth: Extract<FhirAuth, { type: 'client-credentials' }>,
    signal: AbortSignal,
  ): Promise<string> {
    const body = new URLSearchParams({
      grant_type: 'client_credentials',
      client_id: auth.clientId,
      client_secret: auth.clientSecret,
    });
    if (auth.scope !== undefined) body.set('scope', auth.scope);
    const response = await fetch(auth.tokenUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
      body: body.toString(),
      signal,
    });
    const json = (await response.json().catch(() => ({}))) as {
      access_token?: unknown;
      expires_in?: unknown;
      error?: unknown;
    };
    if (!response.ok || typeof json.access_token !== 'string') {
      throw new RemoteError(
        `The token endpoint refused the client credentials (HTTP ${response.status}${typeof json.error === 'string' ? `, ${json.error}` : ''}); check clientId, clientSecret and scope`,
        { system: 'fhir-auth', status: response.status, method: 'POST' },
        { code: ErrorCode.Auth },
      );
    }
    const expiresIn = typeof json.expires_in === 'number' ? json.expires_in : 300;
    const value = `Bearer ${json.access_token}`;
    this.cached = { value, expiresAt: this.clock.now().getTime() + expiresIn * 1000 };
    return value;
  }
}
