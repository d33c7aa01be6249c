import { describe, expect, it } from '@jest/globals';
import { mapConcurrent } from './map-concurrent.js';

async function* numbers(count: number, onPull?: (n: number) => void): AsyncGenerator<number> {
  for (let n = 0; n < count; n += 1) {
    onPull?.(n);
    yield n;
  }
}

/** A promise resolved from outside, so tests control completion order without timers. */
function deferred<T>() {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((done) => {
    resolve = done;
  });
  return { promise, resolve };
}

describe('mapConcurrent', () => {
  it('yields results in input order even when later items finish first', async () => {
    const gates = Array.from({ length: 4 }, () => deferred<void>());
    const results: number[] = [];
    const run = (async () => {
      for await (const value of mapConcurrent(numbers(4), 4, async (n) => {
        await gates[n]?.promise;
        return n * 10;
      })) {
        results.push(value);
      }
    })();
    for (const index of [3, 2, 1, 0]) gates[index]?.resolve();
    await run;
    expect(results).toEqual([0, 10, 20, 30]);
  });

  it('never has more than `concurrency` calls in flight', async () => {
    let active = 0;
    let peak = 0;
    const out: number[] = [];
    for await (const value of mapConcurrent(numbers(50), 3, async (n) => {
      active += 1;
      peak = Math.max(peak, active);
      await new Promise((resolve) => setImmediate(resolve));
      active -= 1;
      return n;
    })) {
      out.push(value);
    }
    expect(out).toHaveLength(50);
    expect(peak).toBe(3);
  });

  it('stops pulling from the source while the consumer does not read', async () => {
    let pulled = 0;
    const iterator = mapConcurrent(
      numbers(1000, () => (pulled += 1)),
      4,
      async (n) => n,
    )[Symbol.asyncIterator]();
    await iterator.next();
    await new Promise((resolve) => setImmediate(resolve));
    expect(pulled).toBeLessThanOrEqual(5);
    await iterator.return?.(undefined);
  });

  it('rethrows the failure of an item when it reaches the head of the queue', async () => {
    const seen: number[] = [];
    await expect(
      (async () => {
        for await (const value of mapConcurrent(numbers(5), 2, async (n) => {
          if (n === 2) throw new Error('boom');
          return n;
        })) {
          seen.push(value);
        }
      })(),
    ).rejects.toThrow('boom');
    expect(seen).toEqual([0, 1]);
  });

  it('stops when the signal is aborted', async () => {
    const controller = new AbortController();
    const seen: number[] = [];
    await expect(
      (async () => {
        for await (const value of mapConcurrent(
          numbers(100),
          1,
          async (n) => n,
          controller.signal,
        )) {
          seen.push(value);
          if (value === 3) controller.abort();
        }
      })(),
    ).rejects.toThrow();
    expect(seen.at(-1)).toBeLessThanOrEqual(4);
  });

  it('aborts and waits for the calls in flight when the consumer stops early', async () => {
    const settled: number[] = [];
    const aborted: number[] = [];
    for await (const value of mapConcurrent(
      numbers(10),
      3,
      (n, signal) =>
        new Promise<number>((resolve) => {
          if (n === 0) return resolve(n);
          signal.addEventListener('abort', () => {
            aborted.push(n);
            settled.push(n);
            resolve(n);
          });
        }),
    )) {
      expect(value).toBe(0);
      break;
    }
    // Items 1 and 2 were in flight: both saw the abort and settled before the loop ended.
    expect(aborted.sort()).toEqual([1, 2]);
    expect(settled).toHaveLength(2);
  });
});
