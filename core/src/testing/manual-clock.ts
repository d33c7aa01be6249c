import type { Clock } from '../ports/clock.js';

/** A {@link Clock} the test moves by hand; it starts at `start` and never moves on its own. */
export class ManualClock implements Clock {
  #ms: number;

  constructor(start = '2025-03-01T08:00:00.000Z') {
    this.#ms = Date.parse(start);
  }

  /** The current manual time. */
  now(): Date {
    return new Date(this.#ms);
  }

  /** Moves the time forward by `ms`. */
  advance(ms: number): void {
    this.#ms += ms;
  }
}
