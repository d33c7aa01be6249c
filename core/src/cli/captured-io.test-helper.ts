import { dirname, join } from 'node:path';
import { Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';

/** The CLI tests' plugin fixtures (`fixtures/*.mjs`). */
export const cliFixtures = join(dirname(fileURLToPath(import.meta.url)), 'fixtures');

/** Streams for `runCli`'s io that keep what the CLI printed, for the test to read. */
export function capture() {
  const out = { stdout: '', stderr: '' };
  const stream = (key: 'stdout' | 'stderr') =>
    new Writable({
      write(chunk: Buffer, _encoding, done) {
        out[key] += chunk.toString();
        done();
      },
    }) as unknown as NodeJS.WriteStream;
  return { out, io: { stdout: stream('stdout'), stderr: stream('stderr') } };
}
