import { CancelledError } from '../errors/errors.js';
import type { Clock } from '../ports/clock.js';
import type { Sleep } from './sleep.js';

interface Sleeper {
  until: number;
  ms: number;
  resolve: () => void;
}

/**
 * A clock and a sleep that only move when the test says so, for tests of code built on
 * this toolkit. `sleeps` records every requested wait; `pendingSleeps(n)` resolves when
 * code under test has started waiting `n` times.
 */
export class ManualTime implements Clock {
  readonly sleeps: number[] = [];
  #now: number;
  #sleepers: Sleeper[] = [];
  #listeners: Array<() => void> = [];

  constructor(start = Date.parse('2026-12-01T12:00:00Z')) {
    this.#now = start;
  }

  now(): Date {
    return new Date(this.#now);
  }

  readonly sleep: Sleep = (ms, signal) =>
    new Promise<void>((resolve, reject) => {
      this.sleeps.push(ms);
      const sleeper: Sleeper = { until: this.#now + ms, ms, resolve };
      this.#sleepers.push(sleeper);
      signal?.addEventListener('abort', () => {
        this.#sleepers = this.#sleepers.filter((s) => s !== sleeper);
        reject(new CancelledError());
      });
      const listeners = this.#listeners;
      this.#listeners = [];
      for (const listener of listeners) listener();
    });

  /** Waits until there are at least `count` pending sleeps. */
  async pendingSleeps(count: number): Promise<number[]> {
    while (this.#sleepers.length < count) {
      await new Promise<void>((resolve) => this.#listeners.push(resolve));
    }
    return this.#sleepers.map((s) => s.ms);
  }

  /** Moves time forward and wakes every sleeper whose time has come. */
  advance(ms: number): void {
    this.#now += ms;
    const due = this.#sleepers.filter((s) => s.until <= this.#now);
    this.#sleepers = this.#sleepers.filter((s) => s.until > this.#now);
    for (const sleeper of due) sleeper.resolve();
  }
}
