import { describe, expect, it } from '@jest/globals';
import { ManualTime } from './manual-time.js';
import { RateGate } from './rate-gate.js';

describe('RateGate', () => {
  it('holds every waiter while paused and lets them all through when the pause ends', async () => {
    const time = new ManualTime();
    const gate = new RateGate(time, time.sleep);
    gate.pause(5_000);
    let passed = 0;
    const waiters = [gate.wait(), gate.wait(), gate.wait()].map((p) => p.then(() => (passed += 1)));
    expect(await time.pendingSleeps(3)).toEqual([5_000, 5_000, 5_000]);
    expect(passed).toBe(0);
    time.advance(5_000);
    await Promise.all(waiters);
    expect(passed).toBe(3);
  });

  it('never shortens a longer pause already in force', async () => {
    const time = new ManualTime();
    const gate = new RateGate(time, time.sleep);
    gate.pause(10_000);
    gate.pause(1_000);
    const waiting = gate.wait();
    expect(await time.pendingSleeps(1)).toEqual([10_000]);
    time.advance(10_000);
    await waiting;
  });

  it('spaces requests evenly under a requests-per-second limit', async () => {
    const time = new ManualTime();
    const gate = new RateGate(time, time.sleep, 4);
    await gate.wait();
    const second = gate.wait();
    const third = gate.wait();
    expect(await time.pendingSleeps(2)).toEqual([250, 500]);
    time.advance(500);
    await Promise.all([second, third]);
  });

  it('pauses until the reset when the server reports no requests left', async () => {
    const time = new ManualTime();
    const gate = new RateGate(time, time.sleep);
    gate.observe(0, time.now().getTime() + 3_000);
    expect(gate.isPaused).toBe(true);
    gate.observe(5, time.now().getTime() + 60_000);
    const waiting = gate.wait();
    expect(await time.pendingSleeps(1)).toEqual([3_000]);
    time.advance(3_000);
    await waiting;
  });

  it('caps the pause until a far X-RateLimit-Reset at the longest Retry-After honoured', async () => {
    const time = new ManualTime();
    const gate = new RateGate(time, time.sleep, undefined, 120_000);
    gate.observe(0, time.now().getTime() + 3 * 3_600_000);
    const waiting = gate.wait();
    expect(await time.pendingSleeps(1)).toEqual([120_000]);
    time.advance(120_000);
    await waiting;
    expect(gate.isPaused).toBe(false);
  });

  it('closes once no more requests are left than it may have in flight, not at zero', async () => {
    const time = new ManualTime();
    const gate = new RateGate(time, time.sleep, undefined, 120_000, 8);
    gate.observe(9, time.now().getTime() + 900, 50);
    expect(gate.isPaused).toBe(false);
    gate.observe(8, time.now().getTime() + 1_000, 50);
    expect(gate.isPaused).toBe(true);
    const waiting = gate.wait();
    expect(await time.pendingSleeps(1)).toEqual([1_000]);
    time.advance(1_000);
    await waiting;
  });

  it('keeps the reserve to a quarter of a small window', () => {
    const time = new ManualTime();
    const gate = new RateGate(time, time.sleep, undefined, 120_000, 16);
    gate.observe(4, time.now().getTime() + 1_000, 12);
    expect(gate.isPaused).toBe(false);
    gate.observe(3, time.now().getTime() + 1_000, 12);
    expect(gate.isPaused).toBe(true);
  });
});
