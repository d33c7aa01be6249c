import {
  ConfigError,
  LocationSchema,
  ProviderSchema,
  SlotSchema,
  type Location,
  type Provider,
  type Slot,
} from '@pmsbridge/core';
import { formatInstant, zonedEpochMs } from '@pmsbridge/core';
import type { z } from 'zod';
import type { Column } from './column-map.js';
import { epochOf, isoDateOf, isoTimeOf, type WallTime } from './datetime-format.js';
import type { CellOptions } from './row-encoder.js';
import type { TableName } from './tables.js';

/** A table's header matched against its columns: where each field's cells are. */
export interface BoundHeader {
  table: TableName;
  file: string;
  /** Cell index of each field the file holds. */
  cellOf: Map<string, number>;
  /** The column each field is read with (format, zone). */
  columnOf: Map<string, Column>;
  /** Headers the column map does not know (their cells are ignored). */
  unknown: string[];
  width: number;
}

/** Fields a file must have to be read; `a|b` means either. */
const REQUIRED: Record<TableName, readonly string[]> = {
  providers: [
    'provider_id',
    'npi',
    'first_name',
    'last_name',
    'accepting_new_patients',
    'status',
    'updated_at',
  ],
  locations: ['location_id', 'name', 'city', 'state', 'postal_code', 'country', 'timezone'],
  provider_locations: ['provider_id', 'location_id'],
  slots: [
    'slot_id',
    'provider_id',
    'location_id',
    'date|start',
    'time|start',
    'duration_minutes|end',
    'available',
    'visit_type',
  ],
};

const normal = (header: string): string => header.trim().toLowerCase();

/**
 * Matches a file's header row with the columns it is read with. Headers match without regard
 * to case or surrounding spaces. Throws a {@link ConfigError} naming the file and the column
 * when a required field has no column or a header appears twice.
 */
export function bindHeader(
  table: TableName,
  file: string,
  columns: readonly Column[],
  header: readonly string[],
): BoundHeader {
  const positions = new Map<string, number>();
  header.forEach((name, index) => {
    const key = normal(name);
    if (key === '' && index === header.length - 1) return; // a trailing separator
    if (positions.has(key))
      throw new ConfigError(`${file}: the column "${name.trim()}" appears twice in the header`);
    positions.set(key, index);
  });
  const cellOf = new Map<string, number>();
  const columnOf = new Map<string, Column>();
  const known = new Set<string>();
  for (const column of columns) {
    const position = positions.get(normal(column.header));
    known.add(normal(column.header));
    if (column.field === undefined || position === undefined) continue;
    cellOf.set(column.field, position);
    columnOf.set(column.field, column);
  }
  for (const required of REQUIRED[table]) {
    const options = required.split('|');
    if (options.some((field) => cellOf.has(field))) continue;
    const headers = options.map((field) => columns.find((c) => c.field === field)?.header ?? field);
    throw new ConfigError(
      `${file}: no column for ${options.join(' or ')} (expected the header ${headers.map((h) => `"${h}"`).join(' or ')}); the file's columns are ${header.map((h) => `"${h}"`).join(', ')}. Fix the export or the source's \`columns.${table}\` map`,
    );
  }
  const unknown = [...positions.keys()].filter((key) => !known.has(key));
  return { table, file, cellOf, columnOf, unknown, width: header.length };
}

/** A decoded row, or why it cannot be read (field names, never the values). */
export type Decoded<T> = { ok: true; value: T } | { ok: false; reason: string };

/** Checks the row's width: fewer cells than the header, or extra cells with content, are errors. */
export function checkWidth(bound: BoundHeader, cells: readonly string[]): string | undefined {
  if (cells.length < bound.width)
    return `the row has ${cells.length} fields, the header ${bound.width}`;
  for (let i = bound.width; i < cells.length; i++) {
    if ((cells[i] ?? '') !== '')
      return `the row has ${cells.length} fields, the header ${bound.width}`;
  }
  return undefined;
}

/** The cell of `field`, trimmed; undefined when the file has no such column or it is empty. */
function cell(bound: BoundHeader, cells: readonly string[], field: string): string | undefined {
  const index = bound.cellOf.get(field);
  if (index === undefined) return undefined;
  const value = (cells[index] ?? '').trim();
  return value === '' ? undefined : value;
}

const TRUE = new Set(['true', 'yes', 'y', '1']);
const FALSE = new Set(['false', 'no', 'n', '0']);

function parseBool(text: string | undefined): boolean | string | undefined {
  if (text === undefined) return undefined;
  const key = text.toLowerCase();
  if (TRUE.has(key)) return true;
  if (FALSE.has(key)) return false;
  return text;
}

function parseNumber(text: string | undefined): number | string | undefined {
  if (text === undefined) return undefined;
  const value = Number(text);
  return Number.isFinite(value) ? value : text;
}

function list(bound: BoundHeader, cells: readonly string[], field: string, separator: string) {
  if (!bound.cellOf.has(field)) return undefined;
  return (cell(bound, cells, field) ?? '')
    .split(separator)
    .map((item) => item.trim())
    .filter((item) => item !== '');
}

