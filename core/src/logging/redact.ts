/** Field names whose values are secrets, matched case-insensitively after removing `-` and `_`. */
const SECRET_FIELD_NAMES = new Set([
  'authorization',
  'proxyauthorization',
  'clientsecret',
  'secret',
  'webhooksecret',
  'password',
  'passphrase',
  'accesstoken',
  'refreshtoken',
  'token',
  'idtoken',
  'apikey',
  'privatekey',
  'key',
  'cookie',
  'setcookie',
]);

/** Patterns of secrets that may hide inside free text (messages, URLs, error bodies). */
const SECRET_PATTERNS: ReadonlyArray<[RegExp, string]> = [
  [/(Bearer|Basic)\s+[A-Za-z0-9\-._~+/]+=*/gi, '$1 [REDACTED]'],
  [/whsec_[A-Za-z0-9+/=]+/g, 'whsec_[REDACTED]'],
  [
    /-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?-----END [A-Z ]*PRIVATE KEY-----/g,
    '[REDACTED PRIVATE KEY]',
  ],
  [/((?:client_secret|access_token|refresh_token|password)=)[^&\s"]+/gi, '$1[REDACTED]'],
  [
    /("(?:client_secret|access_token|refresh_token|password|secret)"\s*:\s*")[^"]*"/gi,
    '$1[REDACTED]"',
  ],
];

export const REDACTED = '[REDACTED]';

function isSecretField(name: string): boolean {
  return SECRET_FIELD_NAMES.has(name.toLowerCase().replace(/[-_]/g, ''));
}

/** Removes secrets from free text. */
export function redactText(text: string): string {
  return SECRET_PATTERNS.reduce(
    (out, [pattern, replacement]) => out.replace(pattern, replacement),
    text,
  );
}

/**
 * Returns a copy of `value` with secret fields replaced by `[REDACTED]` and secret-looking
 * text scrubbed. Handles nesting, arrays, errors and cycles.
 */
export function redact(value: unknown, seen = new WeakSet<object>()): unknown {
  if (typeof value === 'string') return redactText(value);
  if (value === null || typeof value !== 'object') return value;
  if (seen.has(value)) return '[Circular]';
  seen.add(value);
  if (value instanceof Error) {
    return redact(
      {
        name: value.name,
        message: value.message,
        code: (value as { code?: unknown }).code,
        stack: value.stack,
      },
      seen,
    );
  }
  if (Array.isArray(value)) return value.map((item) => redact(item, seen));
  if (value instanceof Date) return value.toISOString();
  if (value instanceof URL) return redactText(value.toString());
  const out: Record<string, unknown> = {};
  for (const [key, field] of Object.entries(value)) {
    out[key] =
      isSecretField(key) && field !== undefined && field !== null ? REDACTED : redact(field, seen);
  }
  return out;
}
