import { describe, expect, it } from '@jest/globals';
import { setTimeout as sleep } from 'node:timers/promises';
import { prefetch } from './prefetch.js';

/** A source that records when each item was produced and whether it was closed. */
function counting(count: number, failAt?: number) {
  const produced: number[] = [];
  let closed = false;
  async function* items(): AsyncGenerator<number> {
    try {
      for (let i = 0; i < count; i += 1) {
        await sleep(1);
        if (i === failAt) throw new Error(`item ${i} failed`);
        produced.push(i);
        yield i;
      }
    } finally {
      closed = true;
    }
  }
  return { items: items(), produced, isClosed: () => closed };
}

describe('prefetch', () => {
  it('reads ahead while the consumer is busy, up to the size, in order', async () => {
    const source = counting(20);
    const seen: number[] = [];
    const aheadWhileBusy: number[] = [];
    for await (const item of prefetch(source.items, 5)) {
      seen.push(item);
      if (item === 2) {
        // The consumer is busy: the source goes on, but not past the size.
        await sleep(50);
        aheadWhileBusy.push(source.produced.length - seen.length);
      }
    }
    expect(seen).toEqual(Array.from({ length: 20 }, (_, i) => i));
    expect(aheadWhileBusy[0]).toBeGreaterThanOrEqual(4);
    expect(aheadWhileBusy[0]).toBeLessThanOrEqual(6);
  });

  it('delivers the items before an error, then the error', async () => {
    const source = counting(10, 4);
    const seen: number[] = [];
    await expect(
      (async () => {
        for await (const item of prefetch(source.items, 3)) seen.push(item);
      })(),
    ).rejects.toThrow('item 4 failed');
    expect(seen).toEqual([0, 1, 2, 3]);
  });

  it('stops reading and closes the source when the consumer stops early', async () => {
    const source = counting(100);
    for await (const item of prefetch(source.items, 4)) {
      if (item === 3) break;
    }
    expect(source.isClosed()).toBe(true);
    const produced = source.produced.length;
    await sleep(20);
    expect(source.produced.length).toBe(produced);
    expect(produced).toBeLessThanOrEqual(3 + 1 + 4 + 1);
  });

  it('refuses a size that is not a positive integer', async () => {
    await expect(prefetch(counting(1).items, 0).next()).rejects.toThrow(RangeError);
  });
});
