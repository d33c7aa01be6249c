/**
 * `@pmsbridge/test-postgres`: a PostgreSQL server for tests and benchmarks — a throwaway
 * cluster on a free loopback port, or the existing server `DATABASE_URL` names — handing out
 * a fresh database per test.
 */
export {
  startPostgres,
  type PostgresServer,
  type StartPostgresOptions,
} from './postgres-server.js';
export { findServerBinaries, type ServerBinaries } from './server-binaries.js';
export { urlOfDatabase } from './test-databases.js';
