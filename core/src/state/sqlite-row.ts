import type { SQLOutputValue } from 'node:sqlite';
import { StateError } from '../errors/errors.js';

/** One result row as `node:sqlite` returns it. */
export type SqliteRow = Record<string, SQLOutputValue>;

/** A TEXT column; anything else means the database was not written by this store. */
export function readText(row: SqliteRow, column: string): string {
  const value = row[column];
  if (typeof value !== 'string') throw unexpected(column, value);
  return value;
}

/** A nullable TEXT column. */
export function readOptionalText(row: SqliteRow, column: string): string | null {
  const value = row[column];
  if (value === null) return null;
  if (typeof value !== 'string') throw unexpected(column, value);
  return value;
}

/** An INTEGER column. */
export function readInteger(row: SqliteRow, column: string): number {
  const value = row[column];
  if (typeof value !== 'number' || !Number.isInteger(value)) throw unexpected(column, value);
  return value;
}

function unexpected(column: string, value: SQLOutputValue | undefined): StateError {
  const kind = value === null ? 'null' : value === undefined ? 'nothing' : typeof value;
  return new StateError(
    `The state database holds ${kind} in column "${column}"`,
    undefined,
    'PMS_STATE_DAMAGED',
  );
}
