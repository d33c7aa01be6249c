/**
 * Families of error codes. Each was a code of its own before codes named a reason, so a
 * script that branched on `PMS_CONFIG` or `PMS_REMOTE` branches on the `category` now; the
 * CLI's exit code follows the category.
 */
export const ErrorCategory = {
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
  DeadLetterThreshold: 'PMS_DEAD_LETTER_THRESHOLD',
  Unexpected: 'PMS_UNEXPECTED',
} as const;

/** A family of error codes: `PMS_CONFIG`, `PMS_REMOTE`, … */
export type ErrorCategory = (typeof ErrorCategory)[keyof typeof ErrorCategory];

/**
 * Every code and the category it belongs to. A category's own name is a code too: the
 * family's "no more precise reason" code, which code written before the precise codes (and
 * plugins outside this repository) still throw. `docs/errors.md` lists every code here.
 */
const CATEGORY_OF_CODE = {
  PMS_CONFIG: 'PMS_CONFIG',
  PMS_CONFIG_UNREADABLE: 'PMS_CONFIG',
  PMS_CONFIG_SYNTAX: 'PMS_CONFIG',
  PMS_CONFIG_INVALID: 'PMS_CONFIG',
  PMS_CONFIG_UNKNOWN_KEY: 'PMS_CONFIG',
  PMS_CONFIG_ENV_MISSING: 'PMS_CONFIG',
  PMS_CONFIG_FIELDS_MISSING: 'PMS_CONFIG',
  PMS_CONFIG_DIRECTORY_UNWRITABLE: 'PMS_CONFIG',
  PMS_CLI_USAGE: 'PMS_CONFIG',
  PMS_HC_SCOPE_MISSING: 'PMS_CONFIG',
  PMS_FHIR_CAPABILITY_MISSING: 'PMS_CONFIG',

  PMS_PLUGIN: 'PMS_PLUGIN',
  PMS_PLUGIN_NOT_FOUND: 'PMS_PLUGIN',
  PMS_PLUGIN_INVALID: 'PMS_PLUGIN',
  PMS_PLUGIN_OPTIONS_INVALID: 'PMS_PLUGIN',

  PMS_VALIDATION: 'PMS_VALIDATION',
  PMS_RECORD_GONE: 'PMS_VALIDATION',
  PMS_RECORD_UNMAPPABLE: 'PMS_VALIDATION',
  PMS_NPI_INVALID: 'PMS_VALIDATION',

  PMS_REMOTE: 'PMS_REMOTE',
  PMS_HC_UNAVAILABLE: 'PMS_REMOTE',
  PMS_HC_REJECTED: 'PMS_REMOTE',
  PMS_FHIR_UNAVAILABLE: 'PMS_REMOTE',
  PMS_FHIR_REJECTED: 'PMS_REMOTE',
  PMS_NET_UNREACHABLE: 'PMS_REMOTE',

  PMS_AUTH: 'PMS_AUTH',
  PMS_HC_AUTH_REFUSED: 'PMS_AUTH',
  PMS_HC_WEBHOOK_REJECTED: 'PMS_AUTH',
  PMS_FHIR_AUTH_REFUSED: 'PMS_AUTH',

  PMS_RATE_LIMITED: 'PMS_RATE_LIMITED',
  PMS_HC_RATE_LIMITED: 'PMS_RATE_LIMITED',
  PMS_FHIR_RATE_LIMITED: 'PMS_RATE_LIMITED',

  PMS_TIMEOUT: 'PMS_TIMEOUT',
  PMS_NET_TIMEOUT: 'PMS_TIMEOUT',

  PMS_CIRCUIT_OPEN: 'PMS_CIRCUIT_OPEN',
  PMS_CANCELLED: 'PMS_CANCELLED',

  PMS_STATE: 'PMS_STATE',
  PMS_STATE_DAMAGED: 'PMS_STATE',
  PMS_STATE_MISSING: 'PMS_STATE',
  PMS_STATE_UNAVAILABLE: 'PMS_STATE',
  PMS_STATE_VERSION_NEWER: 'PMS_STATE',
  PMS_STATE_LEASE_HELD: 'PMS_STATE',
  PMS_STATE_CLOSED: 'PMS_STATE',

  PMS_SINK: 'PMS_SINK',
  PMS_SINK_NO_OUTCOME: 'PMS_SINK',
  PMS_PUBLICATION_DISK_FULL: 'PMS_SINK',
  PMS_PUBLICATION_WRITE_FAILED: 'PMS_SINK',
  PMS_PUBLICATION_DAMAGED: 'PMS_SINK',

  PMS_DEAD_LETTER_THRESHOLD: 'PMS_DEAD_LETTER_THRESHOLD',
  PMS_UNEXPECTED: 'PMS_UNEXPECTED',
} as const satisfies Record<string, ErrorCategory>;

