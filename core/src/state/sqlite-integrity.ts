import type { DatabaseSync } from 'node:sqlite';
import { StateError } from '../errors/errors.js';

/**
 * Files up to this size get a whole-file `PRAGMA quick_check` when opened: about 0.3 s for
 * 100 MB (a million content hashes) on a warm cache, so at most about a second here.
 */
export const DEFAULT_INTEGRITY_CHECK_MAX_BYTES = 256 * 1024 * 1024;

/**
 * Tables checked in a file too large for a whole-file check: the small ones a run reads
 * first. The seen-id and content-hash tables, which make a large file large, are left to the
 * reads that use them (a damaged page there still fails with a {@link StateError}).
 */
const ESSENTIAL_TABLES = ['checkpoints', 'leases', 'dead_letters'] as const;

/** SQLite's primary result codes for a damaged file and for a file that is not a database. */
const SQLITE_CORRUPT = 11;
const SQLITE_NOTADB = 26;

/** Whether `error` is SQLite saying the file is damaged or not a database at all. */
export function isDamagedDatabaseError(error: unknown): boolean {
  const errcode = (error as { errcode?: unknown } | null)?.errcode;
  // Extended codes (SQLITE_CORRUPT_VTAB = 267, …) keep the primary code in the low byte.
  return (
    typeof errcode === 'number' &&
    ((errcode & 0xff) === SQLITE_CORRUPT || (errcode & 0xff) === SQLITE_NOTADB)
  );
}

/** The state file is damaged; the message names it and says what to do about it. */
export class DamagedStateDatabaseError extends StateError {
  constructor(path: string, detail: string, cause?: unknown) {
    super(
      `The state database ${path} is damaged (${detail}). Restore it from a backup, or delete ` +
        'it (with its -wal and -shm files, if any) and start over with a full run ' +
        '(pmsbridge sync --mode full), which rewrites the sinks from the source.',
      cause,
      'PMS_STATE_DAMAGED',
    );
  }
}

function existingTables(db: DatabaseSync): Set<string> {
  const rows = db.prepare("SELECT name FROM sqlite_schema WHERE type = 'table'").all();
  return new Set(rows.map((row) => String(row.name)));
}

/** Runs `PRAGMA quick_check` (on the whole file, or on one table) and returns its findings. */
function quickCheck(db: DatabaseSync, table?: string): string[] {
  const pragma = table === undefined ? 'PRAGMA quick_check(5)' : `PRAGMA quick_check(${table})`;
  const findings = db
    .prepare(pragma)
    .all()
    .map((row) => String(row.quick_check));
  return findings.length === 1 && findings[0] === 'ok' ? [] : findings;
}

/** quick_check's findings on one line: its `*** in database main ***` headers dropped, at most 3. */
function summarize(findings: readonly string[]): string {
  const lines = findings
    .flatMap((finding) => finding.split('\n'))
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('***'));
  return lines.length > 3 ? `${lines.slice(0, 3).join('; ')}; …` : lines.join('; ');
}

/**
 * Checks that the database at `path` is not damaged (overwritten pages, a torn copy, a file
 * that is not SQLite), in time bounded by `maxBytes`: a whole-file `PRAGMA quick_check` when
 * the file is at most `maxBytes` long, else a check of the small essential tables.
 * @throws StateError naming the file and what to do when it is damaged.
 */
export function checkIntegrity(
  db: DatabaseSync,
  path: string,
  sizeBytes: number,
  maxBytes: number,
): void {
  let findings: string[];
  try {
    if (sizeBytes <= maxBytes) findings = quickCheck(db);
    else {
      const tables = existingTables(db);
      findings = ESSENTIAL_TABLES.filter((table) => tables.has(table)).flatMap((table) =>
        quickCheck(db, table),
      );
    }
  } catch (error) {
    if (isDamagedDatabaseError(error)) {
      throw new DamagedStateDatabaseError(path, (error as Error).message, error);
    }
    throw error;
  }
  if (findings.length > 0) throw new DamagedStateDatabaseError(path, summarize(findings));
}
