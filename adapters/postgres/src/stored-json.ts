import { StateError } from '@pmsbridge/core';

/** The message of anything thrown, for wrapping into a {@link StateError}. */
export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * Serialises a value for a TEXT column, as the SQLite store does: `undefined` becomes SQL
 * `NULL` so that it reads back as `undefined`; anything JSON cannot represent (a BigInt, a
 * cycle, a function) is a {@link StateError} naming `what`, never the value itself.
 */
export function encodeJson(value: unknown, what: string): string | null {
  if (value === undefined) return null;
  try {
    const text = JSON.stringify(value) as string | undefined;
    if (text === undefined) throw new TypeError(`a ${typeof value} has no JSON form`);
    return text;
  } catch (error) {
    throw new StateError(`Could not serialise ${what} as JSON: ${messageOf(error)}`, error);
  }
}

/** Reads back what {@link encodeJson} wrote; unreadable text is a damaged store. */
export function decodeJson(text: string | null, what: string): unknown {
  if (text === null) return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw new StateError(
      `The state store holds unreadable JSON in ${what}`,
      error,
      'PMS_STATE_DAMAGED',
    );
  }
}
