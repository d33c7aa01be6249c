import type { Provider } from './provider.js';
import type { ScheduleWindow, Slot } from './slot.js';

/** A provider with the schedule fetched for the run's window. */
export interface ProviderRecord {
  kind: 'provider';
  provider: Provider;
  window: ScheduleWindow;
  slots: Slot[];
}

/** A provider HealthConnect reported as deactivated. */
export interface DeactivationRecord {
  kind: 'deactivation';
  providerId: string;
  changedAt: string;
}

/** What flows through the stages into the sinks. */
export type SyncRecord = ProviderRecord | DeactivationRecord;

/** The stable key of a record: its provider id. */
export function recordKey(record: SyncRecord): string {
  return record.kind === 'provider' ? record.provider.id : record.providerId;
}
