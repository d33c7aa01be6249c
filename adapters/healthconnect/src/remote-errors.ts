import {
  ConfigError,
  ErrorCode,
  PmsbridgeError,
  RemoteError,
  isPmsbridgeError,
  type RemoteErrorInfo,
} from '@pmsbridge/core';
import type { AttemptFailure, TokenErrorFactory } from '@pmsbridge/core/http';

/** What the client knows about a failed HealthConnect call. */
export interface HealthConnectErrorInfo extends Omit<RemoteErrorInfo, 'system'> {
  /** The raw `Retry-After` header, when the response carried one. */
  retryAfter?: string;
  /** True when no HTTP response arrived (connection refused or reset, timeout). */
  isNetworkError?: boolean;
  /** The `error` of a `WWW-Authenticate: Bearer` challenge, e.g. `invalid_token`. */
  authError?: string;
}

/**
 * HealthConnect answered with an error status, an unreadable body, or not at all.
 * `status`, `requestId` (`X-Request-Id`) and `remoteCode` identify it for support tickets;
 * the access token never appears in it.
 */
export class HealthConnectError extends RemoteError {
  readonly remoteCode?: string;
  readonly retryAfter?: string;
  readonly isNetworkError: boolean;
  /** The `error` of the response's `WWW-Authenticate: Bearer` challenge, e.g. `invalid_token`. */
  readonly authError?: string;

  constructor(
    message: string,
    info: HealthConnectErrorInfo,
    options: { cause?: unknown; code?: ErrorCode } = {},
  ) {
    const { retryAfter, isNetworkError, authError, ...remote } = info;
    super(message, { system: 'healthconnect', ...remote }, options);
    this.authError = authError;
    this.remoteCode = info.remoteCode;
    this.retryAfter = retryAfter;
    this.isNetworkError = isNetworkError === true;
  }
}

/**
 * The token lacks a scope the call needs (403 `insufficient_scope`). A configuration
 * problem: add the scope to `scopes` (and to the client's grant); retrying cannot help.
 */
export class InsufficientScopeError extends ConfigError {
  readonly status = 403;
  readonly requestId?: string;
  readonly requiredScope?: string;

  constructor(path: string, requestId: string | undefined, requiredScope: string | undefined) {
    super(
      `HealthConnect refused ${path}: the access token lacks scope "${requiredScope ?? 'unknown'}"; add it to the "scopes" option and to the client's grant`,
      { details: { status: 403, requestId, requiredScope, path }, code: ErrorCode.HcScopeMissing },
    );
    this.requestId = requestId;
    this.requiredScope = requiredScope;
  }
}

/** The circuit breaker is open: recent attempts kept failing, so calls fail fast for a while. */
export class CircuitOpenError extends PmsbridgeError {
  constructor(retryInMs: number) {
    super(
      ErrorCode.CircuitOpen,
      `HealthConnect calls are failing; the circuit is open for another ${Math.ceil(retryInMs / 1000)} s. Check the API's status and network reachability.`,
      { details: { retryInMs } },
    );
  }
}

/**
 * Whether `error` is a {@link HealthConnectError}, thrown by this copy of the adapter or
 * another: checks core's brand and the `healthconnect` system, not the prototype chain.
 */
export function isHealthConnectError(error: unknown): error is HealthConnectError {
  return isPmsbridgeError(error) && error.details?.system === 'healthconnect';
}

/**
 * The code of a call that got no response: `PMS_NET_TIMEOUT` when a timeout cut it off,
 * `PMS_NET_UNREACHABLE` for anything else (refused, reset, a name that does not resolve, TLS).
 */
export function networkFailureCode(error: unknown): ErrorCode {
  const { code, name } = (typeof error === 'object' && error !== null ? error : {}) as {
    code?: unknown;
    name?: unknown;
  };
  const isTimeout =
    (typeof code === 'string' && code.includes('TIMEOUT')) || name === 'TimeoutError';
  return isTimeout ? ErrorCode.NetTimeout : ErrorCode.NetUnreachable;
}

/** What the retry policy reads of a failed call; other errors are never retried. */
export function readHealthConnectFailure(error: unknown): AttemptFailure | undefined {
  if (!isHealthConnectError(error)) return undefined;
  // An unreadable body on a 2xx (cut off or garbled on the way) is as transient as a reset.
  const isGarbled = error.remoteCode === 'invalid_json';
  return {
    status: error.status,
    retryAfter: error.retryAfter,
    isTransient: error.isNetworkError || isGarbled,
  };
}

/** Failures that say HealthConnect is unwell (as opposed to a bad request of ours). */
export function isSignOfTrouble(error: unknown): boolean {
  if (!isHealthConnectError(error)) return false;
  return error.isNetworkError || (error.status !== undefined && error.status >= 500);
}

/** A 401 whose `WWW-Authenticate: Bearer error="invalid_token"` says a fresh token may help. */
export function isTokenRejected(error: unknown): boolean {
  return isHealthConnectError(error) && error.status === 401 && error.authError === 'invalid_token';
}

/**
 * The token endpoint's failures as HealthConnect errors, with what to check. No answer is
 * `PMS_NET_UNREACHABLE` (or `PMS_NET_TIMEOUT`) and is retried like any network failure;
 * `invalid_scope` is `PMS_HC_SCOPE_MISSING` and `unsupported_grant_type` `PMS_CONFIG`
 * (fix the config); any other refusal, `invalid_client` among them, is `PMS_HC_AUTH_REFUSED`.
 */
export function healthConnectTokenErrors(tokenUrl: string): TokenErrorFactory {
  const path = new URL(tokenUrl).pathname;
  return {
    unreachable: (cause) =>
      new HealthConnectError(
        `Cannot reach the HealthConnect token endpoint: ${(cause as Error).message}`,
        { method: 'POST', path, isNetworkError: true },
        { cause, code: networkFailureCode(cause) },
      ),
    refused: ({ status, remoteCode, retryAfter }) => {
      if (remoteCode === 'invalid_scope') {
        return new ConfigError(
          'HealthConnect refused the token request (invalid_scope); check the "scopes" option against the client\'s grant',
          { details: { status, remoteCode }, code: ErrorCode.HcScopeMissing },
        );
      }
      if (remoteCode === 'unsupported_grant_type') {
        return new ConfigError(
          'HealthConnect refused the token request (unsupported_grant_type); the API client must allow the client_credentials grant',
          { details: { status, remoteCode } },
        );
      }
      const advice =
        remoteCode === 'invalid_client'
          ? 'HealthConnect rejected the client credentials (invalid_client); check clientId and clientSecret'
          : `The HealthConnect token endpoint answered ${status}${remoteCode === undefined ? '' : ` (${remoteCode})`}`;
      return new HealthConnectError(
        advice,
        { method: 'POST', path, status, remoteCode, retryAfter },
        { code: ErrorCode.HcAuthRefused },
      );
    },
  };
}
