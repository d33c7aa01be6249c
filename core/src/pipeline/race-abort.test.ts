import { describe, expect, it } from '@jest/globals';
import { raceAbort } from './race-abort.js';

describe('raceAbort', () => {
  it('settles like the promise while the signal stays quiet', async () => {
    await expect(raceAbort(Promise.resolve(7), new AbortController().signal)).resolves.toBe(7);
    await expect(raceAbort(Promise.reject(new Error('no')), undefined)).rejects.toThrow('no');
  });

  it('rejects with a CancelledError when the signal aborts, leaving the promise to others', async () => {
    let finish: (value: number) => void = () => undefined;
    const shared = new Promise<number>((resolve) => {
      finish = resolve;
    });
    const controller = new AbortController();
    const waiting = raceAbort(shared, controller.signal);
    controller.abort();
    await expect(waiting).rejects.toMatchObject({ code: 'PMS_CANCELLED' });
    finish(3);
    await expect(raceAbort(shared, new AbortController().signal)).resolves.toBe(3);
  });
});