/** A stable error code. Callers branch on these (or on their category), never on messages. */
export type ErrorCode = keyof typeof CATEGORY_OF_CODE;

/** The codes of one category, e.g. `ErrorCodeIn<'PMS_STATE'>`. */
export type ErrorCodeIn<C extends ErrorCategory> = {
  [K in ErrorCode]: (typeof CATEGORY_OF_CODE)[K] extends C ? K : never;
}[ErrorCode];

/**
 * Stable error codes by name. The first names are the categories' codes (kept from when
 * they were the only codes); the rest name an area and a reason.
 */
export const ErrorCode = {
  ...ErrorCategory,
  ConfigUnreadable: 'PMS_CONFIG_UNREADABLE',
  ConfigSyntax: 'PMS_CONFIG_SYNTAX',
  ConfigInvalid: 'PMS_CONFIG_INVALID',
  ConfigUnknownKey: 'PMS_CONFIG_UNKNOWN_KEY',
  ConfigEnvMissing: 'PMS_CONFIG_ENV_MISSING',
  ConfigFieldsMissing: 'PMS_CONFIG_FIELDS_MISSING',
  ConfigDirectoryUnwritable: 'PMS_CONFIG_DIRECTORY_UNWRITABLE',
  CliUsage: 'PMS_CLI_USAGE',
  HcScopeMissing: 'PMS_HC_SCOPE_MISSING',
  FhirCapabilityMissing: 'PMS_FHIR_CAPABILITY_MISSING',
  PluginNotFound: 'PMS_PLUGIN_NOT_FOUND',
  PluginInvalid: 'PMS_PLUGIN_INVALID',
  PluginOptionsInvalid: 'PMS_PLUGIN_OPTIONS_INVALID',
  RecordGone: 'PMS_RECORD_GONE',
  RecordUnmappable: 'PMS_RECORD_UNMAPPABLE',
  NpiInvalid: 'PMS_NPI_INVALID',
  HcUnavailable: 'PMS_HC_UNAVAILABLE',
  HcRejected: 'PMS_HC_REJECTED',
  FhirUnavailable: 'PMS_FHIR_UNAVAILABLE',
  FhirRejected: 'PMS_FHIR_REJECTED',
  NetUnreachable: 'PMS_NET_UNREACHABLE',
  HcAuthRefused: 'PMS_HC_AUTH_REFUSED',
  HcWebhookRejected: 'PMS_HC_WEBHOOK_REJECTED',
  FhirAuthRefused: 'PMS_FHIR_AUTH_REFUSED',
  HcRateLimited: 'PMS_HC_RATE_LIMITED',
  FhirRateLimited: 'PMS_FHIR_RATE_LIMITED',
  NetTimeout: 'PMS_NET_TIMEOUT',
  StateDamaged: 'PMS_STATE_DAMAGED',
  StateMissing: 'PMS_STATE_MISSING',
  StateUnavailable: 'PMS_STATE_UNAVAILABLE',
  StateVersionNewer: 'PMS_STATE_VERSION_NEWER',
  StateLeaseHeld: 'PMS_STATE_LEASE_HELD',
  StateClosed: 'PMS_STATE_CLOSED',
  SinkNoOutcome: 'PMS_SINK_NO_OUTCOME',
  PublicationDiskFull: 'PMS_PUBLICATION_DISK_FULL',
  PublicationWriteFailed: 'PMS_PUBLICATION_WRITE_FAILED',
  PublicationDamaged: 'PMS_PUBLICATION_DAMAGED',
} as const satisfies Record<string, ErrorCode>;

/** Every code, for tools and the test that keeps `docs/errors.md` complete. */
export const errorCodes: readonly ErrorCode[] = Object.keys(CATEGORY_OF_CODE) as ErrorCode[];

/** Whether `value` is a code this version of pmsbridge knows. */
export function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === 'string' && Object.hasOwn(CATEGORY_OF_CODE, value);
}

/** The category of `code`; `PMS_UNEXPECTED` for a code this version does not know. */
export function errorCategoryOf(code: string): ErrorCategory {
  return isErrorCode(code) ? CATEGORY_OF_CODE[code] : ErrorCategory.Unexpected;
}

/**
 * The `pmsbridge` CLI's exit code for an error of `code`: 2 for a usage, config or plugin
 * problem (fix the input, then run again), 1 for a run that failed.
 */
export function exitCodeOf(code: string): 1 | 2 {
  const category = errorCategoryOf(code);
  return category === ErrorCategory.Config || category === ErrorCategory.Plugin ? 2 : 1;
}
