#!/usr/bin/env node
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { CERTIFICATE_FILE_NAMES, generateCertificates } from './certificates.js';
import { startSandbox, type SandboxOptions } from './sandbox.js';
import { ALL_SCOPES } from './token-issuer.js';

const USAGE = `Usage: pmsbridge-sandbox [--port 4010] [--host 127.0.0.1] [--providers 1000] [--seed 42]
  [--client-id ID --client-secret SECRET] [--rate-limit RPS] [--burst N] [--faults SPEC] [--mtls DIR]`;

/** Runs the sandbox from command-line arguments until SIGINT/SIGTERM. */
async function main(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: {
      port: { type: 'string', default: '4010' },
      host: { type: 'string', default: '127.0.0.1' },
      providers: { type: 'string', default: '1000' },
      seed: { type: 'string', default: '42' },
      'client-id': { type: 'string' },
      'client-secret': { type: 'string' },
      'rate-limit': { type: 'string' },
      burst: { type: 'string' },
      faults: { type: 'string' },
      mtls: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    console.log(USAGE);
    return;
  }
  const number = (name: string, raw: string | undefined): number | undefined => {
    if (raw === undefined) return undefined;
    const n = Number(raw);
    if (!Number.isFinite(n) || n < 0)
      throw new Error(`--${name} must be a non-negative number\n${USAGE}`);
    return n;
  };
  if ((values['client-id'] === undefined) !== (values['client-secret'] === undefined))
    throw new Error(`--client-id and --client-secret go together\n${USAGE}`);
  const options: SandboxOptions = {
    port: number('port', values.port),
    host: values.host,
    providers: number('providers', values.providers),
    seed: number('seed', values.seed),
    faults: values.faults,
  };
  if (values['client-id'] !== undefined && values['client-secret'] !== undefined)
    options.clients = [
      {
        clientId: values['client-id'],
        clientSecret: values['client-secret'],
        scopes: [...ALL_SCOPES],
      },
    ];
  const rps = number('rate-limit', values['rate-limit']);
  if (rps !== undefined)
    options.rateLimit = { requestsPerSecond: rps, burst: number('burst', values.burst) };
  if (values.mtls !== undefined) {
    await mkdir(values.mtls, { recursive: true });
    if (!existsSync(join(values.mtls, CERTIFICATE_FILE_NAMES.serverCert)))
      await generateCertificates(values.mtls);
    options.tls = { certDir: values.mtls, requireClientCert: true };
  }
  const sandbox = await startSandbox(options);
  console.log(`HealthConnect sandbox listening
  base URL:      ${sandbox.baseUrl}
  token URL:     ${sandbox.tokenUrl}
  client id:     ${sandbox.clientId}
  client secret: ${sandbox.clientSecret}
  admin API:     ${sandbox.url}/_sandbox/
  OpenAPI:       ${sandbox.url}/openapi.json`);
  if (values.mtls !== undefined)
    console.log(
      `  mTLS:          client certificate ${join(values.mtls, CERTIFICATE_FILE_NAMES.clientCert)}`,
    );
  const stop = (): void => {
    void sandbox.close().then(() => process.exit(0));
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

main(process.argv.slice(2)).catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : String(error));
  process.exit(1);
});
