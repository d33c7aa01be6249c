import type { ScheduleWindow, Slot } from '../domain/slot.js';
import { createToken } from './token.js';

/** A source of bookable slots. */
export interface SlotSource {
  /** Every slot of the provider in the window (inclusive dates), whatever its length. */
  getSchedule(providerId: string, window: ScheduleWindow, signal?: AbortSignal): Promise<Slot[]>;
}

/** Service identifier of {@link SlotSource}. */
export const SlotSourceToken = createToken<SlotSource>('SlotSource');
