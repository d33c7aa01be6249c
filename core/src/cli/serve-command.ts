import { parseArgs } from 'node:util';
import { loadConfig } from '../config/config-loader.js';
import { ConfigError, ErrorCode } from '../errors/errors.js';
import { createLogger } from '../logging/logger.js';
import { hashApiKey, newApiKey } from '../serve/api-keys.js';
import { openServeApp } from '../serve/serve-app.js';

export const SERVE_USAGE = `pmsbridge serve — the provider directory, availability and booking HTTP API

Usage:
  pmsbridge serve --config FILE [--port N] [--host ADDR]
  pmsbridge serve --new-key ID [--scopes read,book]

The config's source is the directory (it must search providers and read schedules), its
booking entry the partner bookings go to, its state store the bookings' outbox, and its
serve section the port, host, API keys (SHA-256 only), rate limit and body limit. Bookings
left pending by a crash are settled with the partner before it listens. GET /openapi.json
describes the API; /healthz and /readyz need no key. It runs until SIGINT or SIGTERM.

--new-key ID prints a new random API key (give it to the client; it is shown once) and the
entry for serve.apiKeys, which holds only its hash.`;

function usageError(message: string): ConfigError {
  return new ConfigError(`${message}\n${SERVE_USAGE}`, { code: ErrorCode.CliUsage });
}

/** `pmsbridge serve`. */
export async function runServe(
  argv: string[],
  io: { stdout: NodeJS.WritableStream; stderr: NodeJS.WritableStream },
  signal: AbortSignal,
): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      config: { type: 'string', short: 'c' },
      port: { type: 'string' },
      host: { type: 'string' },
      'new-key': { type: 'string' },
      scopes: { type: 'string', default: 'read,book' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help === true) {
    io.stdout.write(`${SERVE_USAGE}\n`);
    return 0;
  }
  if (values['new-key'] !== undefined) {
    const scopes = values.scopes.split(',').map((s) => s.trim());
    if (scopes.some((s) => s !== 'read' && s !== 'book')) {
      throw usageError(`--scopes takes read and/or book, got "${values.scopes}"`);
    }
    const key = newApiKey();
    io.stdout.write(
      `API key (give it to the client; it is not shown again):\n  ${key}\n` +
        `Entry for serve.apiKeys:\n  - { id: ${values['new-key']}, hash: '${hashApiKey(key)}', scopes: [${scopes.join(', ')}] }\n`,
    );
    return 0;
  }
  if (values.config === undefined) throw usageError('--config FILE is required');
  const port = values.port === undefined ? undefined : Number(values.port);
  if (port !== undefined && (!Number.isInteger(port) || port < 0 || port > 65535)) {
    throw usageError(`--port must be an integer from 0 to 65535, got "${values.port}"`);
  }
  const loaded = await loadConfig(values.config);
  const logger = createLogger({
    level: loaded.config.log.level,
    format: loaded.config.log.format,
    stream: io.stderr as NodeJS.WriteStream,
  });
  const app = await openServeApp(loaded, {
    logger,
    signal,
    ...(port === undefined ? {} : { port }),
    ...(values.host === undefined ? {} : { host: values.host }),
  });
  io.stdout.write(
    `pmsbridge serve: listening on ${app.server.url} (API described at ${app.server.url}/openapi.json)\n`,
  );
  await new Promise<void>((resolve) => {
    if (signal.aborted) resolve();
    signal.addEventListener('abort', () => resolve(), { once: true });
  });
  await app.close();
  return 0;
}
