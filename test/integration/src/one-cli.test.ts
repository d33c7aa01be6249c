import { describe, expect, it } from '@jest/globals';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { runCli } from '@pmsbridge/core';

/** Streams for `runCli` that keep what it printed. */
function capture() {
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

describe('one operator CLI', () => {
  it('lists the adapters’ commands beside core’s in its help', async () => {
    const { out, io } = capture();
    expect(await runCli(['--help'], io)).toBe(0);
    for (const command of ['sync', 'validate', 'dlq', 'webhooks', 'publish'])
      expect(out.stdout).toMatch(new RegExp(`^  ${command} `, 'm'));
  });

  it.each([
    ['publish', 'pmsbridge publish serve DIR'],
    ['webhooks', 'pmsbridge webhooks --config FILE'],
  ])('runs `pmsbridge %s --help` from the adapter that defines it', async (command, usage) => {
    const { out, io } = capture();
    expect(await runCli([command, '--help'], io)).toBe(0);
    expect(out.stdout).toContain(usage);
  });

  it('reports a usage error of an adapter command with its code and exit 2', async () => {
    const { out, io } = capture();
    expect(await runCli(['publish', 'unpublish'], io)).toBe(2);
    expect(out.stderr).toContain('publish needs: serve DIR');
    expect(out.stderr).toContain('[PMS_CLI_USAGE]');
  });

  it('asks webhooks for its config, and refuses one whose source is not HealthConnect', async () => {
    const missing = capture();
    expect(await runCli(['webhooks'], missing.io)).toBe(2);
    expect(missing.out.stderr).toContain('--config FILE is required');

    const dir = await mkdtemp(join(tmpdir(), 'pmsbridge-one-cli-'));
    try {
      const source = fileURLToPath(
        new URL('../../../core/src/cli/fixtures/counting-source.mjs', import.meta.url),
      );
      const config = join(dir, 'pipeline.yaml');
      await writeFile(
        config,
        `source: { use: '${source}', options: { count: 1 } }\nsinks: [{ use: '@pmsbridge/adapter-smart-scheduling-links', options: { outputDir: out, baseUrl: 'https://pub.example' } }]\n`,
      );
      const { out, io } = capture();
      expect(await runCli(['webhooks', '--config', config], io)).toBe(2);
      expect(out.stderr).toContain(
        `source.use is "${source}"; webhooks come from @pmsbridge/adapter-healthconnect`,
      );
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
