import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { ApiKeyConfig } from '../config/config-schema.js';

/** What an API key may do: read the directory and availability, book and cancel. */
export type ApiScope = 'read' | 'book';

/** The client an API key belongs to. */
export interface ApiClient {
  readonly id: string;
  readonly scopes: ReadonlySet<ApiScope>;
}

/** `sha256:` and the hex SHA-256 of a key: how the config keeps it. */
export function hashApiKey(key: string): string {
  return `sha256:${createHash('sha256').update(key).digest('hex')}`;
}

/** A new random API key (`pmsb_` and 43 base64url characters, 256 bits). */
export function newApiKey(): string {
  return `pmsb_${randomBytes(32).toString('base64url')}`;
}

/**
 * The API keys of `pmsbridge serve`, kept only as SHA-256 digests. A presented key is hashed
 * and compared with every configured digest in constant time (keys are random 256-bit
 * values, so a fast hash is enough; no digest is ever compared early-out).
 */
export class ApiKeys {
  readonly #keys: ReadonlyArray<{ digest: Buffer; client: ApiClient }>;

  constructor(keys: readonly ApiKeyConfig[]) {
    this.#keys = keys.map((key) => ({
      digest: Buffer.from(key.hash.slice('sha256:'.length), 'hex'),
      client: { id: key.id, scopes: new Set(key.scopes) },
    }));
  }

  /**
   * The client of the key in an `Authorization: Bearer <key>` or `X-API-Key: <key>` header,
   * or undefined when there is no key or it matches none.
   */
  authenticate(headers: {
    authorization?: string;
    'x-api-key'?: string | string[];
  }): ApiClient | undefined {
    const bearer = /^Bearer\s+(\S+)$/i.exec(headers.authorization ?? '')?.[1];
    const header = headers['x-api-key'];
    const key = bearer ?? (typeof header === 'string' ? header : undefined);
    if (key === undefined || key.length > 512) return undefined;
    const presented = createHash('sha256').update(key).digest();
    let found: ApiClient | undefined;
    for (const { digest, client } of this.#keys) {
      if (timingSafeEqual(presented, digest)) found = client;
    }
    return found;
  }
}
