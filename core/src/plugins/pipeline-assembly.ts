import { Container } from 'inversify';
import type { PipelineConfig, PluginEntry } from '../config/config-schema.js';
import { ConfigError, PluginError } from '../errors/errors.js';
import type { ProviderSource } from '../ports/provider-source.js';
import { ProviderSourceToken } from '../ports/provider-source.js';
import type { Sink } from '../ports/sink.js';
import { SinkToken } from '../ports/sink.js';
import type { SlotSource } from '../ports/slot-source.js';
import { SlotSourceToken } from '../ports/slot-source.js';
import type { Stage } from '../ports/stage.js';
import { StageToken } from '../ports/stage.js';
import { loadPlugin } from './plugin-loader.js';
import { PluginOptionsToken, type Lifecycle, type Plugin, type PluginRole } from './plugin.js';
import { checkProviderFields } from './provider-fields.js';

/** The components a config describes, resolved from the container, with their lifecycle. */
export interface AssembledPipeline {
  source: ProviderSource;
  slots?: SlotSource;
  stages: Stage[];
  sinks: Sink[];
  /** Runs `start` hooks in config order. */
  start(signal: AbortSignal): Promise<void>;
  /** Runs `stop` hooks in reverse order; safe to call after a failed start. */
  stop(): Promise<void>;
}

/** `@pmsbridge/adapter-fhir` → `adapter-fhir`; `./plugins/my-filter.js` → `my-filter`. */
function defaultName(use: string): string {
  const last = use.split('/').pop() ?? use;
  return last
    .replace(/\.(m?js|ts)$/, '')
    .toLowerCase()
    .replace(/[^a-z0-9-]/g, '-');
}

/** A config entry's plugin, its validated options and the child container it registered in. */
interface LoadedEntry {
  container: Container;
  plugin: Plugin;
  options: unknown;
  path: string;
}

async function loadEntry(
  root: Container,
  entry: PluginEntry,
  role: PluginRole,
  path: string,
  baseDir: string,
): Promise<LoadedEntry> {
  const { plugin, options } = await loadPlugin(entry.use, entry.options, path, baseDir);
  const child = new Container({ parent: root });
  child.bind(PluginOptionsToken).toConstantValue(options);
  try {
    await child.loadAsync(
      plugin.register({
        options,
        role,
        name: entry.name ?? defaultName(entry.use),
        entry: path,
        baseDir,
      }),
    );
  } catch (error) {
    throw new PluginError(
      `${path} (${plugin.name}): registration failed: ${(error as Error).message}`,
      { cause: error, code: 'PMS_PLUGIN_INVALID' },
    );
  }
  return { container: child, plugin, options, path };
}

function getAll<T>(container: Container, token: symbol, path: string, what: string): T[] {
  const found = container.isBound(token) ? container.getAll<T>(token) : [];
  if (found.length === 0) {
    throw new PluginError(`${path}: the plugin binds no ${what}`, { code: 'PMS_PLUGIN_INVALID' });
  }
  return found;
}

/**
 * Loads every plugin the config names into child containers of `root` (which holds the
 * shared services: logger, clock, state store, cache) and resolves the source, stages and
 * sinks. Core imports no adapter: everything arrives through this contract. A source that
 * delivers fewer provider fields than the stages and sinks declare they read is refused
 * with a `ConfigError` before anything is resolved.
 */
export async function assemblePipeline(
  root: Container,
  config: PipelineConfig,
  baseDir: string,
): Promise<AssembledPipeline> {
  const sourceEntry = await loadEntry(root, config.source, 'source', 'source', baseDir);
  const sourceContainer = sourceEntry.container;
  const stageEntries: LoadedEntry[] = [];
  for (const [index, entry] of config.stages.entries())
    stageEntries.push(await loadEntry(root, entry, 'stage', `stages[${index}]`, baseDir));
  const sinkEntries: LoadedEntry[] = [];
  for (const [index, entry] of config.sinks.entries())
    sinkEntries.push(await loadEntry(root, entry, 'sink', `sinks[${index}]`, baseDir));
  checkProviderFields({
    source: `source (${sourceEntry.plugin.name})`,
    delivered: sourceEntry.plugin.deliveredProviderFields?.(sourceEntry.options),
    hasSchedules: sourceContainer.isBound(SlotSourceToken),
    readers: [...stageEntries, ...sinkEntries].map(({ plugin, path }) => ({
      label: `${path} (${plugin.name})`,
      fields: plugin.requiredProviderFields,
    })),
  });

  const source = getAll<ProviderSource>(
    sourceContainer,
    ProviderSourceToken,
    'source',
    'ProviderSource',
  )[0] as ProviderSource;
  const slots = sourceContainer.isBound(SlotSourceToken)
    ? sourceContainer.get<SlotSource>(SlotSourceToken)
    : undefined;

  const stages = stageEntries.flatMap(({ container, path }) =>
    getAll<Stage>(container, StageToken, path, 'Stage'),
  );
  const sinks = sinkEntries.flatMap(({ container, path }) =>
    getAll<Sink>(container, SinkToken, path, 'Sink'),
  );
  const names = sinks.map((sink) => sink.name);
  const duplicate = names.find((name, index) => names.indexOf(name) !== index);
  if (duplicate !== undefined) {
    throw new ConfigError(
      `sinks: two sinks are named "${duplicate}"; give each entry its own \`name\``,
      { code: 'PMS_CONFIG_INVALID' },
    );
  }

  const unique = new Set<object>([
    source,
    ...(slots === undefined ? [] : [slots]),
    ...stages,
    ...sinks,
  ]);
  const components = [...unique] as Lifecycle[];
  const started: Lifecycle[] = [];
  return {
    source,
    slots,
    stages,
    sinks,
    async start(signal) {
      for (const component of components) {
        await component.start?.(signal);
        started.push(component);
      }
    },
    async stop() {
      // Every component is stopped even when one fails; the failures are reported together.
      const failures: unknown[] = [];
      for (const component of started.splice(0).reverse()) {
        try {
          await component.stop?.();
        } catch (error) {
          failures.push(error);
        }
      }
      if (failures.length === 1) throw failures[0];
      if (failures.length > 1) throw new AggregateError(failures, 'several plugins failed to stop');
    },
  };
}