/** Zod issue paths → the field (column) they come from. */
type FieldOfPath = Record<string, string>;

const PROVIDER_PATHS: FieldOfPath = {
  id: 'provider_id',
  'name.first': 'first_name',
  'name.last': 'last_name',
  'name.title': 'title',
  acceptingNewPatients: 'accepting_new_patients',
  insuranceAccepted: 'insurance_accepted',
  updatedAt: 'updated_at',
};
const LOCATION_PATHS: FieldOfPath = {
  id: 'location_id',
  'address.lines': 'address_lines',
  'address.city': 'city',
  'address.state': 'state',
  'address.postalCode': 'postal_code',
  'address.country': 'country',
  'position.latitude': 'latitude',
  'position.longitude': 'longitude',
};
const SLOT_PATHS: FieldOfPath = {
  id: 'slot_id',
  durationMinutes: 'duration_minutes',
  locationId: 'location_id',
  visitType: 'visit_type',
};

function validate<S extends z.ZodType>(
  schema: S,
  candidate: unknown,
  bound: BoundHeader,
  paths: FieldOfPath,
): Decoded<z.output<S>> {
  const result = schema.safeParse(candidate);
  if (result.success) return { ok: true, value: result.data };
  const reasons = result.error.issues.map((issue) => {
    const path = issue.path.filter((p) => typeof p !== 'number').join('.');
    const field = paths[path] ?? paths[path.split('.')[0] ?? ''] ?? path;
    const header = bound.columnOf.get(field)?.header ?? field;
    return `column ${header}: ${issue.message}`;
  });
  return { ok: false, reason: reasons.join('; ') };
}

/** A provider row (without its locations, which come from provider_locations). */
export function decodeProvider(
  bound: BoundHeader,
  cells: readonly string[],
  options: CellOptions,
): Decoded<Omit<Provider, 'locations'>> {
  const updatedAtCell = cell(bound, cells, 'updated_at');
  const format = bound.columnOf.get('updated_at')?.format;
  let updatedAt: string | undefined = updatedAtCell;
  if (format !== undefined && updatedAtCell !== undefined) {
    const time = format.parse(updatedAtCell);
    updatedAt =
      time === undefined
        ? updatedAtCell
        : new Date(epochOf(time, time.offsetMinutes ?? 0)).toISOString();
  }
  const title = cell(bound, cells, 'title');
  const candidate = {
    id: cell(bound, cells, 'provider_id'),
    npi: cell(bound, cells, 'npi'),
    name: {
      first: cell(bound, cells, 'first_name'),
      last: cell(bound, cells, 'last_name'),
      ...(title === undefined ? {} : { title }),
    },
    gender: cell(bound, cells, 'gender'),
    specialties: list(bound, cells, 'specialties', options.listSeparator) ?? [],
    acceptingNewPatients: parseBool(cell(bound, cells, 'accepting_new_patients')),
    languages: list(bound, cells, 'languages', options.listSeparator),
    insuranceAccepted: list(bound, cells, 'insurance_accepted', options.listSeparator),
    phone: cell(bound, cells, 'phone'),
    status: cell(bound, cells, 'status'),
    updatedAt,
  };
  return validate(
    ProviderSchema.omit({ locations: true }),
    dropUndefined(candidate),
    bound,
    PROVIDER_PATHS,
  );
}

/** A location row. */
export function decodeLocation(bound: BoundHeader, cells: readonly string[]): Decoded<Location> {
  const latitude = parseNumber(cell(bound, cells, 'latitude'));
  const longitude = parseNumber(cell(bound, cells, 'longitude'));
  const lines = bound.cellOf.has('address_lines')
    ? (cells[bound.cellOf.get('address_lines') ?? 0] ?? '')
        .split(/\r?\n/)
        .map((line) => line.trim())
        .filter((line) => line !== '')
    : [];
  const candidate = {
    id: cell(bound, cells, 'location_id'),
    name: cell(bound, cells, 'name'),
    address: {
      lines,
      city: cell(bound, cells, 'city'),
      state: cell(bound, cells, 'state'),
      postalCode: cell(bound, cells, 'postal_code'),
      country: cell(bound, cells, 'country'),
    },
    timezone: cell(bound, cells, 'timezone'),
    phone: cell(bound, cells, 'phone'),
    position:
      latitude === undefined && longitude === undefined ? undefined : { latitude, longitude },
  };
  return validate(LocationSchema, dropUndefined(candidate), bound, LOCATION_PATHS);
}

/** A provider_locations row. */
export function decodeLink(
  bound: BoundHeader,
  cells: readonly string[],
): Decoded<{ providerId: string; locationId: string }> {
  const providerId = cell(bound, cells, 'provider_id');
  const locationId = cell(bound, cells, 'location_id');
  if (providerId === undefined) return { ok: false, reason: 'column provider_id: empty' };
  if (locationId === undefined) return { ok: false, reason: 'column location_id: empty' };
  return { ok: true, value: { providerId, locationId } };
}

