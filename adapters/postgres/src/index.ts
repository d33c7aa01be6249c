/**
 * `@pmsbridge/adapter-postgres`: pmsbridge's state store in PostgreSQL, for many processes on
 * many machines sharing one database — checkpoints, dead letters, seen ids, content hashes,
 * leases and records, as the embedded SQLite store keeps them (`postgresStateStorePlugin`, the package's
 * default export, is what `state: { use: postgres }` loads).
 */
import { postgresStateStorePlugin } from './plugin.js';

export { postgresStateStorePlugin } from './plugin.js';
export { PostgresStateStore, type PostgresStateStoreOptions } from './postgres-state-store.js';
export {
  PostgresStateOptionsSchema,
  type PostgresStateOptions,
  type PostgresStateOptionsInput,
} from './options.js';
export { SCHEMA_VERSION } from './schema.js';

export default postgresStateStorePlugin;
