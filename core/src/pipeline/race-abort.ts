import { CancelledError } from '../errors/errors.js';

/**
 * Waits for `promise` on behalf of one caller: resolves or rejects like it, but rejects
 * with a `CancelledError` as soon as `signal` aborts — without cancelling `promise`, which
 * other callers may share (one token request, one in-flight lookup).
 */
export function raceAbort<T>(promise: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (signal === undefined) return promise;
  if (signal.aborted)
    return Promise.reject(new CancelledError('The request was cancelled', signal.reason));
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