/** The owner (provider id) of a row of a table that has one, without decoding the rest. */
export function ownerOf(bound: BoundHeader, cells: readonly string[]): string | undefined {
  return cell(bound, cells, 'provider_id');
}

/** The local date and time of a slot's start, and the start's epoch when the row gives one. */
interface SlotStart {
  date?: string;
  time?: string;
  epochMs?: number;
}

/** The local date/time at `timeZone` of an instant. */
function localAt(epochMs: number, timeZone: string): SlotStart {
  const instant = formatInstant(epochMs, timeZone);
  return { date: instant.slice(0, 10), time: instant.slice(11, 16), epochMs };
}

function fromWallTime(time: WallTime, zone: Column['zone'], timeZone: string): SlotStart {
  if (time.offsetMinutes !== undefined) return localAt(epochOf(time, time.offsetMinutes), timeZone);
  if (zone === 'utc') return localAt(epochOf(time, 0), timeZone);
  return { date: isoDateOf(time), time: isoTimeOf(time) };
}

function readTime(
  bound: BoundHeader,
  cells: readonly string[],
  field: string,
): { time?: WallTime; column?: Column; text?: string } {
  const text = cell(bound, cells, field);
  const column = bound.columnOf.get(field);
  if (text === undefined || column?.format === undefined) return { text };
  return { time: column.format.parse(text), column, text };
}

function slotStart(
  bound: BoundHeader,
  cells: readonly string[],
  timeZone: string,
): SlotStart | string {
  if (bound.cellOf.has('date') && bound.cellOf.has('time')) {
    const date = readTime(bound, cells, 'date');
    const time = readTime(bound, cells, 'time');
    const dateColumn = bound.columnOf.get('date');
    const timeColumn = bound.columnOf.get('time');
    // The default layout's formats: the cells are the domain's values (checked by the schema).
    if (
      dateColumn?.zone === 'location' &&
      dateColumn.format?.pattern === 'YYYY-MM-DD' &&
      timeColumn?.format?.pattern === 'HH:mm'
    )
      return { date: date.text, time: time.text };
    if (date.text !== undefined && date.time === undefined)
      return `column ${dateColumn?.header ?? 'date'}: does not match ${dateColumn?.format?.pattern}`;
    if (time.text !== undefined && time.time === undefined)
      return `column ${timeColumn?.header ?? 'time'}: does not match ${timeColumn?.format?.pattern}`;
    if (date.time === undefined || time.time === undefined) return {};
    return fromWallTime({ ...date.time, ...time.time }, timeColumn?.zone ?? 'location', timeZone);
  }
  const start = readTime(bound, cells, 'start');
  if (start.text === undefined) return {};
  if (start.time === undefined)
    return `column ${start.column?.header ?? 'start'}: does not match ${start.column?.format?.pattern}`;
  return fromWallTime(start.time, start.column?.zone ?? 'location', timeZone);
}

function slotDuration(
  bound: BoundHeader,
  cells: readonly string[],
  start: SlotStart,
  timeZone: string,
): number | string | undefined {
  if (bound.cellOf.has('duration_minutes'))
    return parseNumber(cell(bound, cells, 'duration_minutes'));
  const end = readTime(bound, cells, 'end');
  if (end.text === undefined || start.date === undefined || start.time === undefined)
    return undefined;
  if (end.time === undefined)
    return `column ${end.column?.header ?? 'end'}: does not match ${end.column?.format?.pattern}`;
  const local = fromWallTime(end.time, end.column?.zone ?? 'location', timeZone);
  const startMs = start.epochMs ?? zonedEpochMs(start.date, start.time, timeZone);
  const endMs =
    local.epochMs ?? zonedEpochMs(local.date ?? start.date, local.time ?? start.time, timeZone);
  return Math.round((endMs - startMs) / 60_000);
}

/**
 * A slot row. `timeZoneOf` gives the zone of a location id (for UTC or offset columns); the
 * slot's provider id is read with {@link ownerOf}.
 */
export function decodeSlot(
  bound: BoundHeader,
  cells: readonly string[],
  timeZoneOf: (locationId: string) => string | undefined,
): Decoded<Slot> {
  const locationId = cell(bound, cells, 'location_id');
  const timeZone = (locationId === undefined ? undefined : timeZoneOf(locationId)) ?? 'UTC';
  const start = slotStart(bound, cells, timeZone);
  if (typeof start === 'string') return { ok: false, reason: start };
  const duration = slotDuration(bound, cells, start, timeZone);
  if (typeof duration === 'string' && duration.startsWith('column '))
    return { ok: false, reason: duration };
  const candidate = {
    id: cell(bound, cells, 'slot_id'),
    date: start.date,
    time: start.time,
    durationMinutes: duration,
    available: parseBool(cell(bound, cells, 'available')),
    locationId,
    visitType: cell(bound, cells, 'visit_type'),
  };
  return validate(SlotSchema, dropUndefined(candidate), bound, SLOT_PATHS);
}

/** Leaves out undefined properties, so optional fields are absent rather than undefined. */
function dropUndefined<T extends Record<string, unknown>>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}
