import { describe, expect, it } from '@jest/globals';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseConfig } from '../config/config-loader.js';
import { PluginError } from '../errors/errors.js';
import { assemblePipeline, createComponent } from './pipeline-assembly.js';
import { checkPlugin, loadPlugin } from './plugin-loader.js';
import type { ProviderSource } from '../ports/provider-source.js';
import type { Sink } from '../ports/sink.js';
import { MemoryCache } from '../cache/memory-cache.js';
import { silentLogger } from '../logging/logger.js';
import { systemClock } from '../ports/clock.js';
import { MemoryStateStore } from '../state/memory-state-store.js';
import { defineSink, defineSource, defineStage, type RuntimeServices } from './define.js';
import { z } from 'zod';

const services = (): RuntimeServices => ({
  logger: silentLogger,
  clock: systemClock,
  state: new MemoryStateStore(),
  cache: new MemoryCache(),
});

const here = dirname(fileURLToPath(import.meta.url));

describe('plugin loader', () => {
  it('loads a plugin from a local path and validates its options', async () => {
    const { definition, options } = await loadPlugin(
      './fixtures/specialty-filter-plugin.mjs',
      { keep: ['cardiology'] },
      'stages[0]',
      'stage',
      here,
    );
    expect(definition.id).toBe('specialty-filter');
    expect(options).toEqual({ keep: ['cardiology'] });
  });

  it('names the entry, the plugin and the field when options are wrong', async () => {
    const attempt = loadPlugin(
      './fixtures/specialty-filter-plugin.mjs',
      { keep: [] },
      'stages[2]',
      'stage',
      here,
    );
    await expect(attempt).rejects.toBeInstanceOf(PluginError);
    await expect(attempt).rejects.toThrow(
      /^stages\[2\]\.options\.keep: .*\(plugin specialty-filter\)$/,
    );
  });

  it('explains a path that cannot be loaded or does not export a plugin', async () => {
    await expect(
      loadPlugin('./fixtures/missing.mjs', {}, 'sinks[0]', 'sink', here),
    ).rejects.toThrow(/sinks\[0\]: cannot load plugin/);
    await expect(
      loadPlugin('./fixtures/not-a-plugin.mjs', {}, 'sinks[0]', 'sink', here),
    ).rejects.toThrow(
      /sinks\[0\]: ".\/fixtures\/not-a-plugin.mjs" does not export a plugin; export one made with defineSource, defineStage or defineSink/,
    );
  });

  it('tells the author of a ContainerModule plugin how to port it', async () => {
    await expect(
      loadPlugin('./fixtures/container-module-plugin.mjs', {}, 'stages[0]', 'stage', here),
    ).rejects.toThrow(
      /exports a plugin with `register`.*define it with defineSource, defineStage or defineSink/,
    );
  });
});

describe('plugin definitions, checked at load time', () => {
  const stage = defineStage({
    id: '@acme/keep-all',
    options: z.object({}),
    create: ({ name }) => ({ name, process: (record) => record }),
  });

  it('refuses a plugin listed under the wrong kind, saying where it belongs', () => {
    expect(() => checkPlugin(stage, {}, 'sinks[1]', 'sink')).toThrow(
      'sinks[1]: "@acme/keep-all" is a stage plugin, listed as a sink; move it under `stages`',
    );
  });

  it('refuses an id that is not a package-like name', () => {
    const bad = { ...stage, id: 'Keep All!' };
    expect(() => checkPlugin(bad, {}, 'stages[0]', 'stage')).toThrow(
      /stages\[0\]: .* has the id "Keep All!"; give it its npm package name/,
    );
  });

  it('refuses a need that names no service, listing the services there are', () => {
    const bad = { ...stage, needs: { store: 'states' } } as unknown as typeof stage;
    expect(() => checkPlugin(bad, {}, 'stages[0]', 'stage')).toThrow(
      'stages[0]: "@acme/keep-all" needs.store asks for "states", which is not a service; the services are logger, clock, state, cache, metrics',
    );
  });

  it('hands create exactly the services it asked for, under its own names', async () => {
    const seen: string[][] = [];
    const sink = defineSink({
      id: 'audit-sink',
      options: z.object({}),
      needs: { store: 'state', time: 'clock' },
      create: ({ name, services }) => {
        seen.push(Object.keys(services));
        expect(typeof services.store.getCheckpoint).toBe('function');
        expect(services.time.now()).toBeInstanceOf(Date);
        return { name, write: async () => [] };
      },
    });
    const loaded = checkPlugin(sink, {}, 'sinks[0]', 'sink');
    await createComponent({ ...loaded, entry: 'sinks[0]', name: 'audit' }, services(), here);
    expect(seen).toEqual([['store', 'time']]);
  });

  it('refuses what create returns when it is not what the kind promises', async () => {
    const hollow = defineSink({
      id: 'hollow-sink',
      options: z.object({}),
      create: () => ({}) as Sink,
    });
    const loaded = checkPlugin(hollow, {}, 'sinks[0]', 'sink');
    await expect(
      createComponent({ ...loaded, entry: 'sinks[0]', name: 'x' }, services(), here),
    ).rejects.toThrow('sinks[0] (hollow-sink): create returned no sink (missing write, name)');
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
  it('creates source, stages and sinks from the plugins the config names, and runs hooks in order', async () => {
    const events: string[] = [];
    const lifecycle = (label: string) => ({
      start: async () => {
        events.push(`start ${label}`);
      },
      stop: async () => {
        events.push(`stop ${label}`);
      },
    });
    const sourcePlugin = defineSource({
      id: 'inline-source',
      options: z.object({}),
      create: () => ({ ...fakeSource, ...lifecycle('source') }),
    });
    const sinkPlugin = defineSink({
      id: 'inline-sink',
      options: z.object({ label: z.string() }),
      create: ({ options, name }): Sink => ({
        name,
        write: async () => [],
        ...lifecycle(options.label),
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
    const pipeline = await assemblePipeline(config, here, services());
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
