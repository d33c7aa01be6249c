import { createToken } from './token.js';

/** The time, injected so that code which depends on it can be tested. */
export interface Clock {
  now(): Date;
}

/** The real clock. */
export const systemClock: Clock = { now: () => new Date() };

/** Service identifier of {@link Clock}. */
export const ClockToken = createToken<Clock>('Clock');
