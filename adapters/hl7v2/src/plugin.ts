import { readFileSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import { ConfigError, defineSink, type Sink } from '@pmsbridge/core';
import { Hl7MessageOptionsSchema } from './messages/message-options.js';
import { MllpClient, type MllpTlsOptions } from './mllp/mllp-client.js';
import { Hl7SinkOptionsSchema, type Hl7SinkOptions } from './sink-options.js';
import { Hl7v2Sink } from './sink.js';

/** An option the schema already required for the mode; checked again for the types. */
function required<T>(value: T | undefined, option: string, entry: string): T {
  if (value === undefined) throw new ConfigError(`${entry}.options.${option} is required`);
  return value;
}

/** Reads a PEM file named in the options; the error names the option, never the content. */
function readPem(path: string, option: string, baseDir: string, entry: string): Buffer {
  try {
    return readFileSync(resolve(baseDir, path));
  } catch (cause) {
    throw new ConfigError(`${entry}.options.tls.${option}: cannot read ${path}`, { cause });
  }
}

function tlsOf(
  tls: Hl7SinkOptions['tls'],
  baseDir: string,
  entry: string,
): MllpTlsOptions | undefined {
  if (tls === undefined) return undefined;
  const pem = (option: 'ca' | 'cert' | 'key') => {
    const path = tls[option];
    return path === undefined ? {} : { [option]: readPem(path, option, baseDir, entry) };
  };
  return {
    ...pem('ca'),
    ...pem('cert'),
    ...pem('key'),
    ...(tls.servername === undefined ? {} : { servername: tls.servername }),
    rejectUnauthorized: tls.rejectUnauthorized,
  };
}

/**
 * The `@pmsbridge/adapter-hl7v2` plugin: an {@link Hl7v2Sink} sending over MLLP (TLS when
 * `tls` is set) or, with `mode: 'file'`, writing one batch file per run into `outputDir`,
 * with the application's state store, logger and clock.
 */
export const hl7v2Plugin = defineSink({
  id: '@pmsbridge/adapter-hl7v2',
  options: Hl7SinkOptionsSchema,
  needs: { logger: 'logger', clock: 'clock', state: 'state' },
  // What the MFN and SIU messages read.
  requiredProviderFields: ['id', 'npi', 'name', 'specialties', 'locations', 'phone', 'status'],
  create: ({ options, name, entry, baseDir, services: { logger, clock, state } }): Sink => {
    const tls = options.mode === 'mllp' ? tlsOf(options.tls, baseDir, entry) : undefined;
    const messageOptions = Hl7MessageOptionsSchema.parse(
      Object.fromEntries(
        Object.keys(Hl7MessageOptionsSchema.shape).map((k) => [
          k,
          options[k as keyof typeof options],
        ]),
      ),
    );
    const sinkLogger = logger.child({ sink: name });
    const sinkOptions = {
      name,
      maxRetries: options.maxRetries,
      retryDelayMs: options.retryDelayMs,
    };
    const common = {
      stateStore: state,
      logger: sinkLogger,
      clock,
      messages: { options: messageOptions, clock },
    };
    if (options.mode === 'file') {
      const outputDir = required(options.outputDir, 'outputDir', entry);
      return new Hl7v2Sink(sinkOptions, {
        ...common,
        file: { outputDir: isAbsolute(outputDir) ? outputDir : resolve(baseDir, outputDir) },
      });
    }
    const host = required(options.host, 'host', entry);
    const port = required(options.port, 'port', entry);
    return new Hl7v2Sink(sinkOptions, {
      ...common,
      connect: () =>
        new MllpClient(
          {
            host,
            port,
            ...(tls === undefined ? {} : { tls }),
            connectTimeoutMs: options.connectTimeoutMs,
            ackTimeoutMs: options.ackTimeoutMs,
            reconnect: {
              attempts: options.connectAttempts,
              baseDelayMs: Math.max(options.retryDelayMs, 1),
              maxDelayMs: 30_000,
            },
          },
          { logger: sinkLogger },
        ),
    });
  },
});

export default hl7v2Plugin;
