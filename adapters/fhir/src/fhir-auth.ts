import { ErrorCode, RemoteError, type Clock, type Logger } from '@pmsbridge/core';
import {
  TokenProvider,
  bearerAuth,
  type RequestAuth,
  type TokenErrorFactory,
} from '@pmsbridge/core/http';

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

/** A shared token request belongs to no caller, so no caller's signal bounds it; this does. */
const TOKEN_TIMEOUT_MS = 30_000;

/**
 * Produces the `Authorization` header for FHIR requests. OAuth 2.0 client-credentials
 * tokens come from core's `TokenProvider`: cached until shortly before expiry, one token
 * request shared by concurrent callers and bound to none of their signals (one caller
 * aborting must not fail the others); the request itself times out after `tokenTimeoutMs`
 * (default 30 s).
 */
export class AuthHeaderProvider implements RequestAuth {
  readonly #oauth: RequestAuth | undefined;

  constructor(
    private readonly auth: FhirAuth,
    clock: Clock,
    tokenTimeoutMs = TOKEN_TIMEOUT_MS,
    logger?: Logger,
  ) {
    this.#oauth =
      auth.type === 'client-credentials'
        ? bearerAuth(
            new TokenProvider({
              tokenUrl: auth.tokenUrl,
              clientId: auth.clientId,
              clientSecret: auth.clientSecret,
              scopes: auth.scope === undefined ? undefined : [auth.scope],
              clock,
              logger,
              errors: fhirTokenErrors,
              timeoutMs: tokenTimeoutMs,
            }),
          )
        : undefined;
  }

  /** The header value, or undefined for `none`. */
  async header(signal?: AbortSignal): Promise<string | undefined> {
    switch (this.auth.type) {
      case 'none':
        return undefined;
      case 'bearer':
        return `Bearer ${this.auth.token}`;
      case 'basic':
        return `Basic ${Buffer.from(`${this.auth.username}:${this.auth.password}`).toString('base64')}`;
      case 'client-credentials':
        return this.#oauth?.header(signal);
    }
  }

  /** Forgets a token the server rejected (after a 401); fixed credentials have nothing to forget. */
  invalidate(header: string): void {
    this.#oauth?.invalidate(header);
  }
}

/**
 * The token endpoint's failures, with what to check; never the client secret. No answer is
 * `PMS_NET_UNREACHABLE` (category `PMS_REMOTE`); any answer but a token is
 * `PMS_FHIR_AUTH_REFUSED` (category `PMS_AUTH`).
 */
const fhirTokenErrors: TokenErrorFactory = {
  unreachable: (cause) =>
    new RemoteError(
      `Could not reach the token endpoint of the FHIR server's auth: ${(cause as Error).message}`,
      { system: 'fhir-auth', method: 'POST' },
      { cause, code: ErrorCode.NetUnreachable },
    ),
  refused: ({ status, remoteCode }) =>
    new RemoteError(
      `The token endpoint refused the client credentials (HTTP ${status}${remoteCode === undefined ? '' : `, ${remoteCode}`}); check clientId, clientSecret and scope`,
      { system: 'fhir-auth', status, method: 'POST' },
      { code: ErrorCode.FhirAuthRefused },
    ),
};
