import type { ProviderSource } from './provider-source.js';

/**
 * A source that can announce changes to a provider's schedule as they happen (HealthConnect
 * does with `schedule.updated` webhooks): an optional capability of a
 * {@link ProviderSource}. The booking service asks for it after each booking, so that what
 * changes at the booked provider reaches every sink without waiting for the next sync.
 */
export interface ScheduleWatch {
  /**
   * Makes sure changes to the provider's schedule will be announced. Resolves once they
   * will be; at once when the provider is watched already. Safe to call concurrently and
   * from several processes sharing one state store.
   */
  watchSchedule(providerId: string, signal?: AbortSignal): Promise<void>;
}

/** Whether a source can watch schedules (and is configured to). */
export function hasScheduleWatch(source: ProviderSource): source is ProviderSource & ScheduleWatch {
  return typeof (source as Partial<ScheduleWatch>).watchSchedule === 'function';
}
