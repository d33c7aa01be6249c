import { MemoryCache } from '../cache/memory-cache.js';
import type { PluginDefinition, PluginServices, RuntimeServices } from '../plugins/define.js';
import { createComponent } from '../plugins/pipeline-assembly.js';
import { checkPlugin } from '../plugins/plugin-loader.js';
import { MemoryStateStore } from '../state/memory-state-store.js';
import { ManualClock } from './manual-clock.js';
import { RecordingLogger } from './recording-logger.js';

/** What {@link createPlugin} creates a plugin with; everything has a test default. */
export interface CreatePluginInput {
  /** The entry's options as a config would give them (validated and defaulted here). */
  options?: unknown;
  /** Defaults: a {@link RecordingLogger}, a {@link ManualClock}, a fresh {@link MemoryStateStore} and {@link MemoryCache}. */
  services?: Partial<PluginServices>;
  /** Default: the definition's kind (`source`, `stage`, `sink`). */
  name?: string;
  /** Default: `source`, `stages[0]` or `sinks[0]`. */
  entry?: string;
  /** Default: the working directory. */
  baseDir?: string;
  /** State stores: whether the command only reads existing state. Default false. */
  mustExist?: boolean;
}

const ENTRY = {
  source: 'source',
  stage: 'stages[0]',
  sink: 'sinks[0]',
  state: 'state',
  booking: 'booking',
} as const;

/**
 * Creates what a plugin definition makes for one config entry, exactly as the runtime does:
 * the definition is checked, the options validated (unknown keys refused, defaults applied),
 * the services it asked for handed in, and the result checked for its kind.
 */
export async function createPlugin<D extends PluginDefinition>(
  definition: D,
  input: CreatePluginInput = {},
): Promise<Awaited<ReturnType<D['create']>>> {
  const entry = input.entry ?? ENTRY[definition.kind];
  const { options } = checkPlugin(definition, input.options, entry, definition.kind);
  const services: RuntimeServices = {
    logger: new RecordingLogger(),
    clock: new ManualClock(),
    state: new MemoryStateStore(),
    cache: new MemoryCache(),
    ...input.services,
  };
  const made = await createComponent(
    { definition, options, entry, name: input.name ?? definition.kind },
    services,
    input.baseDir ?? process.cwd(),
    definition.kind === 'state' ? { mustExist: input.mustExist ?? false } : {},
  );
  return made as Awaited<ReturnType<D['create']>>;
}
