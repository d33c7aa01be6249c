import { ScheduleWindowSchema, type Slot } from '@pmsbridge/healthconnect-contract';

const TIME = /^([01]\d|2[0-3]):[0-5]\d$/;
const VISIT_TYPES = new Set(['new_patient', 'follow_up', 'telehealth']);
/** The dates already found valid: a schedule has a few dozen, repeated on every slot. */
const validDates = new Set<string>();

function isValidDate(date: unknown): date is string {
  if (typeof date !== 'string') return false;
  if (validDates.has(date)) return true;
  // The contract's own date rule, once per distinct date.
  const isValid = ScheduleWindowSchema.safeParse({ start_date: date, end_date: date }).success;
  if (isValid) {
    if (validDates.size >= 10_000) validDates.clear();
    validDates.add(date);
  }
  return isValid;
}

/**
 * The slot when it is well formed by the contract's `SlotSchema`, checked without zod's
 * per-object cost (a schedule holds hundreds of slots); `undefined` otherwise, and then the
 * caller parses it with the schema, which names what is wrong. Never accepts what the
 * schema refuses; it returns only the schema's fields, as parsing does.
 */
export function wellFormedSlot(value: unknown): Slot | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const slot = value as Record<string, unknown>;
  const { slot_id, date, time, duration_minutes, available, location_id, visit_type } = slot;
  if (typeof slot_id !== 'string' || slot_id.length === 0) return undefined;
  if (typeof location_id !== 'string' || location_id.length === 0) return undefined;
  if (typeof time !== 'string' || !TIME.test(time)) return undefined;
  if (!Number.isSafeInteger(duration_minutes) || (duration_minutes as number) <= 0) {
    return undefined;
  }
  if (typeof available !== 'boolean') return undefined;
  if (typeof visit_type !== 'string' || !VISIT_TYPES.has(visit_type)) return undefined;
  if (!isValidDate(date)) return undefined;
  return {
    slot_id,
    date,
    time,
    duration_minutes: duration_minutes as number,
    available,
    location_id,
    visit_type: visit_type as Slot['visit_type'],
  };
}
