import { createToken } from './token.js';

/** Structured fields attached to a log line. */
export type LogFields = Record<string, unknown>;

/** A structured logger; secrets in fields are redacted by the implementation. */
export interface Logger {
  debug(message: string, fields?: LogFields): void;
  info(message: string, fields?: LogFields): void;
  warn(message: string, fields?: LogFields): void;
  error(message: string, fields?: LogFields): void;
  /** A logger that adds `fields` to every line, e.g. `{ component: 'fhir-sink' }`. */
  child(fields: LogFields): Logger;
}

/** Service identifier of {@link Logger}. */
export const LoggerToken = createToken<Logger>('Logger');
