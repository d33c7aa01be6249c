import { z } from 'zod';

/**
 * The body of the API's error responses. The token endpoint refuses a grant with a
 * `TokenErrorResponseSchema` body instead.
 */
export const ErrorResponseSchema = z
  .object({
    error: z.object({
      code: z.string(),
      message: z.string(),
      request_id: z.string().describe('The X-Request-Id of the response'),
    }),
  })
  .describe('An error of the API.');

export type ErrorResponse = z.infer<typeof ErrorResponseSchema>;
