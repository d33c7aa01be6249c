import { setTimeout as wait } from 'node:timers/promises';
import { CancelledError } from '@pmsbridge/core';

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

/** Resolves like `promise`, but rejects with a `CancelledError` as soon as `signal` aborts. */
export function raceAbort<T>(promise: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (signal === undefined) return promise;
  throwIfAborted(signal);
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void =>
      reject(new CancelledError('The request was cancelled', signal.reason));
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(error);
      },
    );
  });
}
