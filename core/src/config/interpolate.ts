import { ConfigError } from '../errors/errors.js';
import { formatPath } from '../domain/parse.js';

const REFERENCE = /\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/g;

/**
 * Replaces `${NAME}` and `${NAME:-default}` in every string of `value` with environment
 * variables. A variable that is not set and has no default is an error naming it and
 * the config path that uses it.
 */
export function interpolateEnv(
  value: unknown,
  env: Readonly<Record<string, string | undefined>>,
  path: PropertyKey[] = [],
): unknown {
  if (typeof value === 'string') {
    return value.replace(REFERENCE, (_match, name: string, fallback: string | undefined) => {
      const resolved = env[name] ?? fallback;
      if (resolved === undefined) {
        throw new ConfigError(
          `${formatPath(path)}: environment variable ${name} is not set (set it, or write \${${name}:-default})`,
          { code: 'PMS_CONFIG_ENV_MISSING', details: { variable: name, path: formatPath(path) } },
        );
      }
      return resolved;
    });
  }
  if (Array.isArray(value))
    return value.map((item, index) => interpolateEnv(item, env, [...path, index]));
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value).map(([key, field]) => [
        key,
        interpolateEnv(field, env, [...path, key]),
      ]),
    );
  }
  return value;
}
