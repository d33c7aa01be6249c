import type { Location, Provider, Slot } from '@pmsbridge/core';
import { zoneOffsetMinutes, zonedEpochMs } from '@pmsbridge/core';
import type { Column } from './column-map.js';
import { wallTimeAt, type WallTime } from './datetime-format.js';
import type { TableName } from './tables.js';

/** A slot with what its row needs besides the slot: its provider and its location's zone. */
export interface SlotRowInput {
  slot: Slot;
  providerId: string;
  timeZone: string;
}

/** What a row of each table is made from. */
export interface RowInput {
  providers: Provider;
  locations: Location;
  provider_locations: { providerId: string; locationId: string };
  slots: SlotRowInput;
}

/** How lists and address lines are joined in a cell. */
export interface CellOptions {
  /** Between the items of a list (specialties, languages, insurance plans). */
  listSeparator: string;
}

/** Address lines are joined with a line break: one quoted cell shown on several lines. */
export const ADDRESS_LINE_BREAK = '\n';

const bool = (value: boolean): string => (value ? 'true' : 'false');

function wallOfDate(date: string, time: string): WallTime {
  return {
    year: Number(date.slice(0, 4)),
    month: Number(date.slice(5, 7)),
    day: Number(date.slice(8, 10)),
    hour: Number(time.slice(0, 2)),
    minute: Number(time.slice(3, 5)),
    second: 0,
  };
}

/** A slot's start (or end) instant as the column wants it: location wall time or UTC. */
function slotInstant(input: SlotRowInput, column: Column, atEnd: boolean): string {
  const { slot, timeZone } = input;
  const format = column.format;
  if (format === undefined) return '';
  const isWallTime = column.zone === 'location' && !atEnd && !format.tokens.has('Z');
  if (isWallTime) return format.format(wallOfDate(slot.date, slot.time));
  const start = zonedEpochMs(slot.date, slot.time, timeZone);
  const epoch = atEnd ? start + slot.durationMinutes * 60_000 : start;
  const offset = column.zone === 'utc' ? 0 : zoneOffsetMinutes(epoch, timeZone);
  return format.format(wallTimeAt(epoch, offset));
}

/** The date or time cell of a slot; the default layout's formats pass the values through. */
function slotDateOrTime(input: SlotRowInput, column: Column, part: 'date' | 'time'): string {
  const pattern = column.format?.pattern;
  if (column.zone === 'location') {
    if (part === 'date' && pattern === 'YYYY-MM-DD') return input.slot.date;
    if (part === 'time' && pattern === 'HH:mm') return input.slot.time;
  }
  return slotInstant(input, column, false);
}

function providerCell(provider: Provider, column: Column, options: CellOptions): string {
  const list = (items: readonly string[] | undefined) => (items ?? []).join(options.listSeparator);
  switch (column.field) {
    case 'provider_id':
      return provider.id;
    case 'npi':
      return provider.npi;
    case 'first_name':
      return provider.name.first;
    case 'last_name':
      return provider.name.last;
    case 'title':
      return provider.name.title ?? '';
    case 'gender':
      return provider.gender ?? '';
    case 'specialties':
      return list(provider.specialties);
    case 'accepting_new_patients':
      return bool(provider.acceptingNewPatients);
    case 'languages':
      return list(provider.languages);
    case 'insurance_accepted':
      return list(provider.insuranceAccepted);
    case 'phone':
      return provider.phone ?? '';
    case 'status':
      return provider.status;
    case 'updated_at':
      return column.format === undefined
        ? provider.updatedAt
        : column.format.format(wallTimeAt(Date.parse(provider.updatedAt), 0));
    default:
      return '';
  }
}

function locationCell(location: Location, column: Column): string {
  switch (column.field) {
    case 'location_id':
      return location.id;
    case 'name':
      return location.name;
    case 'address_lines':
      return location.address.lines.join(ADDRESS_LINE_BREAK);
    case 'city':
      return location.address.city;
    case 'state':
      return location.address.state;
    case 'postal_code':
      return location.address.postalCode;
    case 'country':
      return location.address.country;
    case 'timezone':
      return location.timezone;
    case 'phone':
      return location.phone ?? '';
    case 'latitude':
      return location.position === undefined ? '' : String(location.position.latitude);
    case 'longitude':
      return location.position === undefined ? '' : String(location.position.longitude);
    default:
      return '';
  }
}

function slotCell(input: SlotRowInput, column: Column): string {
  const { slot } = input;
  switch (column.field) {
    case 'slot_id':
      return slot.id;
    case 'provider_id':
      return input.providerId;
    case 'location_id':
      return slot.locationId;
    case 'date':
      return slotDateOrTime(input, column, 'date');
    case 'time':
      return slotDateOrTime(input, column, 'time');
    case 'duration_minutes':
      return String(slot.durationMinutes);
    case 'available':
      return bool(slot.available);
    case 'visit_type':
      return slot.visitType;
    case 'start':
      return slotInstant(input, column, false);
    case 'end':
      return slotInstant(input, column, true);
    default:
      return '';
  }
}

/** The cells of one row of `table`, one per column. */
export function encodeRow<T extends TableName>(
  table: T,
  columns: readonly Column[],
  input: RowInput[T],
  options: CellOptions,
): string[] {
  return columns.map((column) => {
    if (column.field === undefined) return column.value ?? '';
    switch (table) {
      case 'providers':
        return providerCell(input as Provider, column, options);
      case 'locations':
        return locationCell(input as Location, column);
      case 'provider_locations': {
        const link = input as RowInput['provider_locations'];
        return column.field === 'provider_id' ? link.providerId : link.locationId;
      }
      case 'slots':
        return slotCell(input as SlotRowInput, column);
      default:
        return '';
    }
  });
}
