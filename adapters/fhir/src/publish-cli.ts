#!/usr/bin/env node
import { parseArgs } from 'node:util';
import { servePublication } from './publication-server.js';

const USAGE =
  'usage: pmsbridge-publish serve DIR [--port P] [--host H] [--base-url URL] [--max-age SECONDS]';

/** `pmsbridge-publish serve DIR --port P --base-url URL`: serves a bulk publication until SIGINT/SIGTERM. */
async function main(argv: string[]): Promise<number> {
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
  const [command, dir] = positionals;
  if (values.help === true || command !== 'serve' || dir === undefined) {
    process.stderr.write(`${USAGE}\n`);
    return values.help === true ? 0 : 2;
  }
  const port = Number(values.port);
  const maxAgeSeconds = Number(values['max-age']);
  if (
    !Number.isInteger(port) ||
    port < 0 ||
    !Number.isInteger(maxAgeSeconds) ||
    maxAgeSeconds < 0
  ) {
    process.stderr.write(`--port and --max-age must be non-negative integers\n${USAGE}\n`);
    return 2;
  }
  const server = await servePublication({
    dir,
    port,
    host: values.host,
    baseUrl: values['base-url'],
    maxAgeSeconds,
  });
  process.stdout.write(
    `serving ${dir} at ${server.url}/$bulk-publish (listening on ${server.listenUrl})\n`,
  );
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  await server.close();
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(
      `pmsbridge-publish: ${error instanceof Error ? error.message : String(error)}\n`,
    );
    process.exitCode = 1;
  },
);
