import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { createRequire } from 'node:module';
import { silentLogger } from '@pmsbridge/core';
import { BulkPublishSink, type BulkPublishManifest } from './bulk-publish-sink.js';
import { buildRecord } from '@pmsbridge/fhir-mapping/testing';

/** The built `pmsbridge` CLI (`npx tsc -b` first), which loads this package's command. */
const cli = join(
  dirname(createRequire(import.meta.url).resolve('@pmsbridge/core/package.json')),
  'dist',
  'cli',
  'bin.js',
);
const signal = new AbortController().signal;

/** Resolves with the first stdout line that matches, as it arrives. */
function lineMatching(child: ChildProcess, pattern: RegExp): Promise<string> {
  return new Promise((resolve, reject) => {
    let buffer = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      buffer += chunk.toString();
      const line = buffer.split('\n').find((text) => pattern.test(text));
      if (line !== undefined) resolve(line);
    });
    child.once('exit', (code) => reject(new Error(`exited with ${String(code)}: ${buffer}`)));
  });
}

describe('pmsbridge publish serve', () => {
  let dir: string;
  let child: ChildProcess | undefined;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'pmsbridge-publish-cli-'));
  });
  afterEach(async () => {
    if (child !== undefined && child.exitCode === null) {
      const exited = once(child, 'exit');
      child.kill('SIGTERM');
      await exited;
    }
    child = undefined;
    await rm(dir, { recursive: true, force: true });
  });

  it('serves every manifest URL against --base-url, not the base the files were written with', async () => {
    const sink = new BulkPublishSink(
      {
        outputDir: dir,
        baseUrl: 'http://localhost:8080',
        mapping: { scheduleActor: 'location' },
      },
      { now: () => new Date('2026-12-01T08:00:00.000Z') },
      silentLogger,
    );
    await sink.open({ dryRun: false, mode: 'full', signal });
    await sink.write([buildRecord(1), buildRecord(2)], signal);
    await sink.close({ completed: true });

    child = spawn(
      process.execPath,
      [cli, 'publish', 'serve', dir, '--port', '0', '--base-url', 'https://pub.example/ssl'],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    const line = await lineMatching(child, /listening on/);
    expect(line).toContain('https://pub.example/ssl/$bulk-publish');
    const listenUrl = /listening on (http:\/\/\S+?)\)/.exec(line)?.[1] ?? '';
    const manifest = (await (
      await fetch(`${listenUrl}/$bulk-publish`)
    ).json()) as BulkPublishManifest;
    expect(manifest.request).toBe('https://pub.example/ssl/$bulk-publish');
    expect(manifest.output.length).toBeGreaterThan(0);
    for (const output of manifest.output) {
      expect(output.url.startsWith('https://pub.example/ssl/runs/')).toBe(true);
      const path = output.url.slice('https://pub.example/ssl'.length);
      expect((await fetch(`${listenUrl}${path}`)).status).toBe(200);
    }
  });

  it('refuses a bad --port with a usage error naming the option (exit 2)', async () => {
    child = spawn(process.execPath, [cli, 'publish', 'serve', dir, '--port', 'eighty'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const [code] = (await once(child, 'exit')) as [number | null];
    expect(code).toBe(2);
    expect(stderr).toContain('--port must be a non-negative integer, got "eighty"');
    expect(stderr).toContain('[PMS_CLI_USAGE]');
  });
});
