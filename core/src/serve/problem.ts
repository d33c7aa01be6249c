import type { z } from 'zod';

/** Where the problem types are described. */
export const PROBLEM_BASE = 'https://pmsbridge.dev/problems/';

/** An RFC 9457 problem detail, as every error of the HTTP API is answered. */
export interface Problem {
  readonly type: string;
  readonly title: string;
  readonly status: number;
  readonly detail?: string;
  /** The fields at fault, for a request that does not validate. */
  readonly errors?: ReadonlyArray<{ readonly field: string; readonly message: string }>;
  readonly [extension: string]: unknown;
}

/** A problem of a given kind (`slot_unavailable` → `https://pmsbridge.dev/problems/slot-unavailable`). */
export function problem(
  kind: string,
  status: number,
  title: string,
  extra: Omit<Partial<Problem>, 'type' | 'status' | 'title'> = {},
): Problem {
  return { type: `${PROBLEM_BASE}${kind.replaceAll('_', '-')}`, title, status, ...extra };
}

/** A 400 naming each field of a request that does not validate. */
export function invalidRequest(error: z.ZodError, where: 'query' | 'body' | 'header'): Problem {
  const errors = error.issues.map((issue) => ({
    field: issue.path.length === 0 ? where : issue.path.map(String).join('.'),
    message: issue.message,
  }));
  return problem('invalid_request', 400, 'The request is not valid', {
    detail: errors.map((e) => `${e.field}: ${e.message}`).join('; '),
    errors,
  });
}
