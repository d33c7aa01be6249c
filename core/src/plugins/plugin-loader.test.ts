import { describe, expect, it } from '@jest/globals';
import { Container } from 'inversify';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseConfig } from '../config/config-loader.js';
import { PluginError } from '../errors/errors.js';
import { assemblePipeline } from './pipeline-assembly.js';
import { loadPlugin } from './plugin-loader.js';
import { ProviderSourceToken, type ProviderSource } from '../ports/provider-source.js';
import { SinkToken, type Sink } from '../ports/sink.js';
import { definePlugin } from './plugin.js';
import { ContainerModule } from 'inversify';
import { z } from 'zod';

const here = dirname(fileURLToPath(import.meta.url));

describe('plugin loader', () => {
  it('loads a plugin from a local path and validates its options', async () => {
    const { plugin, options } = await loadPlugin(
      './fixtures/specialty-filter-plugin.mjs',
      { keep: ['cardiology'] },
      'stages[0]',
      here,
    );
    expect(plugin.name).toBe('specialty-filter');
    expect(options).toEqual({ keep: ['cardiology'] });
  });

  it('names the entry, the plugin and the field when options are wrong', async () => {
    const attempt = loadPlugin(
      './fixtures/specialty-filter-plugin.mjs',
      { keep: [] },
      'stages[2]',
      here,
    );
    await expect(attempt).rejects.toBeInstanceOf(PluginError);
    await expect(attempt).rejects.toThrow(
      /^stages\[2\]\.options\.keep: .*\(plugin specialty-filter\)$/,
    );
  });

  it('explains a path that cannot be loaded or does not export a plugin', async () => {
    await expect(loadPlugin('./fixtures/missing.mjs', {}, 'sinks[0]', here)).rejects.toThrow(
      /sinks\[0\]: cannot load plugin/,
    );
    await expect(loadPlugin('./fixtures/not-a-plugin.mjs', {}, 'sinks[0]', here)).rejects.toThrow(
      /sinks\[0\]: ".\/fixtures\/not-a-plugin.mjs" does not export a plugin/,
    );
  });
});

const fakeSource: ProviderSource = {
  async *listProviders() {},
  async getProvider() {
    return undefined;
  },
  async *changes() {},
};

describe('assemblePipeline', () => {
  it('resolves source, stages and sinks from the plugins the config names, and runs hooks in order', async () => {
    const events: string[] = [];
    const lifecycle = (label: string) => ({
      start: async () => {
        events.push(`start ${label}`);
      },
      stop: async () => {
        events.push(`stop ${label}`);
      },
    });
    const sourcePlugin = definePlugin({
      name: 'inline-source',
      optionsSchema: z.object({}),
      register: () =>
        new ContainerModule(({ bind }) => {
          bind(ProviderSourceToken).toConstantValue({ ...fakeSource, ...lifecycle('source') });
        }),
    });
    const sinkPlugin = definePlugin({
      name: 'inline-sink',
      optionsSchema: z.object({ label: z.string() }),
      register: ({ options, name }) =>
        new ContainerModule(({ bind }) => {
          bind(SinkToken).toConstantValue({
            name,
            write: async () => [],
            ...lifecycle(options.label),
          } satisfies Sink);
        }),
    });
    globalThis.__pmsbridgeTestPlugins = { sourcePlugin, sinkPlugin };
    const config = parseConfig(
      `
source: { use: ./fixtures/inline-source.mjs }
stages: [{ use: ./fixtures/specialty-filter-plugin.mjs, name: cardio-only, options: { keep: [cardiology] } }]
sinks:
  - { use: ./fixtures/inline-sink.mjs, name: first, options: { label: a } }
  - { use: ./fixtures/inline-sink.mjs, name: second, options: { label: b } }
`,
      {},
    );
    const pipeline = await assemblePipeline(new Container(), config, here);
    expect(pipeline.stages.map((stage) => stage.name)).toEqual(['cardio-only']);
    expect(pipeline.sinks.map((sink) => sink.name)).toEqual(['first', 'second']);
    await pipeline.start(new AbortController().signal);
    await pipeline.stop();
    expect(events).toEqual([
      'start source',
      'start a',
      'start b',
      'stop b',
      'stop a',
      'stop source',
    ]);
  });
});

declare global {
  var __pmsbridgeTestPlugins: Record<string, unknown> | undefined;
}
