import { z } from 'zod';

/**
 * The form fields of a client credentials token request (`POST /token`,
 * `application/x-www-form-urlencoded`). The client may authenticate with HTTP Basic instead of
 * `client_id` and `client_secret`.
 */
export const TokenRequestSchema = z
  .object({
    grant_type: z.literal('client_credentials'),
    client_id: z.string().optional(),
    client_secret: z.string().optional(),
    scope: z.string().optional().describe('Space-separated scopes'),
  })
  .describe(
    'A client credentials grant. The client authenticates with HTTP Basic or with client_id and client_secret.',
  );

/** A granted access token (RFC 6749 §5.1). */
export const TokenResponseSchema = z
  .object({
    access_token: z.string().min(1),
    token_type: z.literal('Bearer'),
    expires_in: z.number().int().positive().describe('Lifetime in seconds'),
    scope: z.string().describe('The granted scopes, space-separated'),
  })
  .describe('An access token.');

/** A refused token request (RFC 6749 §5.2). */
export const TokenErrorResponseSchema = z
  .object({
    error: z.enum(['invalid_request', 'invalid_client', 'unsupported_grant_type', 'invalid_scope']),
    error_description: z.string(),
  })
  .describe('A refused token request.');

export type TokenRequest = z.infer<typeof TokenRequestSchema>;
export type TokenResponse = z.infer<typeof TokenResponseSchema>;
export type TokenErrorResponse = z.infer<typeof TokenErrorResponseSchema>;
