import { StateError } from '@pmsbridge/core';

/** One result row as `pg` returns it (TEXT as string, INTEGER as number, BIGINT as string). */
export type Row = Record<string, unknown>;

function unexpected(column: string, value: unknown): StateError {
  const kind = value === null ? 'null' : value === undefined ? 'nothing' : typeof value;
  return new StateError(
    `The state database holds ${kind} in column "${column}"`,
    undefined,
    'PMS_STATE_DAMAGED',
  );
}

/** A TEXT column; anything else means the table was not written by this store. */
export function readText(row: Row, column: string): string {
  const value = row[column];
  if (typeof value !== 'string') throw unexpected(column, value);
  return value;
}

/** A nullable TEXT column. */
export function readOptionalText(row: Row, column: string): string | null {
  const value = row[column];
  if (value === null) return null;
  if (typeof value !== 'string') throw unexpected(column, value);
  return value;
}

/** An INTEGER or BIGINT column (which `pg` reads as a string) that fits a safe integer. */
export function readInteger(row: Row, column: string): number {
  const value = row[column];
  const number = typeof value === 'string' && /^-?\d+$/.test(value) ? Number(value) : value;
  if (typeof number !== 'number' || !Number.isSafeInteger(number)) throw unexpected(column, value);
  return number;
}
