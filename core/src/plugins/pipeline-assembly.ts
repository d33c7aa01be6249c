import type { PipelineConfig, PluginEntry } from '../config/config-schema.js';
import { ConfigError, PluginError, isPmsbridgeError } from '../errors/errors.js';
import { noMetrics } from '../ports/metrics-recorder.js';
import type { ProviderSource } from '../ports/provider-source.js';
import type { Sink } from '../ports/sink.js';
import type { SlotSource } from '../ports/slot-source.js';
import type { Stage } from '../ports/stage.js';
import type {
  Lifecycle,
  PluginDefinition,
  PluginKind,
  RuntimeServices,
  SourceComponent,
} from './define.js';
import { loadPlugin } from './plugin-loader.js';
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

/** A config entry's plugin definition, its validated options and where it sits. */
export interface LoadedEntry {
  definition: PluginDefinition;
  options: unknown;
  entry: string;
  name: string;
}

async function loadEntry(
  entry: PluginEntry,
  kind: PluginKind,
  path: string,
  baseDir: string,
): Promise<LoadedEntry> {
  const { definition, options } = await loadPlugin(entry.use, entry.options, path, kind, baseDir);
  return { definition, options, entry: path, name: entry.name ?? defaultName(entry.use) };
}

/** The services `definition` asks for, under its own names; the logger names the entry. */
function servicesFor(loaded: LoadedEntry, services: RuntimeServices): Record<string, unknown> {
  const all = { ...services, metrics: services.metrics ?? noMetrics };
  return Object.fromEntries(
    Object.entries(loaded.definition.needs ?? {}).map(([name, service]) => [
      name,
      service === 'logger' ? all.logger.child({ plugin: loaded.name }) : all[service],
    ]),
  );
}

const REQUIRED_METHODS: Record<PluginKind, readonly string[]> = {
  source: ['listProviders', 'getProvider', 'changes'],
  stage: ['process'],
  sink: ['write'],
  state: [
    'getCheckpoint',
    'saveCheckpoint',
    'clearCheckpoint',
    'addDeadLetter',
    'listDeadLetters',
    'purgeDeadLetters',
    'markSeen',
    'getHashes',
    'setHashes',
    'deleteHashes',
    'listHashKeys',
    'acquireLease',
    'renewLease',
    'releaseLease',
    'readLease',
    'close',
  ],
  booking: ['book', 'find', 'cancel'],
};

/**
 * Calls the definition's `create` with the services it asked for and checks that it made
 * what its kind promises (a source, a named stage, a named sink).
 */
export async function createComponent(
  loaded: LoadedEntry,
  services: RuntimeServices,
  baseDir: string,
  /** What a kind's context adds (a state store's `mustExist`). */
  extra: Record<string, unknown> = {},
): Promise<object> {
  const { definition, entry } = loaded;
  let made: unknown;
  try {
    made = await (definition.create as (context: unknown) => unknown)({
      options: loaded.options,
      services: servicesFor(loaded, services),
      name: loaded.name,
      entry,
      baseDir,
      ...extra,
    });
  } catch (error) {
    // pmsbridge's own errors (a config problem, a missing state file) say what is wrong already.
    if (isPmsbridgeError(error)) throw error;
    throw new PluginError(
      `${entry} (${definition.id}): create failed: ${(error as Error).message}`,
      { cause: error, code: 'PMS_PLUGIN_INVALID' },
    );
  }
  const missing = REQUIRED_METHODS[definition.kind].filter(
    (method) => typeof (made as Record<string, unknown> | null)?.[method] !== 'function',
  );
  const isNamed =
    definition.kind === 'stage' || definition.kind === 'sink' || definition.kind === 'booking';
  if (isNamed && typeof (made as { name?: unknown } | null)?.name !== 'string')
    missing.push('name');
  if (missing.length > 0) {
    throw new PluginError(
      `${entry} (${definition.id}): create returned no ${definition.kind} (missing ${missing.join(', ')})`,
      { code: 'PMS_PLUGIN_INVALID' },
    );
  }
  return made as object;
}

/**
 * Loads every plugin the config names, checks that the source delivers the provider fields
 * the stages and sinks read, and creates each component with the services it asked for.
 * Core imports no adapter: everything arrives through the plugin definitions.
 */
export async function assemblePipeline(
  config: PipelineConfig,
  baseDir: string,
  services: RuntimeServices,
): Promise<AssembledPipeline> {
  const sourceEntry = await loadEntry(config.source, 'source', 'source', baseDir);
  const stageEntries: LoadedEntry[] = [];
  for (const [index, entry] of config.stages.entries())
    stageEntries.push(await loadEntry(entry, 'stage', `stages[${index}]`, baseDir));
  const sinkEntries: LoadedEntry[] = [];
  for (const [index, entry] of config.sinks.entries())
    sinkEntries.push(await loadEntry(entry, 'sink', `sinks[${index}]`, baseDir));

  const source = (await createComponent(sourceEntry, services, baseDir)) as SourceComponent;
  const slots = typeof source.getSchedule === 'function' ? (source as SlotSource) : undefined;
  checkProviderFields({
    source: `source (${sourceEntry.definition.id})`,
    delivered:
      sourceEntry.definition.kind === 'source'
        ? sourceEntry.definition.deliveredProviderFields?.(sourceEntry.options)
        : undefined,
    hasSchedules: slots !== undefined,
    readers: [...stageEntries, ...sinkEntries].map(({ definition, entry }) => ({
      label: `${entry} (${definition.id})`,
      fields:
        definition.kind === 'stage' || definition.kind === 'sink'
          ? definition.requiredProviderFields
          : undefined,
    })),
  });
  const stages: Stage[] = [];
  for (const entry of stageEntries)
    stages.push((await createComponent(entry, services, baseDir)) as Stage);
  const sinks: Sink[] = [];
  for (const entry of sinkEntries)
    sinks.push((await createComponent(entry, services, baseDir)) as Sink);
  const names = sinks.map((sink) => sink.name);
  const duplicate = names.find((name, index) => names.indexOf(name) !== index);
  if (duplicate !== undefined) {
    throw new ConfigError(
      `sinks: two sinks are named "${duplicate}"; give each entry its own \`name\``,
      { code: 'PMS_CONFIG_INVALID' },
    );
  }

  const unique = new Set<object>([source, ...stages, ...sinks]);
  const components = [...unique] as Lifecycle[];
  const started: Lifecycle[] = [];
  return {
    source: source as ProviderSource,
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
