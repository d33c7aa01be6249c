import { resolve } from 'node:path';
import { z } from 'zod';
import type { PipelineConfig } from '../config/config-schema.js';
import { ConfigError } from '../errors/errors.js';
import { defineStateStore, type PluginServices } from '../plugins/define.js';
import { createComponent } from '../plugins/pipeline-assembly.js';
import { checkPlugin, loadPlugin } from '../plugins/plugin-loader.js';
import type { StateStore } from '../ports/state-store.js';
import { MemoryStateStore } from './memory-state-store.js';
import { SqliteStateStore } from './sqlite-state-store.js';

/** Where the SQLite store keeps its file when the config names none. */
export const DEFAULT_STATE_PATH = '.pmsbridge/state.sqlite';

/** The built-in SQLite store (`state: { use: sqlite, path }`), the default. */
export const sqliteStateStorePlugin = defineStateStore({
  id: 'sqlite',
  options: z.strictObject({
    /** The database file, relative to the config file. */
    path: z.string().min(1).default(DEFAULT_STATE_PATH),
    /** How long a writer waits for another process's lock before failing. */
    busyTimeoutMs: z.number().int().positive().optional(),
  }),
  needs: { clock: 'clock' },
  create: ({ options, baseDir, mustExist, services: { clock } }) =>
    SqliteStateStore.open(resolve(baseDir, options.path), {
      create: !mustExist,
      clock,
      ...(options.busyTimeoutMs !== undefined && { busyTimeoutMs: options.busyTimeoutMs }),
    }),
});

/** The built-in in-memory store (`state: { use: memory }`): nothing survives the process. */
export const memoryStateStorePlugin = defineStateStore({
  id: 'memory',
  options: z.strictObject({}),
  needs: { log: 'logger', clock: 'clock' },
  create: ({ services: { log, clock } }) => {
    log.warn('state is kept in memory: checkpoints and dead letters end with this process');
    return new MemoryStateStore({ clock });
  },
});

const BUILT_IN = { sqlite: sqliteStateStorePlugin, memory: memoryStateStorePlugin } as const;

/** Short names of state-store packages: `state: { use: postgres }` loads the package. */
const STATE_STORE_PACKAGES: Readonly<Record<string, string>> = {
  postgres: '@pmsbridge/adapter-postgres',
};

/**
 * Opens the state store a config names: a built-in one (`sqlite`, `memory`) or a state-store
 * plugin (a package or a path, made with `defineStateStore`; `postgres` is short for
 * `@pmsbridge/adapter-postgres`). `state.path` is the SQLite store's file, kept as the short
 * form of `state: { use: sqlite, options: { path } }`. `mustExist` is for commands that only
 * read existing state.
 */
export async function openStateStore(
  state: PipelineConfig['state'],
  baseDir: string,
  services: Pick<PluginServices, 'logger' | 'clock' | 'cache'>,
  mustExist: boolean,
): Promise<StateStore> {
  if (state.path !== undefined && state.use !== 'sqlite') {
    throw new ConfigError(
      `state.path is the file of the sqlite store; "${state.use}" takes its settings in state.options`,
      { code: 'PMS_CONFIG_INVALID' },
    );
  }
  if (state.path !== undefined && state.options.path !== undefined) {
    throw new ConfigError('state: give the path once, as state.path or state.options.path', {
      code: 'PMS_CONFIG_INVALID',
    });
  }
  const options = state.path === undefined ? state.options : { ...state.options, path: state.path };
  const builtIn = BUILT_IN[state.use as keyof typeof BUILT_IN] as
    (typeof BUILT_IN)[keyof typeof BUILT_IN] | undefined;
  const loaded =
    builtIn === undefined
      ? await loadPlugin(
          STATE_STORE_PACKAGES[state.use] ?? state.use,
          options,
          'state',
          'state',
          baseDir,
        )
      : checkPlugin(builtIn, options, 'state', 'state');
  // A state store cannot need the state store: the loader refuses that need.
  const withoutState = { ...services, state: undefined as unknown as StateStore };
  return (await createComponent(
    { ...loaded, entry: 'state', name: 'state' },
    withoutState,
    baseDir,
    { mustExist },
  )) as StateStore;
}
