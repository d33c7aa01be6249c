#!/usr/bin/env node
import { parseArgs } from 'node:util';
import { startHl7Peer } from './hl7-peer.js';

const USAGE = `Usage: pmsbridge-hl7-peer [--port 2575] [--host 127.0.0.1] [--quiet]

Runs an HL7 v2 MLLP peer that answers AA to every message and prints each message's type and
control id (MSH-10) as it arrives. Ctrl-C stops it and prints how many messages it accepted.
  --port   TCP port (default 2575; 0 picks a free one)
  --host   interface to listen on (default 127.0.0.1)
  --quiet  print no line per message`;

async function main(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      port: { type: 'string', default: '2575' },
      host: { type: 'string', default: '127.0.0.1' },
      quiet: { type: 'boolean', default: false },
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
  const peer = await startHl7Peer({ port, host: values.host });
  process.stdout.write(`mllp://${values.host}:${peer.port}\n`);
  let shown = 0;
  const timer = setInterval(() => {
    if (values.quiet) return;
    for (const message of peer.received().slice(shown))
      process.stdout.write(
        `${message.type || '(unparsed)'} ${message.controlId} ${message.reply}${message.duplicate ? ' (resend, taken once)' : ''}\n`,
      );
    shown = peer.received().length;
  }, 200);
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  clearInterval(timer);
  await peer.close();
  process.stdout.write(
    `accepted ${peer.accepted().length} message(s) of ${peer.received().length} received\n`,
  );
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(
      `pmsbridge-hl7-peer: ${error instanceof Error ? error.message : String(error)}\n`,
    );
    process.exitCode = 1;
  },
);
