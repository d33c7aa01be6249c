type Entry<T> = { result: IteratorResult<T> } | { error: unknown };

/**
 * Reads `source` ahead of its consumer, keeping up to `size` items ready, so the source
 * works while the consumer does (schedules are fetched while a batch is written). Items and
 * errors arrive in the source's order. When the consumer stops early, reading stops and the
 * source is closed once the read under way settles.
 */
export async function* prefetch<T>(source: AsyncIterable<T>, size: number): AsyncGenerator<T> {
  if (!Number.isInteger(size) || size < 1) {
    throw new RangeError(`prefetch size must be a positive integer, got ${size}`);
  }
  const iterator = source[Symbol.asyncIterator]();
  const ready: Entry<T>[] = [];
  let onReady: (() => void) | undefined;
  let onSpace: (() => void) | undefined;
  let isStopped = false;
  let isSourceDone = false;
  const pump = (async () => {
    try {
      for (;;) {
        while (ready.length >= size && !isStopped) {
          await new Promise<void>((resolve) => (onSpace = resolve));
        }
        if (isStopped) return;
        const result = await iterator.next();
        if (result.done === true) isSourceDone = true;
        ready.push({ result });
        onReady?.();
        if (isSourceDone) return;
      }
    } catch (error) {
      isSourceDone = true;
      ready.push({ error });
      onReady?.();
    }
  })();
  try {
    for (;;) {
      while (ready.length === 0) await new Promise<void>((resolve) => (onReady = resolve));
      onReady = undefined;
      const entry = ready.shift() as Entry<T>;
      onSpace?.();
      onSpace = undefined;
      if ('error' in entry) throw entry.error;
      if (entry.result.done === true) return;
      yield entry.result.value;
    }
  } finally {
    isStopped = true;
    onSpace?.();
    await pump;
    if (!isSourceDone) await iterator.return?.();
  }
}
