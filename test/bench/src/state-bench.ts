import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startPostgres } from '@pmsbridge/test-postgres';
import { runStep } from './processes.js';
import type { StateStepInput, StateStepResult } from './state-step.js';

const STEP = fileURLToPath(new URL('./state-step.js', import.meta.url));

/** One benchmark scenario's figures. */
export interface StateScenario {
  name: string;
  providers: number;
  durationMs: number;
  [key: string]: number | string | boolean;
}

const perSecond = (count: number, ms: number) => Math.round(count / (ms / 1000));
const ratio = (a: number, b: number) => Math.round((a / b) * 100) / 100;

function figures(name: string, providers: number, step: StateStepResult) {
  return {
    name,
    providers,
    durationMs: Math.round(
      step.checkpointMs + step.hashWriteMs + step.hashReadMs + step.hashListMs,
    ),
    checkpoints: step.checkpoints,
    hashes: step.hashes,
    checkpointsPerSecond: perSecond(step.checkpoints, step.checkpointMs),
    hashWritesPerSecond: perSecond(step.hashes, step.hashWriteMs),
    hashReadsPerSecond: perSecond(step.hashes, step.hashReadMs),
    hashKeysListedPerSecond: perSecond(step.hashes, step.hashListMs),
  };
}

/**
 * The state stores side by side, each in its own process and on the same work: 2 000
 * checkpoint saves one after another (each its own commit, as the engine saves one per
 * batch), then the content hashes of `providers` × 100 slots written, read and listed one
 * provider at a time, as a sink does. SQLite is a file in WAL mode with its default
 * `synchronous = normal` (no fsync per commit); PostgreSQL is a local throwaway server with
 * its durable defaults (fsync and synchronous commit on), or the server `DATABASE_URL`
 * names, reached over loopback TCP through the store's pool.
 */
export async function stateScenarios(workRoot: string, providers = 1000): Promise<StateScenario[]> {
  const base = { checkpoints: 2000, providers, slotsPerProvider: 100 };
  const sqlite = await runStep<StateStepResult>(STEP, {
    ...base,
    store: 'sqlite',
    path: join(workRoot, 'state-bench', 'state.sqlite'),
  } satisfies StateStepInput);
  const server = await startPostgres({ durable: true });
  let postgres: StateStepResult;
  try {
    postgres = await runStep<StateStepResult>(STEP, {
      ...base,
      store: 'postgres',
      connectionString: await server.createDatabase(),
    } satisfies StateStepInput);
  } finally {
    await server.stop();
  }
  const sqliteFigures = figures('state: SQLite file (WAL, synchronous normal)', providers, sqlite);
  const postgresFigures = figures(
    `state: PostgreSQL (${server.external ? 'DATABASE_URL' : 'local, fsync on'}, pool of 5)`,
    providers,
    postgres,
  );
  return [
    sqliteFigures,
    {
      ...postgresFigures,
      checkpointsToSqlite: ratio(
        postgresFigures.checkpointsPerSecond,
        sqliteFigures.checkpointsPerSecond,
      ),
      hashWritesToSqlite: ratio(
        postgresFigures.hashWritesPerSecond,
        sqliteFigures.hashWritesPerSecond,
      ),
      hashReadsToSqlite: ratio(
        postgresFigures.hashReadsPerSecond,
        sqliteFigures.hashReadsPerSecond,
      ),
    },
  ];
}
