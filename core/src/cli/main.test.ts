import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { capture, cliFixtures as fixtures } from './captured-io.test-helper.js';
import { ExitCode, runCli } from './main.js';

describe('pmsbridge CLI', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'pmsbridge-cli-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  async function config(
    options: { fail?: boolean; stages?: string; sync?: string } = {},
  ): Promise<string> {
    const path = join(dir, 'pipeline.yaml');
    await writeFile(
      path,
      `pipeline: cli
state: { path: state.sqlite }
log: { level: silent }
source: { use: '${join(fixtures, 'counting-source.mjs')}', options: { count: 5 } }
${options.stages ?? ''}
sinks:
  - { use: '${join(fixtures, 'failing-sink.mjs')}', name: out, options: { fail: ${options.fail === true} } }
${options.sync ?? ''}
`,
    );
    return path;
  }

  it('prints the version and help with exit code 0', async () => {
    const { out, io } = capture();
    expect(await runCli(['--version'], io)).toBe(ExitCode.Ok);
    expect(out.stdout).toMatch(/^\d+\.\d+\.\d+\n$/);
    expect(await runCli(['--help'], io)).toBe(ExitCode.Ok);
    expect(out.stdout).toContain('pmsbridge sync --config FILE');
  });

  it('exits with 2 on usage and config errors, naming the problem', async () => {
    const { out, io } = capture();
    expect(await runCli([], io)).toBe(ExitCode.Usage);
    expect(await runCli(['sync'], io)).toBe(ExitCode.Usage);
    expect(out.stderr).toContain('--config FILE is required');
    expect(await runCli(['sync', '--config', join(dir, 'missing.yaml')], io)).toBe(ExitCode.Usage);
    await writeFile(
      join(dir, 'bad.yaml'),
      'source: { use: x }\nsinks: [{ use: y }]\nsync: { batchSize: 0 }\n',
    );
    expect(await runCli(['validate', '--config', join(dir, 'bad.yaml')], io)).toBe(ExitCode.Usage);
    expect(out.stderr).toContain('sync.batchSize');
    expect(await runCli(['sync', '--config', await config(), '--mode', 'sideways'], io)).toBe(
      ExitCode.Usage,
    );
  });

  it('validates a config by loading every plugin', async () => {
    const { out, io } = capture();
    expect(await runCli(['validate', '--config', await config()], io)).toBe(ExitCode.Ok);
    expect(out.stdout).toContain('valid (pipeline "cli", 0 stage(s), 1 sink(s))');
  });

  it('syncs and prints the summary as one JSON object with --json', async () => {
    const { out, io } = capture();
    expect(await runCli(['sync', '--config', await config(), '--mode', 'full', '--json'], io)).toBe(
      ExitCode.Ok,
    );
    const summary = JSON.parse(out.stdout) as {
      read: number;
      written: number;
      sinks: Record<string, unknown>;
    };
    expect(summary).toMatchObject({ read: 5, written: 5, mode: 'full' });
    expect(summary.sinks.out).toEqual({
      Thing: { created: 5, updated: 0, unchanged: 0, deleted: 0 },
    });
  });

  it('exits with 1 when the run fails', async () => {
    const { out, io } = capture();
    expect(
      await runCli(['sync', '--config', await config({ fail: true }), '--mode', 'full'], io),
    ).toBe(ExitCode.Failed);
    expect(out.stderr).toContain('destination unreachable');
  });

  const rejecting = (...ids: string[]) =>
    `stages: [{ use: '${join(fixtures, 'reject-stage.mjs')}', options: { reject: [${ids.join(', ')}] } }]`;

  it('exits with 1 and says why when more than the allowed share of records was dead-lettered', async () => {
    const { out, io } = capture();
    const path = await config({ stages: rejecting('PRV0000000002', 'PRV0000000004') });
    expect(await runCli(['sync', '--config', path, '--mode', 'full'], io)).toBe(ExitCode.Failed);
    expect(out.stdout).toContain('dead-lettered 2');
    expect(out.stdout).toContain(
      'FAILED [PMS_DEAD_LETTER_THRESHOLD]: 2 of 5 records (40 %) were dead-lettered, more than the 10 % allowed',
    );
    expect(out.stderr).toContain('[PMS_DEAD_LETTER_THRESHOLD]');

    out.stdout = '';
    expect(await runCli(['sync', '--config', path, '--mode', 'full', '--json'], io)).toBe(
      ExitCode.Failed,
    );
    expect(JSON.parse(out.stdout)).toMatchObject({
      ok: false,
      deadLettered: 2,
      deadLetterShare: 0.4,
      error: { code: 'PMS_DEAD_LETTER_THRESHOLD', message: expect.stringContaining('40 %') },
    });
  });

  it('accepts as many dead letters as sync.deadLetterThreshold allows', async () => {
    const { out, io } = capture();
    const path = await config({
      stages: rejecting('PRV0000000002', 'PRV0000000004'),
      sync: 'sync: { deadLetterThreshold: 0.4 }',
    });
    expect(await runCli(['sync', '--config', path, '--mode', 'full', '--json'], io)).toBe(
      ExitCode.Ok,
    );
    expect(JSON.parse(out.stdout)).toMatchObject({ ok: true, deadLettered: 2 });
  });

  it('lists, replays and purges dead letters', async () => {
    const { out, io } = capture();
    const path = await config({
      stages: rejecting('PRV0000000003'),
      sync: 'sync: { deadLetterThreshold: 0.5 }',
    });
    expect(await runCli(['sync', '--config', path, '--mode', 'full', '--json'], io)).toBe(
      ExitCode.Ok,
    );
    expect(JSON.parse(out.stdout)).toMatchObject({ read: 5, written: 4, deadLettered: 1 });
    out.stdout = '';
    expect(await runCli(['dlq', 'list', '--config', path, '--json'], io)).toBe(ExitCode.Ok);
    const letters = JSON.parse(out.stdout) as Array<{ key: string; stage: string }>;
    expect(letters.map((letter) => letter.key)).toEqual(['PRV0000000003']);
    out.stdout = '';
    expect(await runCli(['dlq', 'replay', '--config', path, '--json'], io)).toBe(ExitCode.Ok);
    expect(JSON.parse(out.stdout)).toMatchObject({ read: 1, deadLettered: 1 });
    out.stdout = '';
    expect(await runCli(['dlq', 'purge', '--config', path], io)).toBe(ExitCode.Ok);
    expect(out.stdout).toContain('1 dead letter(s) purged');
  });
});
