import { randomBytes, timingSafeEqual } from 'node:crypto';

/** The scopes the API knows. */
export const ALL_SCOPES = [
  'provider:read',
  'schedule:read',
  'schedule:write',
  'webhooks:manage',
] as const;

/** A client registered with the sandbox. */
export interface SandboxClient {
  clientId: string;
  clientSecret: string;
  scopes: string[];
}

/** Who a request acts as. */
export interface Principal {
  clientId: string;
  scopes: readonly string[];
}

/** An RFC 6749 §5.2 error from the token endpoint. */
export interface TokenError {
  status: 400 | 401;
  error: 'invalid_request' | 'invalid_client' | 'unsupported_grant_type' | 'invalid_scope';
  description: string;
  /** Set when the client authenticated with HTTP Basic: answer `WWW-Authenticate: Basic`. */
  usedBasic: boolean;
}

/** A successful token response body. */
export interface TokenGrant {
  access_token: string;
  token_type: 'Bearer';
  expires_in: number;
  scope: string;
}

interface IssuedToken extends Principal {
  expiresAtMs: number;
}

/** The sandbox's authorization server: client credentials grant and bearer token checks. */
export class TokenIssuer {
  private readonly clients = new Map<string, SandboxClient>();
  private readonly tokens = new Map<string, IssuedToken>();

  constructor(
    clients: readonly SandboxClient[],
    private readonly ttlSeconds: number,
    private readonly now: () => Date,
  ) {
    for (const client of clients) this.clients.set(client.clientId, client);
  }

  /** Handles a `POST /token` given its form fields and `Authorization` header. */
  grant(form: URLSearchParams, authorization: string | undefined): TokenGrant | TokenError {
    const basic = parseBasic(authorization);
    const usedBasic = basic !== undefined;
    const fail = (
      status: 400 | 401,
      error: TokenError['error'],
      description: string,
    ): TokenError => ({
      status,
      error,
      description,
      usedBasic,
    });
    if (authorization !== undefined && !usedBasic)
      return fail(
        401,
        'invalid_client',
        'Unsupported client authentication scheme; use HTTP Basic or form fields',
      );
    if (basic === null) return fail(401, 'invalid_client', 'Malformed HTTP Basic credentials');
    const grantType = form.get('grant_type');
    if (!grantType) return fail(400, 'invalid_request', 'Missing grant_type');
    if (
      usedBasic &&
      (form.has('client_secret') || (form.has('client_id') && form.get('client_id') !== basic.id))
    )
      return fail(400, 'invalid_request', 'Use one client authentication method, not both');
    const clientId = basic?.id ?? form.get('client_id');
    const secret = basic?.secret ?? form.get('client_secret');
    if (!clientId || secret === null)
      return fail(401, 'invalid_client', 'Missing client credentials');
    const client = this.clients.get(clientId);
    if (!client || !sameText(client.clientSecret, secret))
      return fail(401, 'invalid_client', 'Unknown client or wrong secret');
    if (grantType !== 'client_credentials')
      return fail(400, 'unsupported_grant_type', 'Only client_credentials is supported');
    const requested = (form.get('scope') ?? '').split(' ').filter((s) => s.length > 0);
    const scopes = requested.length === 0 ? client.scopes : requested;
    const refused = scopes.filter((s) => !client.scopes.includes(s));
    if (refused.length > 0)
      return fail(400, 'invalid_scope', `Scope not allowed for this client: ${refused.join(' ')}`);
    const accessToken = randomBytes(24).toString('base64url');
    this.tokens.set(accessToken, {
      clientId,
      scopes: [...new Set(scopes)],
      expiresAtMs: this.now().getTime() + this.ttlSeconds * 1000,
    });
    this.prune();
    return {
      access_token: accessToken,
      token_type: 'Bearer',
      expires_in: this.ttlSeconds,
      scope: [...new Set(scopes)].join(' '),
    };
  }

  /** The principal behind an `Authorization: Bearer` header, or undefined if missing/unknown/expired. */
  authenticate(authorization: string | undefined): Principal | undefined {
    if (!authorization?.startsWith('Bearer ')) return undefined;
    const token = this.tokens.get(authorization.slice(7).trim());
    if (!token) return undefined;
    if (token.expiresAtMs <= this.now().getTime()) return undefined;
    return token;
  }

  /** Drops expired tokens once the map grows, so long benchmark runs stay small. */
  private prune(): void {
    if (this.tokens.size < 10_000) return;
    const now = this.now().getTime();
    for (const [key, token] of this.tokens) if (token.expiresAtMs <= now) this.tokens.delete(key);
  }
}

/** `undefined`: no Basic header; `null`: a Basic header that does not parse. */
function parseBasic(
  authorization: string | undefined,
): { id: string; secret: string } | null | undefined {
  if (!authorization || !/^basic /i.test(authorization)) return undefined;
  const decoded = Buffer.from(authorization.slice(6).trim(), 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return null;
  // RFC 6749 §2.3.1: both parts are form-urlencoded before Basic encoding.
  try {
    return {
      id: decodeURIComponent(decoded.slice(0, colon).replaceAll('+', ' ')),
      secret: decodeURIComponent(decoded.slice(colon + 1).replaceAll('+', ' ')),
    };
  } catch {
    return null;
  }
}

function sameText(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}
