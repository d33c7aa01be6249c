import { afterEach, describe, expect, it, jest } from '@jest/globals';
import { batch } from './batch.js';

async function* items<T>(values: T[]): AsyncGenerator<T> {
  for (const value of values) yield value;
}

/** A source the test feeds one item at a time. */
function manualSource<T>() {
  const waiting: Array<(result: IteratorResult<T>) => void> = [];
  const queued: Array<IteratorResult<T>> = [];
  const push = (result: IteratorResult<T>) => {
    const next = waiting.shift();
    if (next) next(result);
    else queued.push(result);
  };
  const iterable: AsyncIterable<T> = {
    [Symbol.asyncIterator]: () => ({
      next: () => {
        const ready = queued.shift();
        return ready ? Promise.resolve(ready) : new Promise((resolve) => waiting.push(resolve));
      },
    }),
  };
  return {
    iterable,
    push: (value: T) => push({ value, done: false }),
    end: () => push({ value: undefined, done: true }),
  };
}

describe('batch', () => {
  afterEach(() => {
    jest.useRealTimers();
  });

  it('groups by size and emits the remainder at the end', async () => {
    const out: number[][] = [];
    for await (const group of batch(items([1, 2, 3, 4, 5, 6, 7]), { size: 3 })) out.push(group);
    expect(out).toEqual([[1, 2, 3], [4, 5, 6], [7]]);
  });

  it('emits a partial batch when maxWaitMs passes after its first item', async () => {
    jest.useFakeTimers();
    const source = manualSource<number>();
    const iterator = batch(source.iterable, { size: 10, maxWaitMs: 500 })[Symbol.asyncIterator]();
    source.push(1);
    source.push(2);
    const next = iterator.next();
    await jest.advanceTimersByTimeAsync(499);
    let settled = false;
    void next.then(() => (settled = true));
    await Promise.resolve();
    expect(settled).toBe(false);
    await jest.advanceTimersByTimeAsync(1);
    await expect(next).resolves.toEqual({ value: [1, 2], done: false });
    source.push(3);
    source.end();
    await expect(iterator.next()).resolves.toEqual({ value: [3], done: false });
    await expect(iterator.next()).resolves.toEqual({ value: undefined, done: true });
  });

  it('rejects a size below one', async () => {
    await expect(batch(items([1]), { size: 0 }).next()).rejects.toThrow(RangeError);
  });
});
