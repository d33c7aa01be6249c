import { defineStateStore } from '@pmsbridge/core';
import { PostgresStateOptionsSchema } from './options.js';
import { PostgresStateStore } from './postgres-state-store.js';

/**
 * The PostgreSQL state store as a plugin: `state: { use: postgres, options: { connectionString:
 * ${DATABASE_URL} } }` in a config (`postgres` is short for this package's name).
 */
export const postgresStateStorePlugin = defineStateStore({
  id: '@pmsbridge/adapter-postgres',
  options: PostgresStateOptionsSchema,
  needs: { clock: 'clock', log: 'logger' },
  create: ({ options, mustExist, services: { clock, log } }) =>
    PostgresStateStore.open({
      ...options,
      clock,
      logger: log.child({ component: 'postgres-state' }),
      create: !mustExist,
    }),
});
