import { StateError } from '@pmsbridge/core';

const SETTING = 'state.options.connectionString';

/** Network errors of Node's sockets, by `code`, and what they mean for the user. */
const NETWORK: Record<string, string> = {
  ECONNREFUSED:
    'nothing accepts connections there: check that PostgreSQL runs and that ' +
    `${SETTING} names its host and port`,
  ENOTFOUND: `the host name does not resolve: check the host in ${SETTING}`,
  EAI_AGAIN: `the host name could not be resolved right now: check DNS and the host in ${SETTING}`,
  EHOSTUNREACH: 'the host cannot be reached: check the network and firewall',
  ENETUNREACH: 'the network is unreachable: check the network and firewall',
  ETIMEDOUT: 'the connection timed out: check the network, the firewall and the port',
  ECONNRESET: 'the server closed the connection: check its log, and whether it wants TLS (sslmode)',
};

/** PostgreSQL SQLSTATE codes that say the connection itself is refused, and what to do. */
const SERVER: Record<string, string> = {
  '28P01': `check the user and password in ${SETTING}`,
  '28000': `the server does not let this user in from here: check pg_hba.conf and ${SETTING}`,
  '3D000': `create the database, or fix its name in ${SETTING}`,
  '53300':
    'the server has no connection slots left: lower state.options.poolSize or raise max_connections',
  '57P01': 'the server is shutting down',
  '57P02': 'the server is shutting down',
  '57P03': 'the server is starting up or in recovery: try again shortly',
  '42501':
    'the user lacks a privilege the store needs (CREATE on the database for a new schema, or ' +
    'ownership of the schema): grant it, or point state.options.schema at a schema it owns',
};

function codeOf(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

/** What went wrong, in words, with the fix when there is one. Never holds `secret`. */
export function describeFailure(error: unknown, secret: string): string {
  const code = codeOf(error);
  const message = error instanceof Error ? error.message : String(error);
  let problem: string;
  if (code !== undefined && NETWORK[code] !== undefined) {
    problem = `${message} (${NETWORK[code]})`;
  } else if (code !== undefined && SERVER[code] !== undefined) {
    problem = `${message} (${SERVER[code]})`;
  } else if (/timeout/i.test(message) && /connect/i.test(message)) {
    problem = `${message} (no connection within state.options.connectTimeoutMs: check the host, port and firewall)`;
  } else if (/password|SASL|SCRAM/i.test(message)) {
    problem = `${message} (check the user and password in ${SETTING})`;
  } else {
    problem = message;
  }
  return secret === '' ? problem : problem.split(secret).join('***');
}

/**
 * Wraps a failure of `what` on the database `target` (as {@link describeTarget} names it) in
 * a {@link StateError}; a `StateError` passes through unchanged.
 */
export function toStateError(
  what: string,
  target: string,
  error: unknown,
  secret: string,
): StateError {
  if (error instanceof StateError) return error;
  return new StateError(
    `Could not ${what} in ${target}: ${describeFailure(error, secret)}`,
    error,
    'PMS_STATE_UNAVAILABLE',
  );
}
