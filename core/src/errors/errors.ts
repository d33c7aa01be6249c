import {
  ErrorCategory,
  ErrorCode,
  errorCategoryOf,
  isErrorCode,
  type ErrorCodeIn,
} from './error-codes.js';

export {
  ErrorCategory,
  ErrorCode,
  errorCategoryOf,
  errorCodes,
  exitCodeOf,
  isErrorCode,
  type ErrorCodeIn,
} from './error-codes.js';

/**
 * The brand every {@link PmsbridgeError} carries. `Symbol.for` gives the same symbol to every
 * copy of `@pmsbridge/core` loaded in one process, so {@link isPmsbridgeError} recognises
 * errors thrown by a plugin that bundles its own copy, where `instanceof` would not.
 */
export const pmsbridgeErrorBrand: unique symbol = Symbol.for('pmsbridge.error');

/**
 * Whether `value` is an error thrown by pmsbridge, by any copy of `@pmsbridge/core`: checks
 * the {@link pmsbridgeErrorBrand}, not the prototype chain, and trusts it (another copy's
 * `PmsbridgeError` is the same class loaded twice). Use it instead of `instanceof`.
 */
export function isPmsbridgeError(value: unknown): value is PmsbridgeError {
  return (
    typeof value === 'object' &&
    value !== null &&
    (value as { [pmsbridgeErrorBrand]?: unknown })[pmsbridgeErrorBrand] === true &&
    typeof (value as { code?: unknown }).code === 'string'
  );
}

/**
 * Whether `value` is a pmsbridge error (from any copy of the package) of `category`, e.g.
 * `hasErrorCategory(error, ErrorCategory.Validation)` for "this record is bad".
 */
export function hasErrorCategory(value: unknown, category: ErrorCategory): value is PmsbridgeError {
  return isPmsbridgeError(value) && errorCategoryOf(value.code) === category;
}

/** Base class of every error pmsbridge throws. Messages never contain secrets. */
export class PmsbridgeError extends Error {
  readonly code: ErrorCode;
  /** The family of {@link code}: what a caller that needs less detail branches on. */
  readonly category: ErrorCategory;
  readonly details?: Record<string, unknown>;

  constructor(
    code: ErrorCode,
    message: string,
    options: { cause?: unknown; details?: Record<string, unknown> } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.category = errorCategoryOf(code);
    this.details = options.details;
  }

  /** The brand {@link isPmsbridgeError} checks; on the prototype, so copies of errors lack it. */
  get [pmsbridgeErrorBrand](): true {
    return true;
  }

  /** A plain object for logs, dead letters and `--json` output. */
  toJSON(): Record<string, unknown> {
    return {
      name: this.name,
      code: this.code,
      category: this.category,
      message: this.message,
      details: this.details,
    };
  }
}

/**
 * Configuration or command-line input is invalid; the message names the field. `code` says
 * why (default `PMS_CONFIG`).
 */
export class ConfigError extends PmsbridgeError {
  constructor(
    message: string,
    options: {
      cause?: unknown;
      details?: Record<string, unknown>;
      code?: ErrorCodeIn<'PMS_CONFIG'>;
    } = {},
  ) {
    super(options.code ?? ErrorCode.Config, message, options);
  }
}

/**
 * A record or response does not match its schema; `details.issues` lists field paths. `code`
 * says why (default `PMS_VALIDATION`).
 */
export class ValidationError extends PmsbridgeError {
  constructor(
    message: string,
    details?: Record<string, unknown>,
    code: ErrorCodeIn<'PMS_VALIDATION'> = ErrorCode.Validation,
  ) {
    super(code, message, { details });
  }
}

/** A plugin could not be loaded, or its options are invalid. `code` says which. */
export class PluginError extends PmsbridgeError {
  constructor(
    message: string,
    options: {
      cause?: unknown;
      details?: Record<string, unknown>;
      code?: ErrorCodeIn<'PMS_PLUGIN'>;
    } = {},
  ) {
    super(options.code ?? ErrorCode.Plugin, message, options);
  }
}

/** What a remote system told us about a failed request. */
export interface RemoteErrorInfo {
  system: string;
  status?: number;
  requestId?: string;
  remoteCode?: string;
  method?: string;
  path?: string;
}

/**
 * A remote system (HealthConnect, a FHIR server) answered with an error or could not be
 * reached. Carries the HTTP status and the remote request id for support tickets.
 */
export class RemoteError extends PmsbridgeError {
  readonly status?: number;
  readonly requestId?: string;

  constructor(
    message: string,
    info: RemoteErrorInfo,
    options: { cause?: unknown; code?: ErrorCode; details?: Record<string, unknown> } = {},
  ) {
    super(options.code ?? ErrorCode.Remote, message, {
      cause: options.cause,
      details: { ...info, ...options.details },
    });
    this.status = info.status;
    this.requestId = info.requestId;
  }
}

/** The run was cancelled (SIGINT/SIGTERM or an aborted signal). */
export class CancelledError extends PmsbridgeError {
  constructor(message = 'The run was cancelled', cause?: unknown) {
    super(ErrorCode.Cancelled, message, { cause });
  }
}

/** The state store failed or holds something it cannot read. `code` says which. */
export class StateError extends PmsbridgeError {
  constructor(message: string, cause?: unknown, code: ErrorCodeIn<'PMS_STATE'> = ErrorCode.State) {
    super(code, message, { cause });
  }
}

/**
 * Turns anything thrown into a `{ code, message }` pair suitable for a dead letter. Errors
 * from another copy of `@pmsbridge/core` keep their code, and so does an `Error` carrying a
 * known code without the brand (thrown by a copy older than the brand).
 */
export function describeError(error: unknown): {
  code: string;
  message: string;
  details?: unknown;
} {
  if (isPmsbridgeError(error)) {
    return { code: error.code, message: error.message, details: error.details };
  }
  if (error instanceof Error) {
    const { code } = error as { code?: unknown };
    return { code: isErrorCode(code) ? code : ErrorCode.Unexpected, message: error.message };
  }
  return { code: 'PMS_UNEXPECTED', message: String(error) };
}
