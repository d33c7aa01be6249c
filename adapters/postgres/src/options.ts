import { z } from 'zod';

/** A schema name the store can put in SQL unquoted: lowercase letters, digits and `_`. */
const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

/** Whether `value` is a `postgres://` or `postgresql://` URL. */
function isPostgresUrl(value: string): boolean {
  if (!/^postgres(?:ql)?:\/\//i.test(value)) return false;
  try {
    new URL(value);
    return true;
  } catch {
    return false;
  }
}

/**
 * The options of the PostgreSQL state store (`state: { use: postgres, options }`), with their
 * defaults. Messages never repeat the connection string: it holds a password.
 */
export const PostgresStateOptionsSchema = z.strictObject({
  /** `postgresql://user:password@host:5432/database`, usually `${DATABASE_URL}`. */
  connectionString: z.string().refine(isPostgresUrl, {
    message: 'must be a postgres:// or postgresql:// URL, such as ${DATABASE_URL}',
  }),
  /** The schema holding the store's tables; created if missing. */
  schema: z
    .string()
    .regex(SCHEMA_NAME, {
      message: 'must be a lowercase schema name: letters, digits and _, up to 63 characters',
    })
    .default('pmsbridge'),
  /** The most connections this process opens to the database. */
  poolSize: z.number().int().positive().default(5),
  /** How long opening a connection may take before the call fails. */
  connectTimeoutMs: z.number().int().positive().default(10_000),
});

/** The options as written in a config (defaults optional). */
export type PostgresStateOptionsInput = z.input<typeof PostgresStateOptionsSchema>;
/** The options with defaults applied. */
export type PostgresStateOptions = z.output<typeof PostgresStateOptionsSchema>;
