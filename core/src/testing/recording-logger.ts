import type { LogFields, Logger } from '../ports/logger.js';

/** One line a {@link RecordingLogger} took. */
export interface LoggedLine {
  level: 'debug' | 'info' | 'warn' | 'error';
  message: string;
  /** The line's fields merged over every enclosing child logger's fields. */
  fields: LogFields;
}

/**
 * A {@link Logger} that keeps every line, so a test can assert what was logged (and that
 * no secret or patient data was). Child loggers write into their parent's `lines`.
 */
export class RecordingLogger implements Logger {
  readonly lines: LoggedLine[];
  readonly #fields: LogFields;

  constructor(lines: LoggedLine[] = [], fields: LogFields = {}) {
    this.lines = lines;
    this.#fields = fields;
  }

  debug(message: string, fields?: LogFields): void {
    this.#take('debug', message, fields);
  }

  info(message: string, fields?: LogFields): void {
    this.#take('info', message, fields);
  }

  warn(message: string, fields?: LogFields): void {
    this.#take('warn', message, fields);
  }

  error(message: string, fields?: LogFields): void {
    this.#take('error', message, fields);
  }

  child(fields: LogFields): Logger {
    return new RecordingLogger(this.lines, { ...this.#fields, ...fields });
  }

  /** The messages logged at `level`, in order. */
  messages(level: LoggedLine['level']): string[] {
    return this.lines.filter((line) => line.level === level).map((line) => line.message);
  }

  #take(level: LoggedLine['level'], message: string, fields: LogFields = {}): void {
    this.lines.push({ level, message, fields: { ...this.#fields, ...fields } });
  }
}
