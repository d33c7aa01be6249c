/** Stable error codes. Callers branch on these, never on messages. */
export const ErrorCode = {
  Config: 'PMS_CONFIG',
  Validation: 'PMS_VALIDATION',
  Plugin: 'PMS_PLUGIN',
  Remote: 'PMS_REMOTE',
  Auth: 'PMS_AUTH',
  RateLimited: 'PMS_RATE_LIMITED',
  Timeout: 'PMS_TIMEOUT',
  CircuitOpen: 'PMS_CIRCUIT_OPEN',
  Cancelled: 'PMS_CANCELLED',
  State: 'PMS_STATE',
  Sink: 'PMS_SINK',
} as const;

export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

/** Base class of every error pmsbridge throws. Messages never contain secrets. */
export class PmsbridgeError extends Error {
  readonly code: ErrorCode;
  readonly details?: Record<string, unknown>;

  constructor(
    code: ErrorCode,
    message: string,
    options: { cause?: unknown; details?: Record<string, unknown> } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.details = options.details;
  }

  /** A plain object for logs, dead letters and `--json` output. */
  toJSON(): Record<string, unknown> {
    return { name: this.name, code: this.code, message: this.message, details: this.details };
  }
}

/** Configuration or command-line input is invalid; the message names the field. */
export class ConfigError extends PmsbridgeError {
  constructor(
    message: string,
    options: { cause?: unknown; details?: Record<string, unknown> } = {},
  ) {
    super(ErrorCode.Config, message, options);
  }
}

/** A record or response does not match its schema; `details.issues` lists field paths. */
export class ValidationError extends PmsbridgeError {
  constructor(message: string, details?: Record<string, unknown>) {
    super(ErrorCode.Validation, message, { details });
  }
}

/** A plugin could not be loaded, or its options are invalid. */
export class PluginError extends PmsbridgeError {
  constructor(
    message: string,
    options: { cause?: unknown; details?: Record<string, unknown> } = {},
  ) {
    super(ErrorCode.Plugin, message, options);
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

/** The state store failed or holds something it cannot read. */
export class StateError extends PmsbridgeError {
  constructor(message: string, cause?: unknown) {
    super(ErrorCode.State, message, { cause });
  }
}

/** Turns anything thrown into a `{ code, message }` pair suitable for a dead letter. */
export function describeError(error: unknown): {
  code: string;
  message: string;
  details?: unknown;
} {
  if (error instanceof PmsbridgeError) {
    return { code: error.code, message: error.message, details: error.details };
  }
  if (error instanceof Error) return { code: 'PMS_UNEXPECTED', message: error.message };
  return { code: 'PMS_UNEXPECTED', message: String(error) };
}
