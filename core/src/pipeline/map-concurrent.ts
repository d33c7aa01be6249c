/**
 * Maps `source` through `fn` with at most `concurrency` calls in flight, yielding results
 * in input order. Nothing is pulled from `source` while `concurrency` results wait to be
 * consumed, so a slow consumer slows the source (backpressure) and memory stays bounded.
 *
 * `fn` gets a signal that aborts when `signal` does or when the consumer stops early (a
 * failure, a `break`); the generator then waits for the calls in flight to settle, so no
 * work outlives it.
 */
export async function* mapConcurrent<T, R>(
  source: AsyncIterable<T>,
  concurrency: number,
  fn: (item: T, signal: AbortSignal) => Promise<R>,
  signal?: AbortSignal,
): AsyncGenerator<R> {
  if (!Number.isInteger(concurrency) || concurrency < 1) {
    throw new RangeError(`concurrency must be a positive integer, got ${concurrency}`);
  }
  const controller = new AbortController();
  const forwardAbort = (): void => controller.abort(signal?.reason);
  signal?.addEventListener('abort', forwardAbort, { once: true });
  const iterator = source[Symbol.asyncIterator]();
  const inFlight: Promise<R>[] = [];
  let isSourceDone = false;
  let isFinished = false;
  try {
    for (;;) {
      while (!isSourceDone && inFlight.length < concurrency) {
        signal?.throwIfAborted();
        const next = await iterator.next();
        if (next.done === true) {
          isSourceDone = true;
          break;
        }
        const result = fn(next.value, controller.signal);
        // Rejections are observed when the result reaches the head of the queue.
        result.catch(() => undefined);
        inFlight.push(result);
      }
      const head = inFlight.shift();
      if (head === undefined) {
        isFinished = true;
        return;
      }
      yield await head;
    }
  } finally {
    signal?.removeEventListener('abort', forwardAbort);
    if (!isFinished) controller.abort(new Error('the consumer stopped'));
    await Promise.allSettled(inFlight);
    if (!isSourceDone) await iterator.return?.();
  }
}
