import { StateError } from '../errors/errors.js';

/**
 * Serialises a value for storage. `undefined` becomes `null` (an absent column) so that it
 * reads back as `undefined`; anything JSON cannot represent (a BigInt, a cycle) is a
 * {@link StateError} naming `what`, never the value itself.
 */
export function encodeStoredJson(value: unknown, what: string): string | null {
  if (value === undefined) return null;
  try {
    const text = JSON.stringify(value) as string | undefined;
    // Functions and symbols serialise to undefined: storing them would silently lose data.
    if (text === undefined) throw new TypeError(`a ${typeof value} has no JSON form`);
    return text;
  } catch (error) {
    throw new StateError(`Could not serialise ${what} as JSON: ${messageOf(error)}`, error);
  }
}

/** Reads back what {@link encodeStoredJson} wrote; unreadable text is a {@link StateError}. */
export function decodeStoredJson(text: string | null, what: string): unknown {
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

/** The message of anything thrown, for wrapping into a {@link StateError}. */
export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
