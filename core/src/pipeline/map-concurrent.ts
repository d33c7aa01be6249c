/**
 * Maps `source` through `fn` with at most `concurrency` calls in flight, yielding results
 * in input order. Nothing is pulled from `source` while `concurrency` results wait to be
 * consumed, so a slow consumer slows the source (backpressure) and memory stays bounded.
 */
export async function* mapConcurrent<T, R>(
  source: AsyncIterable<T>,
  concurrency: number,
  fn: (item: T) => Promise<R>,
  signal?: AbortSignal,
): AsyncGenerator<R> {
  if (!Number.isInteger(concurrency) || concurrency < 1) {
    throw new RangeError(`concurrency must be a positive integer, got ${concurrency}`);
  }
  const iterator = source[Symbol.asyncIterator]();
  const inFlight: Promise<R>[] = [];
  let isSourceDone = false;
  try {
    for (;;) {
      while (!isSourceDone && inFlight.length < concurrency) {
        signal?.throwIfAborted();
        const next = await iterator.next();
        if (next.done === true) {
          isSourceDone = true;
          break;
        }
        const result = fn(next.value);
        // Rejections are observed when the result reaches the head of the queue.
        result.catch(() => undefined);
        inFlight.push(result);
      }
      const head = inFlight.shift();
      if (head === undefined) return;
      yield await head;
    }
  } finally {
    if (!isSourceDone) await iterator.return?.();
  }
}
