import type { BookingRequest, BookingResult } from '../domain/booking.js';
import { createToken } from './token.js';

/** Books appointments in a partner system (the practice's PMS). */
export interface BookingPort {
  book(request: BookingRequest, signal?: AbortSignal): Promise<BookingResult>;
}

/** Service identifier of {@link BookingPort}. */
export const BookingPortToken = createToken<BookingPort>('BookingPort');
