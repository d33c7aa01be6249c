#!/usr/bin/env node
import { parseArgs } from 'node:util';
import { startFhirServer } from './fhir-server.js';

const USAGE = `Usage: pmsbridge-fhir-server [--port 8103] [--host 127.0.0.1] [--token SECRET]
                             [--no-update-create] [--no-conditional-update]

Runs an in-memory FHIR R4 server and prints its base URL. Ctrl-C stops it.
  --port   TCP port (default 8103; 0 picks a free one)
  --host   interface to listen on (default 127.0.0.1)
  --token  require "Authorization: Bearer <token>" (or set PMSBRIDGE_FHIR_SERVER_TOKEN)
  --no-update-create       refuse PUTs that would create with a client-assigned id
  --no-conditional-update  refuse conditional updates (PUT /{type}?identifier=...)`;

async function main(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      port: { type: 'string', default: '8103' },
      host: { type: 'string', default: '127.0.0.1' },
      token: { type: 'string' },
      'no-update-create': { type: 'boolean', default: false },
      'no-conditional-update': { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const port = Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    process.stderr.write(`--port must be an integer from 0 to 65535, got "${values.port}"\n`);
    return 2;
  }
  const server = await startFhirServer({
    port,
    host: values.host,
    bearerToken: values.token ?? process.env['PMSBRIDGE_FHIR_SERVER_TOKEN'],
    updateCreate: !values['no-update-create'],
    conditionalUpdate: !values['no-conditional-update'],
  });
  process.stdout.write(`${server.baseUrl}\n`);
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
      `pmsbridge-fhir-server: ${error instanceof Error ? error.message : String(error)}\n`,
    );
    process.exitCode = 1;
  },
);
