import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { MemoryCache } from '../cache/memory-cache.js';
import { PipelineConfigSchema } from '../config/config-schema.js';
import { systemClock } from '../ports/clock.js';
import type { StateStore } from '../ports/state-store.js';
import { RecordingLogger } from '../testing/recording-logger.js';
import { describeStateStoreContract } from '../testing/state-store-contract.js';
import { MemoryStateStore } from './memory-state-store.js';
import { openStateStore } from './open-state-store.js';
import { SqliteStateStore } from './sqlite-state-store.js';

const fixtures = join(dirname(fileURLToPath(import.meta.url)), 'fixtures');

/** The `state` section of a config, with the schema's defaults applied. */
const stateOf = (state?: unknown) =>
  PipelineConfigSchema.parse({ source: { use: 'x' }, sinks: [{ use: 'y' }], state }).state;

let dir: string;
let logger: RecordingLogger;
const open = (state: unknown, mustExist = false): Promise<StateStore> =>
  openStateStore(
    stateOf(state),
    dir,
    { logger, clock: systemClock, cache: new MemoryCache() },
    mustExist,
  );

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'pmsbridge-state-'));
  logger = new RecordingLogger();
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('the state store a config names', () => {
  it('is SQLite at .pmsbridge/state.sqlite beside the config by default', async () => {
    const store = await open(undefined);
    expect(store).toBeInstanceOf(SqliteStateStore);
    expect(existsSync(join(dir, '.pmsbridge', 'state.sqlite'))).toBe(true);
    await store.close();
  });

  it('takes the SQLite file as state.path or as state.options.path', async () => {
    for (const [state, file] of [
      [{ path: 'a.sqlite' }, 'a.sqlite'],
      [{ use: 'sqlite', options: { path: 'b.sqlite' } }, 'b.sqlite'],
    ] as const) {
      const store = await open(state);
      expect(existsSync(join(dir, file))).toBe(true);
      await store.close();
    }
  });

  it('refuses, for a command that reads existing state, a SQLite file that does not exist', async () => {
    await expect(open({ path: 'missing.sqlite' }, true)).rejects.toMatchObject({
      code: 'PMS_STATE_MISSING',
    });
    expect(existsSync(join(dir, 'missing.sqlite'))).toBe(false);
  });

  it('keeps state in memory when asked, and says that nothing will last', async () => {
    const store = await open({ use: 'memory' });
    expect(store).toBeInstanceOf(MemoryStateStore);
    expect(logger.lines.map((line) => line.message)).toContain(
      'state is kept in memory: checkpoints and dead letters end with this process',
    );
  });

  it('takes postgres as short for @pmsbridge/adapter-postgres, which checks its options', async () => {
    await expect(open({ use: 'postgres' })).rejects.toThrow(/state\.options\.connectionString/);
    await expect(open({ use: 'postgres', options: { connectionString: 'x' } })).rejects.toThrow(
      'must be a postgres:// or postgresql:// URL',
    );
  });

  it('loads a state-store plugin by a path relative to the config, with its options and services', async () => {
    const store = (await openStateStore(
      stateOf({ use: './tagged-state-store.mjs', options: { tag: 'blue' } }),
      fixtures,
      { logger, clock: systemClock, cache: new MemoryCache() },
      true,
    )) as StateStore & { tag?: string };
    expect(store.tag).toBe('blue');
    expect(logger.lines).toContainEqual(
      expect.objectContaining({
        message: 'tagged store opened',
        fields: expect.objectContaining({ tag: 'blue', mustExist: true }),
      }),
    );
  });

  it('names the problem in state: a path for another store, two paths, bad options, a greedy plugin', async () => {
    await expect(open({ use: 'memory', path: 'x.sqlite' })).rejects.toThrow(
      'state.path is the file of the sqlite store; "memory" takes its settings in state.options',
    );
    await expect(open({ path: 'a.sqlite', options: { path: 'b.sqlite' } })).rejects.toThrow(
      'state: give the path once, as state.path or state.options.path',
    );
    await expect(open({ use: 'sqlite', options: { paht: 'x' } })).rejects.toThrow(
      /state\.options\.paht/,
    );
    await expect(open({ use: 'no-such-store' })).rejects.toMatchObject({
      code: 'PMS_PLUGIN_NOT_FOUND',
    });
    await expect(
      openStateStore(
        stateOf({ use: join(fixtures, 'greedy-state-store.mjs') }),
        dir,
        { logger, clock: systemClock, cache: new MemoryCache() },
        false,
      ),
    ).rejects.toThrow(/needs\.store asks for the state store itself/);
  });
});

describe('a state-store plugin loaded from config', () => {
  describeStateStoreContract('tagged-state-store plugin', async (clock) =>
    openStateStore(
      stateOf({ use: join(fixtures, 'tagged-state-store.mjs'), options: { tag: 'contract' } }),
      fixtures,
      { logger: new RecordingLogger(), clock, cache: new MemoryCache() },
      false,
    ),
  );
});
