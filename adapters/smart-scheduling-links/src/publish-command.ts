import { parseArgs } from 'node:util';
import { ConfigError, ErrorCode, Metrics, defineCommand } from '@pmsbridge/core';
import { servePublication } from './publication-server.js';

const USAGE = `pmsbridge publish — serve a SMART Scheduling Links bulk publication over HTTP

Usage:
  pmsbridge publish serve DIR [--port 8080] [--host 127.0.0.1] [--base-url URL] [--max-age SECONDS]

DIR is the bulk sink's outputDir. --base-url is the public address the manifest's URLs are
rewritten to (default: the address it listens on); --max-age the Cache-Control max-age of
every file (default 300). It also answers GET /healthz, /readyz and /metrics (Prometheus).
It serves until SIGINT or SIGTERM, then lets the downloads under way finish before it exits.`;

function usageError(message: string): ConfigError {
  return new ConfigError(`${message}\n${USAGE}`, { code: ErrorCode.CliUsage });
}

function nonNegativeInteger(value: string, option: string): number {
  const number = Number(value);
  if (!Number.isInteger(number) || number < 0) {
    throw usageError(`${option} must be a non-negative integer, got "${value}"`);
  }
  return number;
}

/** `pmsbridge publish serve DIR`: serves a bulk publication until the process is told to stop. */
export default defineCommand({
  name: 'publish',
  summary: 'serve a SMART Scheduling Links bulk publication over HTTP',
  usage: USAGE,
  async run({ argv, stdout, signal }) {
    const { values, positionals } = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        port: { type: 'string', default: '8080' },
        host: { type: 'string', default: '127.0.0.1' },
        'base-url': { type: 'string' },
        'max-age': { type: 'string', default: '300' },
        help: { type: 'boolean', short: 'h' },
      },
    });
    if (values.help === true) {
      stdout.write(`${USAGE}\n`);
      return 0;
    }
    const [action, dir] = positionals;
    if (action !== 'serve' || dir === undefined) throw usageError('publish needs: serve DIR');
    const server = await servePublication({
      dir,
      port: nonNegativeInteger(values.port, '--port'),
      host: values.host,
      baseUrl: values['base-url'],
      maxAgeSeconds: nonNegativeInteger(values['max-age'], '--max-age'),
      metrics: new Metrics(),
    });
    stdout.write(
      `serving ${dir} at ${server.url}/$bulk-publish (listening on ${server.listenUrl})\n`,
    );
    if (!signal.aborted)
      await new Promise((resolve) => signal.addEventListener('abort', resolve, { once: true }));
    await server.close();
    return 0;
  },
});
