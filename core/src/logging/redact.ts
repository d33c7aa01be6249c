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
  // Credentials in URLs: scheme://user:password@host
  [/([a-z][a-z0-9+.-]*:\/\/[^\s:/@]+:)[^\s@/]+@/gi, '$1[REDACTED]@'],
  // JSON Web Tokens anywhere in text.
  [/\beyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*/g, '[REDACTED JWT]'],
  [
    /("(?:client_secret|access_token|refresh_token|password|secret)"\s*:\s*")[^"]*"/gi,
    '$1[REDACTED]"',
  ],
];

export const REDACTED = '[REDACTED]';

/** Names that contain one of these are secrets too (`bearerToken`, `x-api-key`, `dbPassword`). */
const SECRET_NAME_PARTS =
  /secret|token|password|passphrase|apikey|privatekey|authorization|cookie|credential/;
/** Except where the value is an address, not a secret (`tokenUrl`); its text is still scrubbed. */
const ADDRESS_NAME = /(url|uri|endpoint)$/;

function isSecretField(name: string): boolean {
  const normalised = name.toLowerCase().replace(/[-_]/g, '');
  if (SECRET_FIELD_NAMES.has(normalised)) return true;
  return SECRET_NAME_PARTS.test(normalised) && !ADDRESS_NAME.test(normalised);
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
