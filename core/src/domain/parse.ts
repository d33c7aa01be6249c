import type { z } from 'zod';
import { ValidationError } from '../errors/errors.js';

/** Formats zod issues as `path: message` lines, e.g. `locations[0].timezone: Required`. */
export function formatIssues(
  issues: ReadonlyArray<{ path: readonly PropertyKey[]; message: string }>,
): string {
  return issues.map((issue) => `${formatPath(issue.path)}: ${issue.message}`).join('; ');
}

/** Renders a zod path the way a reader writes it: `sinks[1].options.baseUrl`. */
export function formatPath(path: readonly PropertyKey[]): string {
  if (path.length === 0) return '(root)';
  return path
    .map((part, index) =>
      typeof part === 'number' ? `[${part}]` : `${index === 0 ? '' : '.'}${String(part)}`,
    )
    .join('');
}

/**
 * Parses `value` with `schema`, throwing a {@link ValidationError} that names each
 * failing field path. `what` says what was being parsed, for the message.
 */
export function parseWith<S extends z.ZodType>(
  schema: S,
  value: unknown,
  what: string,
): z.infer<S> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  throw new ValidationError(`Invalid ${what}: ${formatIssues(result.error.issues)}`, {
    issues: result.error.issues.map((issue) => ({
      path: formatPath(issue.path),
      message: issue.message,
    })),
  });
}
