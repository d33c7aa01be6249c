import { isAbsolute, resolve } from 'node:path';
import { ConfigError, defineSink, type Sink } from '@pmsbridge/core';
import { messageOptionsOf } from './messages/message-options.js';
import { MllpClient } from './mllp/mllp-client.js';
import { Hl7SinkOptionsSchema } from './sink-options.js';
import { Hl7v2Sink } from './sink.js';
import { loadTls } from './tls-options.js';

/** An option the schema already required for the mode; checked again for the types. */
function required<T>(value: T | undefined, option: string, entry: string): T {
  if (value === undefined) throw new ConfigError(`${entry}.options.${option} is required`);
  return value;
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
    const tls = options.mode === 'mllp' ? loadTls(options.tls, baseDir, entry) : undefined;
    const messageOptions = messageOptionsOf(options);
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
            applicationAckTimeoutMs: options.applicationAckTimeoutMs,
            reconnect: {
              attempts: options.connectAttempts,
              baseDelayMs: Math.max(options.retryDelayMs, 1),
              maxDelayMs: 30_000,
            },
          },
          { logger: sinkLogger, clock },
        ),
    });
  },
});

export default hl7v2Plugin;
