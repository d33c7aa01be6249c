import { existsSync, readdirSync } from 'node:fs';
import { delimiter, join } from 'node:path';

/** Where Debian's `postgresql-<version>` packages put the server binaries. */
const DEBIAN_ROOT = '/usr/lib/postgresql';

/** The directory holding `initdb` and `postgres`. */
export interface ServerBinaries {
  initdb: string;
  postgres: string;
}

function inDirectory(dir: string): ServerBinaries | undefined {
  const initdb = join(dir, 'initdb');
  const postgres = join(dir, 'postgres');
  return existsSync(initdb) && existsSync(postgres) ? { initdb, postgres } : undefined;
}

/**
 * Finds the PostgreSQL server binaries: the newest version under `/usr/lib/postgresql/<v>/bin`
 * (Debian keeps them off `PATH`), else `initdb` and `postgres` on `PATH`.
 * @throws Error saying how to install them when there are none.
 */
export function findServerBinaries(path = process.env.PATH ?? ''): ServerBinaries {
  const versions = existsSync(DEBIAN_ROOT)
    ? readdirSync(DEBIAN_ROOT)
        .filter((name) => /^\d+(\.\d+)?$/.test(name))
        .sort((a, b) => Number(b) - Number(a))
    : [];
  const dirs = [
    ...versions.map((version) => join(DEBIAN_ROOT, version, 'bin')),
    ...path.split(delimiter).filter((dir) => dir !== ''),
  ];
  for (const dir of dirs) {
    const found = inDirectory(dir);
    if (found !== undefined) return found;
  }
  throw new Error(
    'PostgreSQL server binaries (initdb, postgres) were found neither under ' +
      `${DEBIAN_ROOT}/<version>/bin nor on PATH: install them (Debian: apt-get install postgresql), ` +
      'or set DATABASE_URL to an existing database',
  );
}
