import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { capture, cliFixtures as fixtures } from './captured-io.test-helper.js';
import { ExitCode, runCli } from './main.js';

describe('pmsbridge CLI error codes', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'pmsbridge-codes-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  async function config(body: string): Promise<string> {
    const path = join(dir, 'pipeline.yaml');
    await writeFile(
      path,
      `pipeline: codes
state: { path: state.sqlite }
log: { level: silent }
source: { use: '${join(fixtures, 'counting-source.mjs')}', options: { count: 3 } }
${body}
`,
    );
    return path;
  }

  const sink = (options: string) =>
    `sinks: [{ use: '${join(fixtures, 'foreign-error-sink.mjs')}', name: out, options: ${options} }]`;

  async function run(argv: string[]) {
    const { out, io } = capture();
    const exitCode = await runCli([...argv, '--json'], io);
    const json = JSON.parse(out.stdout) as { ok: boolean; error?: Record<string, unknown> };
    return { exitCode, json, stderr: out.stderr };
  }

  it('gives a command-line mistake a code and its category, exit code 2', async () => {
    const result = await run(['sync', '--config', await config(sink('{}')), '--mode', 'sideways']);
    expect(result.exitCode).toBe(ExitCode.Usage);
    expect(result.json.error).toEqual({
      code: 'PMS_CLI_USAGE',
      category: 'PMS_CONFIG',
      message: '--mode must be full or incremental, got "sideways"',
    });
    expect(result.stderr).toContain('[PMS_CLI_USAGE]');
  });

  it('names a misspelt config key by its own code, exit code 2', async () => {
    const path = await config(`${sink('{}')}\nsync: { batchsize: 10 }`);
    const result = await run(['validate', '--config', path]);
    expect(result.exitCode).toBe(ExitCode.Usage);
    expect(result.json.error).toMatchObject({
      code: 'PMS_CONFIG_UNKNOWN_KEY',
      category: 'PMS_CONFIG',
    });
    expect(result.stderr).toMatch(/sync\.batchsize: unknown key.*\[PMS_CONFIG_UNKNOWN_KEY\]/);
  });

  it('names a plugin that cannot be loaded, exit code 2', async () => {
    const path = await config(`sinks: [{ use: './no-such-sink.mjs' }]`);
    const result = await run(['validate', '--config', path]);
    expect(result.exitCode).toBe(ExitCode.Usage);
    expect(result.json.error).toMatchObject({
      code: 'PMS_PLUGIN_NOT_FOUND',
      category: 'PMS_PLUGIN',
    });
  });

  it('reports the code of an error thrown by a plugin bundling another copy of core', async () => {
    const path = await config(sink('{ throwCode: PMS_FHIR_UNAVAILABLE }'));
    const result = await run(['sync', '--config', path, '--mode', 'full']);
    expect(result.exitCode).toBe(ExitCode.Failed);
    expect(result.json.error).toEqual({
      code: 'PMS_FHIR_UNAVAILABLE',
      category: 'PMS_REMOTE',
      message: 'the server answered HTTP 503',
    });
    expect(result.stderr).toContain('the server answered HTTP 503 [PMS_FHIR_UNAVAILABLE]');
  });

  it('fails a fail-fast run with the code of what failed the record, not PMS_VALIDATION', async () => {
    const path = await config(
      `${sink('{ rejectCode: PMS_FHIR_UNAVAILABLE }')}\nsync: { errorPolicy: fail-fast }`,
    );
    const result = await run(['sync', '--config', path, '--mode', 'full']);
    expect(result.exitCode).toBe(ExitCode.Failed);
    expect(result.json.error).toMatchObject({
      code: 'PMS_FHIR_UNAVAILABLE',
      category: 'PMS_REMOTE',
      message: expect.stringContaining('failed in out: the server answered HTTP 503'),
    });
  });

  it('adds the category to the error of a run judged failed', async () => {
    const path = await config(sink('{ rejectCode: PMS_FHIR_REJECTED }'));
    const result = await run(['sync', '--config', path, '--mode', 'full']);
    expect(result.exitCode).toBe(ExitCode.Failed);
    expect(result.json.error).toMatchObject({
      code: 'PMS_DEAD_LETTER_THRESHOLD',
      category: 'PMS_DEAD_LETTER_THRESHOLD',
    });
  });
});
