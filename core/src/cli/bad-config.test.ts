import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { capture, cliFixtures as fixtures } from './captured-io.test-helper.js';
import { ExitCode, runCli } from './main.js';

describe('pmsbridge and unknown config keys', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'pmsbridge-bad-config-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  /** Writes a config whose parts can be replaced, and runs `command` on it. */
  async function run(
    command: 'validate' | 'sync',
    parts: { top?: string; source?: string; sink?: string; sync?: string } = {},
  ): Promise<{ code: number; stderr: string }> {
    const path = join(dir, 'pipeline.yaml');
    await writeFile(
      path,
      `pipeline: typos
state: { path: state.sqlite }
log: { level: silent }
${parts.top ?? ''}
source: { use: '${join(fixtures, 'counting-source.mjs')}', options: { ${parts.source ?? 'count: 3'} } }
sinks:
  - { use: '${join(fixtures, 'failing-sink.mjs')}', name: out, ${parts.sink ?? 'options: {}'} }
sync: { ${parts.sync ?? ''} }
`,
    );
    const { out, io } = capture();
    const code = await runCli([command, '--config', path], io);
    return { code, stderr: out.stderr };
  }

  it('accepts a config without unknown keys', async () => {
    expect((await run('validate')).code).toBe(ExitCode.Ok);
  });

  it.each([
    ['sync', { sync: 'batchsize: 200' }, 'sync.batchsize: unknown key (did you mean batchSize?)'],
    ['the top level', { top: 'pipline: x' }, 'pipline: unknown key (did you mean pipeline?)'],
    [
      'a plugin entry',
      { sink: 'nmae: other, options: {}' },
      'sinks[0].nmae: unknown key (did you mean name?)',
    ],
    [
      "a plugin's options, whose schema strips unknown keys",
      { source: 'count: 3, cuont: 4' },
      'source.options.cuont: unknown key (did you mean count?) (plugin counting-source)',
    ],
    [
      "a plugin's options, without a close match",
      { sink: 'options: { colour: blue }' },
      'sinks[0].options.colour: unknown key (plugin failing-sink)',
    ],
  ])(
    'refuses an unknown key in %s with exit 2, naming its path',
    async (_where, parts, message) => {
      for (const command of ['validate', 'sync'] as const) {
        const { code, stderr } = await run(command, parts);
        expect(code).toBe(ExitCode.Usage);
        expect(stderr).toContain(message);
      }
    },
  );
});
