import { createHash, hash } from 'node:crypto';
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import {
  ConfigError,
  ValidationError,
  type InvalidRecord,
  type Location,
  type Logger,
  type Provider,
} from '@pmsbridge/core';
import type { Column } from '../codec/column-map.js';
import {
  bindHeader,
  checkWidth,
  decodeLink,
  decodeLocation,
  decodeProvider,
  decodeSlot,
  ownerOf,
  type BoundHeader,
} from '../codec/row-decoder.js';
import type { CellOptions } from '../codec/row-encoder.js';
import type { TableName } from '../codec/tables.js';
import { isBlank, readCsvRecords, type CsvRecord } from '../transport/csv-file-reader.js';

/** How an export is read. */
export interface ExportLayout {
  dir: string;
  fileNames: Record<TableName, string>;
  columns: Record<TableName, Column[]>;
  delimiter: string;
  cell: CellOptions;
}

/** Where one provider's slots are in the slots file. */
export interface SlotRange {
  start: number;
  end: number;
  firstLine: number;
}

/** The size and modification time of a file: a file rewritten since reading differs. */
export interface FileStamp {
  size: number;
  mtimeMs: number;
}

/**
 * What one pass over an export found. Memory holds the directory (providers, locations,
 * links) and, per provider, where its slots are and a hash of them — never the slots.
 */
export interface ExportSnapshot {
  /** Valid providers, ordered by id, with their locations. */
  providers: Provider[];
  byId: Map<string, Provider>;
  /** Content hash per valid provider: its row, its locations and every valid slot. */
  hashes: Map<string, string>;
  /** Provider ids in the providers file, valid or not: an invalid row is not a removal. */
  present: Set<string>;
  invalid: InvalidRecord[];
  slotRanges: Map<string, SlotRange>;
  slotHeader: BoundHeader | undefined;
  slotStamp: FileStamp | undefined;
  locations: Map<string, Location>;
  /** A hash over every provider hash: equal for equal exports. */
  fingerprint: string;
}

/** The key of an invalid row: its file and line (what replay recognises as not a provider). */
export const ROW_KEY = / line \d+$/;

function invalidRow(file: string, line: number, reason: string, id?: string): InvalidRecord {
  const message = `${file} line ${line}: ${reason}`;
  return {
    key: `${file} line ${line}`,
    // Where the row is and its id: enough to find it, nothing of its content.
    raw: { file, line, ...(id === undefined ? {} : { id }) },
    error: new ValidationError(message, { file, line }),
  };
}

