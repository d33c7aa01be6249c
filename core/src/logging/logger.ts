import winston from 'winston';
import type { LogFields, Logger } from '../ports/logger.js';
import { redact, redactText } from './redact.js';

/** Log levels, from most to least verbose. */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error' | 'silent';

/** Options of {@link createLogger}. */
export interface LoggerOptions {
  /** `PMSBRIDGE_LOG_LEVEL` overrides it when set; default `info`. */
  level?: LogLevel;
  /** `json` (one object per line) or `pretty`; defaults to pretty on a TTY, JSON otherwise. */
  format?: 'json' | 'pretty';
  /** Where lines go; defaults to stderr so that stdout stays free for `--json` output. */
  stream?: NodeJS.WritableStream;
}

const scrub = winston.format((info) => {
  const { level, message, ...fields } = info;
  const clean = redact(fields) as Record<string, unknown>;
  const out = { level, message: redactText(String(message)), ...clean };
  for (const key of Object.keys(info)) if (!(key in out)) delete info[key];
  return Object.assign(info, out);
});

class WinstonLogger implements Logger {
  constructor(private readonly target: winston.Logger) {}
  debug(message: string, fields?: LogFields): void {
    this.target.debug(message, fields);
  }
  info(message: string, fields?: LogFields): void {
    this.target.info(message, fields);
  }
  warn(message: string, fields?: LogFields): void {
    this.target.warn(message, fields);
  }
  error(message: string, fields?: LogFields): void {
    this.target.error(message, fields);
  }
  child(fields: LogFields): Logger {
    return new WinstonLogger(this.target.child(redact(fields) as LogFields));
  }
}

/** Creates the winston-backed logger that redacts secrets from every line. */
export function createLogger(options: LoggerOptions = {}): Logger {
  const fromEnv = process.env.PMSBRIDGE_LOG_LEVEL;
  const level =
    (fromEnv === undefined || fromEnv === '' ? options.level : (fromEnv as LogLevel)) ?? 'info';
  const stream = options.stream ?? process.stderr;
  const isTty = (stream as { isTTY?: boolean }).isTTY === true;
  const format = options.format ?? (isTty ? 'pretty' : 'json');
  const output =
    format === 'json'
      ? winston.format.json()
      : winston.format.combine(winston.format.colorize(), winston.format.simple());
  return new WinstonLogger(
    winston.createLogger({
      level: level === 'silent' ? 'error' : level,
      silent: level === 'silent',
      format: winston.format.combine(scrub(), winston.format.timestamp(), output),
      transports: [new winston.transports.Stream({ stream })],
    }),
  );
}

/** A logger that drops everything; for tests and embedding. */
export const silentLogger: Logger = {
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
  child: () => silentLogger,
};
