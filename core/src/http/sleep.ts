import { setTimeout as wait } from 'node:timers/promises';
import { CancelledError } from '../errors/errors.js';

/** Waits `ms` milliseconds unless `signal` aborts first; injected so tests never wait for real. */
export type Sleep = (ms: number, signal?: AbortSignal) => Promise<void>;

/** The real {@link Sleep}: rejects with a `CancelledError` when `signal` aborts. */
export const sleep: Sleep = async (ms, signal) => {
  if (ms <= 0) {
    throwIfAborted(signal);
    return;
  }
  try {
    await wait(ms, undefined, { signal });
  } catch (error) {
    throw new CancelledError('The request was cancelled while waiting', error);
  }
};

/** Throws a `CancelledError` when `signal` has aborted. */
export function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted === true)
    throw new CancelledError('The request was cancelled', signal.reason);
}
