import { hash } from 'node:crypto';
import type { Location, ProviderRecord } from '@pmsbridge/core';
import { zonedEpochMs } from '@pmsbridge/core';
import type { Column } from '../codec/column-map.js';
import { encodeRow, type CellOptions } from '../codec/row-encoder.js';
import type { TableName } from '../codec/tables.js';

/** Rows of each table, as cells. */
export type TableRows = Record<TableName, string[][]>;

/** Empty rows for every table. */
export function emptyRows(): TableRows {
  return { providers: [], locations: [], provider_locations: [], slots: [] };
}

/** One row with what identifies it between runs (for change files). */
export interface KeyedRow {
  table: TableName;
  /** `<owner>/<kind>/<id>`: see `ContentDiff`'s `TrackedItem.key`. */
  key: string;
  cells: string[];
  /** When the row becomes history (a slot's end). */
  endsAt?: string;
}

/** How a provider's rows are built. */
export interface RowContext {
  columns: Record<TableName, Column[]>;
  cell: CellOptions;
}

/** A provider id as the owner part of a key: no `/`. */
export const ownerKeyOf = (providerId: string): string => encodeURIComponent(providerId);

/** The owner under which location rows are tracked; no encoded provider id holds a `:`. */
export const LOCATIONS_OWNER = ':locations';

/** Every row a provider record makes, keyed. Its locations come with it (the caller dedupes). */
export function providerRows(record: ProviderRecord, context: RowContext): KeyedRow[] {
  const { provider, slots } = record;
  const owner = ownerKeyOf(provider.id);
  const { columns, cell } = context;
  const locations = new Map<string, Location>(
    (provider.locations ?? []).map((location) => [location.id, location]),
  );
  const rows: KeyedRow[] = [
    {
      table: 'providers',
      key: `${owner}/provider`,
      cells: encodeRow('providers', columns.providers, provider, cell),
    },
  ];
  for (const location of locations.values()) {
    rows.push({
      table: 'locations',
      key: `${LOCATIONS_OWNER}/${encodeURIComponent(location.id)}`,
      cells: encodeRow('locations', columns.locations, location, cell),
    });
    rows.push({
      table: 'provider_locations',
      key: `${owner}/link/${encodeURIComponent(location.id)}`,
      cells: encodeRow(
        'provider_locations',
        columns.provider_locations,
        { providerId: provider.id, locationId: location.id },
        cell,
      ),
    });
  }
  for (const slot of slots) {
    const timeZone = locations.get(slot.locationId)?.timezone ?? 'UTC';
    const end = zonedEpochMs(slot.date, slot.time, timeZone) + slot.durationMinutes * 60_000;
    rows.push({
      table: 'slots',
      key: `${owner}/slot/${encodeURIComponent(slot.id)}`,
      cells: encodeRow('slots', columns.slots, { slot, providerId: provider.id, timeZone }, cell),
      endsAt: new Date(end).toISOString(),
    });
  }
  return rows;
}

/** A content hash of rows: what a change of any cell changes. */
export function hashRows(rows: readonly { cells: readonly string[] }[]): string {
  let text = '';
  for (const row of rows) text += `${row.cells.join('\u001f')}\u001e`;
  return hash('sha1', text);
}

/**
 * The key fields of a tracked row, read back from its key, for a `delete` row that carries
 * only what identifies the row.
 */
export function keyFieldsOf(key: string): { table: TableName; fields: Record<string, string> } {
  const [owner = '', kind = '', id = ''] = key.split('/');
  if (owner === LOCATIONS_OWNER)
    return { table: 'locations', fields: { location_id: decodeURIComponent(kind) } };
  const providerId = decodeURIComponent(owner);
  switch (kind) {
    case 'link':
      return {
        table: 'provider_locations',
        fields: { provider_id: providerId, location_id: decodeURIComponent(id) },
      };
    case 'slot':
      return {
        table: 'slots',
        fields: { provider_id: providerId, slot_id: decodeURIComponent(id) },
      };
    default:
      return { table: 'providers', fields: { provider_id: providerId } };
  }
}

/** A row holding only key fields (and constants), for a `delete` action. */
export function keyOnlyRow(columns: readonly Column[], fields: Record<string, string>): string[] {
  return columns.map((column) =>
    column.field === undefined ? (column.value ?? '') : (fields[column.field] ?? ''),
  );
}
