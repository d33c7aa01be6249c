import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

// The built CLI of @pmsbridge/core, with the real adapters resolved from the config's directory.
const bin = join(
  dirname(createRequire(import.meta.url).resolve('@pmsbridge/core/package.json')),
  'dist',
  'cli',
  'bin.js',
);

function runCli(args: string[], cwd: string): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve, reject) => {
    // Killed if it hangs, so that a regression fails the test instead of stalling the suite.
    const child = spawn(process.execPath, [bin, ...args], {
      cwd,
      stdio: ['ignore', 'ignore', 'pipe'],
      timeout: 30_000,
      killSignal: 'SIGKILL',
    });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('exit', (code) => resolve({ code, stderr }));
  });
}

interface Parts {
  source?: string;
  sink?: string;
}

/** HealthConnect source → FHIR bulk publication; nothing listens on port 9, nothing is read. */
function config(parts: Parts): string {
  return `pipeline: config-errors
state: { path: state.sqlite }
log: { level: silent }
source:
  use: '@pmsbridge/adapter-healthconnect'
  options: { clientId: id, clientSecret: secret, ${parts.source ?? "baseUrl: 'http://127.0.0.1:9/provider/v2', tokenUrl: 'http://127.0.0.1:9/token'"} }
sinks:
  - use: '@pmsbridge/adapter-smart-scheduling-links'
    name: bulk
    options: { ${parts.sink ?? "outputDir: out, baseUrl: 'http://localhost:8080'"} }
`;
}

describe('pmsbridge with the real adapters refuses bad options', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'pmsbridge-config-errors-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  async function run(command: string[], parts: Parts) {
    await writeFile(join(dir, 'pipeline.yaml'), config(parts));
    return runCli([...command, '--config', 'pipeline.yaml'], dir);
  }

  it('validates the config these cases start from', async () => {
    expect(await run(['validate'], {})).toEqual({ code: 0, stderr: '' });
  });

  it.each([
    [
      'an ftp HealthConnect base URL',
      { source: "baseUrl: 'ftp://api.example.com/provider/v2'" },
      'source.options.baseUrl: must be an http:// or https:// URL',
    ],
    [
      'a file: token URL',
      { source: "tokenUrl: 'file:///etc/hosts'" },
      'source.options.tokenUrl: must be an http:// or https:// URL',
    ],
    [
      'an ftp publication base URL',
      { sink: "outputDir: out, baseUrl: 'ftp://files.example.com'" },
      'sinks[0].options.baseUrl: must be an http:// or https:// URL',
    ],
    [
      'a misspelt HealthConnect option',
      { source: "baseUrl: 'http://127.0.0.1:9/provider/v2', perpage: 10" },
      'source.options.perpage: unknown key (did you mean perPage?)',
    ],
    [
      'a misspelt nested HealthConnect option',
      { source: 'retry: { maxAttempt: 2 }' },
      'source.options.retry.maxAttempt: unknown key (did you mean maxAttempts?)',
    ],
  ])('%s is a config error (exit 2) naming the field', async (_case, parts, message) => {
    for (const command of [['validate'], ['sync', '--mode', 'full']]) {
      const { code, stderr } = await run(command, parts);
      expect(code).toBe(2);
      expect(stderr).toContain(message);
    }
  });

  it('a FHIR server base URL that is not http(s) is a config error', async () => {
    await writeFile(
      join(dir, 'pipeline.yaml'),
      config({})
        .replace("'@pmsbridge/adapter-smart-scheduling-links'", "'@pmsbridge/adapter-fhir'")
        .replace(/options: \{ outputDir.*\}/, "options: { baseUrl: 'file:///srv/fhir' }"),
    );
    const { code, stderr } = await runCli(['validate', '--config', 'pipeline.yaml'], dir);
    expect(code).toBe(2);
    expect(stderr).toContain('sinks[0].options.baseUrl: must be an http:// or https:// URL');
  });

  (existsSync('/proc/1') ? it.each : it.skip.each)([
    ['cannot be created', '/proc/pmsbridge-out'],
    ['cannot be written', '/proc'],
  ])(
    'an output directory that %s is reported with the option that names it',
    async (problem, outputDir) => {
      const { code, stderr } = await run(['sync', '--mode', 'full'], {
        sink: `outputDir: ${outputDir}, baseUrl: 'http://localhost:8080'`,
      });
      expect(code).toBe(2);
      expect(stderr).toContain(`sinks[0].options.outputDir: the directory ${outputDir} ${problem}`);
    },
  );
});
