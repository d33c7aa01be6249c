/** When a batch is emitted. */
export interface BatchOptions {
  /** Emit when this many items are buffered. */
  size: number;
  /** Emit a non-empty batch at most this long after its first item arrived. */
  maxWaitMs?: number;
}

const TIMED_OUT = Symbol('timed out');

function delay(ms: number): { promise: Promise<typeof TIMED_OUT>; cancel(): void } {
  let timer: NodeJS.Timeout | undefined;
  const promise = new Promise<typeof TIMED_OUT>((resolve) => {
    timer = setTimeout(() => resolve(TIMED_OUT), Math.max(0, ms));
  });
  return { promise, cancel: () => clearTimeout(timer) };
}

/**
 * Groups items into arrays by size and by time: a batch is emitted when it is full, or
 * `maxWaitMs` after its first item, whichever comes first, so a slow trickle of records is
 * still written (and checkpointed) promptly.
 */
export async function* batch<T>(
  source: AsyncIterable<T>,
  options: BatchOptions,
): AsyncGenerator<T[]> {
  if (!Number.isInteger(options.size) || options.size < 1) {
    throw new RangeError(`batch size must be a positive integer, got ${options.size}`);
  }
  const iterator = source[Symbol.asyncIterator]();
  let pending: Promise<IteratorResult<T>> | undefined;
  let buffer: T[] = [];
  let deadline = 0;
  let isSourceDone = false;
  try {
    for (;;) {
      pending ??= iterator.next();
      let result: IteratorResult<T> | typeof TIMED_OUT;
      if (buffer.length > 0 && options.maxWaitMs !== undefined) {
        const timeout = delay(deadline - Date.now());
        result = await Promise.race([pending, timeout.promise]);
        timeout.cancel();
      } else {
        result = await pending;
      }
      if (result === TIMED_OUT) {
        const full = buffer;
        buffer = [];
        yield full;
        continue;
      }
      pending = undefined;
      if (result.done === true) {
        isSourceDone = true;
        if (buffer.length > 0) yield buffer;
        return;
      }
      if (buffer.length === 0) deadline = Date.now() + (options.maxWaitMs ?? 0);
      buffer.push(result.value);
      if (buffer.length >= options.size) {
        const full = buffer;
        buffer = [];
        yield full;
      }
    }
  } finally {
    if (!isSourceDone) {
      const closing = iterator.return?.();
      // With a next() pending, return() only runs once it settles: close without waiting.
      if (pending === undefined) await closing;
      else closing?.catch(() => undefined);
    }
  }
}
