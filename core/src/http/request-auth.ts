import type { TokenProvider } from './token-provider.js';

/**
 * The `Authorization` header of each attempt. `invalidate` forgets a header the server
 * rejected, so that the next `header` call fetches fresh credentials.
 */
export interface RequestAuth {
  /** The header value, or `undefined` to send none. */
  header(signal?: AbortSignal): Promise<string | undefined>;
  /** Forgets `header` after the server rejected it. */
  invalidate(header: string): void;
}

/** `Authorization: Bearer <token>` from an OAuth 2.0 {@link TokenProvider}. */
export function bearerAuth(tokens: TokenProvider): RequestAuth {
  const prefix = 'Bearer ';
  return {
    header: async (signal) => prefix + (await tokens.getToken(signal)),
    invalidate: (header) => {
      if (header.startsWith(prefix)) tokens.invalidate(header.slice(prefix.length));
    },
  };
}
