import { z } from 'zod';
import { compileDateTimeFormat, type DateTimeFormat } from './datetime-format.js';
import { TABLES, TABLE_FIELDS, TIME_FIELDS, defaultFields, type TableName } from './tables.js';

/** Which clock a time column reads: the slot's location's (default) or UTC. */
export const ZONES = ['location', 'utc'] as const;

/**
 * One column of a table in a column map: a field name (the column's header is the field's
 * name), a field under another header with an optional date/time `format` and `zone`, or a
 * constant (`header` and `value`; written as is, ignored when reading).
 */
export const ColumnSpecSchema = z.union([
  z.string().min(1),
  z
    .object({
      field: z.string().min(1).optional(),
      header: z.string().min(1).optional(),
      value: z.string().optional(),
      format: z.string().min(1).optional(),
      zone: z.enum(ZONES).optional(),
    })
    .strict(),
]);

/** One column of a column map, as written in the config. */
export type ColumnSpec = z.infer<typeof ColumnSpecSchema>;

/**
 * A column map: per table, its columns in order. A table left out keeps the default layout;
 * a field left out of a table's list is not written (and, for a source, not read).
 */
export const ColumnMapSchema = z
  .object(
    Object.fromEntries(
      TABLES.map((table) => [table, z.array(ColumnSpecSchema).min(1).optional()]),
    ) as Record<TableName, z.ZodOptional<z.ZodArray<typeof ColumnSpecSchema>>>,
  )
  .strict()
  .superRefine((map, context) => {
    for (const table of TABLES) {
      (map[table] ?? []).forEach((spec, index) =>
        checkSpec(table, spec, (message, key) =>
          context.addIssue({
            code: 'custom',
            path: key === undefined ? [table, index] : [table, index, key],
            message,
          }),
        ),
      );
      checkHeadersUnique(table, map[table] ?? [], (message, index) =>
        context.addIssue({ code: 'custom', path: [table, index], message }),
      );
    }
  });

/** A validated column map. */
export type ColumnMap = z.infer<typeof ColumnMapSchema>;

/** Date/time tokens each time field needs so that a source can read it back. */
const REQUIRED_TOKENS: Record<string, readonly string[]> = {
  date: ['YYYY', 'MM', 'DD'],
  time: ['HH', 'mm'],
  start: ['YYYY', 'MM', 'DD', 'HH', 'mm'],
  end: ['YYYY', 'MM', 'DD', 'HH', 'mm'],
  updated_at: ['YYYY', 'MM', 'DD', 'HH', 'mm'],
};

function checkSpec(
  table: TableName,
  spec: ColumnSpec,
  report: (message: string, key?: string) => void,
): void {
  const known: readonly string[] = TABLE_FIELDS[table];
  const field = typeof spec === 'string' ? spec : spec.field;
  if (typeof spec !== 'string' && (spec.field === undefined) === (spec.value === undefined)) {
    report('give either `field` (a field of the table) or `header` and `value` (a constant)');
    return;
  }
  if (field !== undefined && !known.includes(field)) {
    report(
      `unknown field "${field}" of ${table}; the fields are ${known.join(', ')}`,
      typeof spec === 'string' ? undefined : 'field',
    );
    return;
  }
  if (typeof spec === 'string') return;
  if (spec.value !== undefined) {
    if (spec.header === undefined) report('a constant column needs a `header`', 'header');
    if (spec.format !== undefined || spec.zone !== undefined)
      report('a constant column takes no `format` or `zone`');
    return;
  }
  const isTime = field !== undefined && TIME_FIELDS[table].includes(field);
  if (!isTime && (spec.format !== undefined || spec.zone !== undefined)) {
    report(`"${field}" is not a date or time field: it takes no \`format\` or \`zone\``);
    return;
  }
  if (spec.format !== undefined && field !== undefined) {
    const tokens = compileDateTimeFormat(spec.format).tokens;
    const missing = (REQUIRED_TOKENS[field] ?? []).filter((t) => !tokens.has(t as never));
    if (missing.length > 0) report(`format "${spec.format}" lacks ${missing.join(', ')}`, 'format');
  }
  if (table === 'providers' && spec.zone === 'location')
    report('a provider has no single location: updated_at is read and written in UTC', 'zone');
}

function checkHeadersUnique(
  table: TableName,
  specs: readonly ColumnSpec[],
  report: (message: string, index: number) => void,
): void {
  const seen = new Set<string>();
  specs.forEach((spec, index) => {
    const header = headerOf(spec);
    if (seen.has(header)) report(`the header "${header}" appears twice in ${table}`, index);
    seen.add(header);
  });
}

function headerOf(spec: ColumnSpec): string {
  return typeof spec === 'string' ? spec : (spec.header ?? spec.field ?? '');
}

/** A column ready to use: where its cells come from or go to. */
export interface Column {
  header: string;
  /** The field, or undefined for a constant. */
  field?: string;
  /** The constant's value. */
  value?: string;
  /** For a time field: how it is written and read. */
  format?: DateTimeFormat;
  zone: (typeof ZONES)[number];
}

const DEFAULT_FORMATS: Record<string, string> = {
  date: 'YYYY-MM-DD',
  time: 'HH:mm',
  start: 'YYYY-MM-DDTHH:mm:ssZ',
  end: 'YYYY-MM-DDTHH:mm:ssZ',
};

/** The columns of `table`: the map's list, or the default layout. */
export function resolveColumns(table: TableName, map: ColumnMap): Column[] {
  const specs: readonly ColumnSpec[] = map[table] ?? defaultFields(table);
  return specs.map((spec): Column => {
    if (typeof spec === 'string') return columnOf(spec, spec, undefined, undefined);
    if (spec.value !== undefined)
      return { header: spec.header ?? '', value: spec.value, zone: 'location' };
    const field = spec.field ?? '';
    return columnOf(field, spec.header ?? field, spec.format, spec.zone);
  });
}

function columnOf(
  field: string,
  header: string,
  format: string | undefined,
  zone: Column['zone'] | undefined,
): Column {
  const pattern = format ?? DEFAULT_FORMATS[field];
  return {
    header,
    field,
    ...(pattern === undefined ? {} : { format: compileDateTimeFormat(pattern) }),
    zone: zone ?? (field === 'updated_at' ? 'utc' : 'location'),
  };
}

/** The header row of `columns`. */
export function headerRow(columns: readonly Column[]): string[] {
  return columns.map((column) => column.header);
}