/** Reads one table: the header is bound, blank and malformed rows are handled here. */
async function* tableRows(
  layout: ExportLayout,
  table: TableName,
  logger: Logger,
  invalid: InvalidRecord[],
  onHeader: (bound: BoundHeader) => void,
  signal?: AbortSignal,
): AsyncGenerator<{ record: CsvRecord; bound: BoundHeader }> {
  const file = layout.fileNames[table];
  const path = join(layout.dir, file);
  let bound: BoundHeader | undefined;
  try {
    await stat(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    throw new ConfigError(
      `${file} is missing from ${layout.dir}: an export has ${Object.values(layout.fileNames).join(', ')}`,
    );
  }
  for await (const record of readCsvRecords(path, file, { delimiter: layout.delimiter, signal })) {
    if (bound === undefined) {
      bound = bindHeader(table, file, layout.columns[table], record.cells);
      if (bound.unknown.length > 0)
        logger.warn('csv columns not in the column map are ignored', {
          file,
          columns: bound.unknown,
        });
      onHeader(bound);
      continue;
    }
    if (isBlank(record.cells)) continue;
    const wrongWidth = checkWidth(bound, record.cells);
    if (wrongWidth !== undefined) {
      invalid.push(invalidRow(file, record.line, wrongWidth));
      continue;
    }
    yield { record, bound };
  }
  if (bound === undefined)
    throw new ConfigError(`${file} is empty: it needs at least a header row`);
}

async function readLocations(
  layout: ExportLayout,
  logger: Logger,
  invalid: InvalidRecord[],
  signal?: AbortSignal,
): Promise<Map<string, Location>> {
  const locations = new Map<string, Location>();
  const file = layout.fileNames.locations;
  for await (const { record, bound } of tableRows(
    layout,
    'locations',
    logger,
    invalid,
    () => undefined,
    signal,
  )) {
    const decoded = decodeLocation(bound, record.cells);
    if (!decoded.ok) invalid.push(invalidRow(file, record.line, decoded.reason));
    else if (locations.has(decoded.value.id))
      invalid.push(invalidRow(file, record.line, 'duplicate location_id', decoded.value.id));
    else locations.set(decoded.value.id, decoded.value);
  }
  return locations;
}

async function readLinks(
  layout: ExportLayout,
  locations: ReadonlyMap<string, Location>,
  logger: Logger,
  invalid: InvalidRecord[],
  signal?: AbortSignal,
): Promise<Map<string, string[]>> {
  const links = new Map<string, string[]>();
  const file = layout.fileNames.provider_locations;
  for await (const { record, bound } of tableRows(
    layout,
    'provider_locations',
    logger,
    invalid,
    () => undefined,
    signal,
  )) {
    const decoded = decodeLink(bound, record.cells);
    if (!decoded.ok) {
      invalid.push(invalidRow(file, record.line, decoded.reason));
      continue;
    }
    const { providerId, locationId } = decoded.value;
    if (!locations.has(locationId)) {
      invalid.push(
        invalidRow(
          file,
          record.line,
          `location_id is not in ${layout.fileNames.locations}`,
          providerId,
        ),
      );
      continue;
    }
    const list = links.get(providerId) ?? [];
    if (!list.includes(locationId)) list.push(locationId);
    links.set(providerId, list);
  }
  return links;
}

async function readProviders(
  layout: ExportLayout,
  locations: ReadonlyMap<string, Location>,
  links: ReadonlyMap<string, string[]>,
  logger: Logger,
  invalid: InvalidRecord[],
  signal?: AbortSignal,
): Promise<{ byId: Map<string, Provider>; present: Set<string> }> {
  const byId = new Map<string, Provider>();
  const present = new Set<string>();
  const file = layout.fileNames.providers;
  for await (const { record, bound } of tableRows(
    layout,
    'providers',
    logger,
    invalid,
    () => undefined,
    signal,
  )) {
    const id = ownerOf(bound, record.cells);
    if (id !== undefined && present.has(id)) {
      invalid.push(invalidRow(file, record.line, 'duplicate provider_id', id));
      continue;
    }
    if (id !== undefined) present.add(id);
    const decoded = decodeProvider(bound, record.cells, layout.cell);
    if (!decoded.ok) {
      invalid.push(invalidRow(file, record.line, decoded.reason, id));
      continue;
    }
    const provider: Provider = {
      ...decoded.value,
      locations: (links.get(decoded.value.id) ?? []).flatMap((locationId) => {
        const location = locations.get(locationId);
        return location === undefined ? [] : [location];
      }),
    };
    byId.set(provider.id, provider);
  }
  return { byId, present };
}

/** The running hash of the provider whose slots are being read. */
interface OpenRange {
  providerId: string;
  range: SlotRange;
  digest: ReturnType<typeof createHash>;
  slotIds: Set<string>;
}

/**
 * One pass over the slots file: validates every row, notes where each provider's slots are
 * and hashes them. A provider's slots must be together (the export sorted or grouped by
 * provider_id): memory then holds one provider's slot ids at a time.
 */
async function indexSlots(
  layout: ExportLayout,
  providers: ReadonlyMap<string, Provider>,
  present: ReadonlySet<string>,
  locations: ReadonlyMap<string, Location>,
  logger: Logger,
  invalid: InvalidRecord[],
  signal?: AbortSignal,
): Promise<{ ranges: Map<string, SlotRange>; digests: Map<string, string>; header?: BoundHeader }> {
  const file = layout.fileNames.slots;
  const ranges = new Map<string, SlotRange>();
  const digests = new Map<string, string>();
  let header: BoundHeader | undefined;
  let open: OpenRange | undefined;
  const timeZoneOf = (id: string) => locations.get(id)?.timezone;
  const closeRange = () => {
    if (open === undefined) return;
    ranges.set(open.providerId, open.range);
    digests.set(open.providerId, open.digest.digest('hex'));
    open = undefined;
  };
  for await (const { record, bound } of tableRows(
    layout,
    'slots',
    logger,
    invalid,
    (b) => (header = b),
    signal,
  )) {
    const providerId = ownerOf(bound, record.cells);
    if (providerId === undefined) {
      invalid.push(invalidRow(file, record.line, 'column provider_id: empty'));
      continue;
    }
    if (open?.providerId !== providerId) {
      closeRange();
      if (ranges.has(providerId)) {
        throw new ConfigError(
          `${file} line ${record.line}: the slots of provider ${providerId} are not together (they also come earlier, from line ${ranges.get(providerId)?.firstLine}); export ${file} sorted or grouped by provider_id`,
        );
      }
      open = {
        providerId,
        range: { start: record.start, end: record.end, firstLine: record.line },
        digest: createHash('sha1'),
        slotIds: new Set(),
      };
    }
    open.range.end = record.end;
    const provider = providers.get(providerId);
    if (provider === undefined) {
      // An invalid provider row was dead-lettered already; its slots wait for it.
      if (!present.has(providerId))
        invalid.push(
          invalidRow(
            file,
            record.line,
            `provider_id is not in ${layout.fileNames.providers}`,
            providerId,
          ),
        );
      continue;
    }
    const decoded = decodeSlot(bound, record.cells, timeZoneOf);
    if (!decoded.ok) {
      invalid.push(invalidRow(file, record.line, decoded.reason, providerId));
      continue;
    }
    const slot = decoded.value;
    if (!(provider.locations ?? []).some((location) => location.id === slot.locationId)) {
      invalid.push(
        invalidRow(
          file,
          record.line,
          `location_id is not one of the provider's locations in ${layout.fileNames.provider_locations}`,
          providerId,
        ),
      );
      continue;
    }
    if (open.slotIds.has(slot.id)) {
      invalid.push(invalidRow(file, record.line, 'duplicate slot_id', providerId));
      continue;
    }
    open.slotIds.add(slot.id);
    open.digest.update(`${JSON.stringify(slot)}\n`);
  }
  closeRange();
  return { ranges, digests, header };
}

async function stampOf(path: string): Promise<FileStamp> {
  const { size, mtimeMs } = await stat(path);
  return { size, mtimeMs };
}

/** Reads an export in one pass per file (see {@link ExportSnapshot}). */
export async function readExport(
  layout: ExportLayout,
  logger: Logger,
  signal?: AbortSignal,
): Promise<ExportSnapshot> {
  const invalid: InvalidRecord[] = [];
  const locations = await readLocations(layout, logger, invalid, signal);
  const links = await readLinks(layout, locations, logger, invalid, signal);
  const { byId, present } = await readProviders(layout, locations, links, logger, invalid, signal);
  const slotsPath = join(layout.dir, layout.fileNames.slots);
  const slotStamp = await stampOf(slotsPath);
  const slots = await indexSlots(layout, byId, present, locations, logger, invalid, signal);
  const providers = [...byId.values()].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  const hashes = new Map<string, string>();
  const all = createHash('sha1');
  for (const provider of providers) {
    const value = hash(
      'sha1',
      `${JSON.stringify(provider)}\n${slots.digests.get(provider.id) ?? ''}`,
    );
    hashes.set(provider.id, value);
    all.update(`${provider.id} ${value}\n`);
  }
  return {
    providers,
    byId,
    hashes,
    present,
    invalid,
    slotRanges: slots.ranges,
    slotHeader: slots.header,
    slotStamp,
    locations,
    fingerprint: all.digest('hex').slice(0, 16),
  };
}
