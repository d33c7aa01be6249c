import { ConfigError } from '@pmsbridge/core';
import { headerRow, type Column } from '../codec/column-map.js';
import { encodeRows, type CsvEncoding } from '../codec/csv-encoding.js';
import type { TableName } from '../codec/tables.js';
import { readCsvRecords } from '../transport/csv-file-reader.js';
import { sizeOf } from '../transport/durable-file.js';

/** Rows carried forward are appended in blocks of about this many bytes. */
const BLOCK_BYTES = 1 << 20;

/** What an incremental snapshot keeps from the previous one. */
export interface CarryPlan {
  /** Providers this run wrote or withdrew: their previous rows are dropped. */
  touched: ReadonlySet<string>;
  /** Locations this run wrote; grows with the locations carried. */
  writtenLocations: Set<string>;
  /** Locations some kept provider_locations row names; filled while carrying those rows. */
  referencedLocations: Set<string>;
}

/** Where a table's previous snapshot is and how its rows are read and written. */
export interface CarrySource {
  table: TableName;
  path: string;
  label: string;
  columns: readonly Column[];
  encoding: CsvEncoding;
}

/** Tables in the order they are carried: links first, they say which locations stay. */
export const CARRY_ORDER: readonly TableName[] = [
  'provider_locations',
  'locations',
  'providers',
  'slots',
];

/** The cell index of `field` in `columns`, or a config error naming the table. */
export function keyIndex(columns: readonly Column[], field: string, table: TableName): number {
  const index = columns.findIndex((column) => column.field === field);
  if (index < 0) {
    throw new ConfigError(
      `columns.${table}: an incremental snapshot needs the ${field} column to carry the previous snapshot's rows forward; add it, or set incremental: changes`,
    );
  }
  return index;
}

/**
 * Streams the previous snapshot of one table and hands the rows this run keeps to `append`,
 * in blocks: rows of providers the run did not touch, and locations still referenced and not
 * rewritten. Returns false when there was no previous file. A previous file whose header is
 * not this layout's cannot be carried (its columns would mix with the new ones).
 */
export async function carryTable(
  source: CarrySource,
  plan: CarryPlan,
  append: (block: Buffer) => Promise<void>,
  signal?: AbortSignal,
): Promise<boolean> {
  if ((await sizeOf(source.path)) === undefined) return false;
  const { table, columns } = source;
  const header = headerRow(columns);
  const ownerIndex = table === 'locations' ? -1 : keyIndex(columns, 'provider_id', table);
  const locationIndex =
    table === 'locations' || table === 'provider_locations'
      ? keyIndex(columns, 'location_id', table)
      : -1;
  let isHeader = true;
  let kept: string[][] = [];
  let keptBytes = 0;
  const flush = async () => {
    if (kept.length > 0) await append(encodeRows(kept, source.encoding));
    kept = [];
    keptBytes = 0;
  };
  for await (const record of readCsvRecords(source.path, source.label, {
    delimiter: source.encoding.delimiter,
    signal,
  })) {
    if (isHeader) {
      isHeader = false;
      if (record.cells.join('\u001f') !== header.join('\u001f')) {
        throw new ConfigError(
          `${source.label} was written with other columns than columns.${table} now has; run a full sync to rewrite the snapshot`,
        );
      }
      continue;
    }
    if (!keeps(record.cells, table, ownerIndex, locationIndex, plan)) continue;
    kept.push(record.cells);
    keptBytes += record.end - record.start;
    if (keptBytes >= BLOCK_BYTES) await flush();
  }
  await flush();
  return true;
}

function keeps(
  cells: readonly string[],
  table: TableName,
  ownerIndex: number,
  locationIndex: number,
  plan: CarryPlan,
): boolean {
  if (table === 'locations') {
    const id = cells[locationIndex] ?? '';
    if (plan.writtenLocations.has(id) || !plan.referencedLocations.has(id)) return false;
    plan.writtenLocations.add(id);
    return true;
  }
  if (plan.touched.has(cells[ownerIndex] ?? '')) return false;
  if (table === 'provider_locations') plan.referencedLocations.add(cells[locationIndex] ?? '');
  return true;
}
