import { z } from 'zod';
import { ColumnMapSchema, resolveColumns, type Column } from './codec/column-map.js';
import { DEFAULT_FILE_NAMES, TABLES, type TableName } from './codec/tables.js';

const fileName = z
  .string()
  .min(1)
  .regex(/^[^/\\]+$/, 'expected a file name without a directory');

/** File names of the four tables; any left out keeps its default (`providers.csv`, …). */
export const FileNamesSchema = z
  .object({
    providers: fileName.optional(),
    locations: fileName.optional(),
    provider_locations: fileName.optional(),
    slots: fileName.optional(),
  })
  .strict();

/** Options the sink and the source share: the layout of the files. */
const layoutFields = {
  /** Field separator, default `,`. */
  delimiter: z.string().length(1).default(','),
  /** Between the items of a list cell (specialties, languages, insurance), default `;`. */
  listSeparator: z.string().min(1).default(';'),
  files: FileNamesSchema.default({}),
  /** Per table, its columns in order; tables left out keep the default layout. */
  columns: ColumnMapSchema.default({}),
};

/** Options of the CSV sink (`@pmsbridge/adapter-csv/sink`). */
export const CsvSinkOptionsSchema = z
  .object({
    /** Directory of the published files (relative paths: from the config file). */
    outputDir: z.string().min(1),
    ...layoutFields,
    /** Start each file with a UTF-8 byte order mark (some spreadsheets need it). */
    bom: z.boolean().default(false),
    /** Row ending: `crlf` (RFC 4180, the default) or `lf`. */
    lineEnding: z.enum(['crlf', 'lf']).default('crlf'),
    /** Prefix cells starting with `=`, `+`, `-`, `@` with `'` against spreadsheet formulas. */
    escapeFormulas: z.boolean().default(false),
    /** What incremental runs write: the whole `snapshot` again, or a `changes` file set. */
    incremental: z.enum(['snapshot', 'changes']).default('snapshot'),
  })
  .strict()
  .superRefine((options, context) => {
    if (options.listSeparator === '\n')
      context.addIssue({
        code: 'custom',
        path: ['listSeparator'],
        message: 'a line break separates address lines; choose another separator',
      });
  });

/** Validated sink options. */
export type CsvSinkOptions = z.output<typeof CsvSinkOptionsSchema>;

/** Options of the CSV source (`@pmsbridge/adapter-csv/source`). */
export const CsvSourceOptionsSchema = z
  .object({
    /** Directory of the export (relative paths: from the config file). */
    inputDir: z.string().min(1),
    ...layoutFields,
    /** Providers (or changes) per page, default 100. */
    pageSize: z.number().int().positive().default(100),
  })
  .strict();

/** Validated source options. */
export type CsvSourceOptions = z.output<typeof CsvSourceOptionsSchema>;

/** Each table's columns, from the map or the default layout. */
export function columnsOf(options: {
  columns: z.output<typeof ColumnMapSchema>;
}): Record<TableName, Column[]> {
  return Object.fromEntries(
    TABLES.map((table) => [table, resolveColumns(table, options.columns)]),
  ) as Record<TableName, Column[]>;
}

/** Each table's file name. */
export function fileNamesOf(options: {
  files: z.output<typeof FileNamesSchema>;
}): Record<TableName, string> {
  return { ...DEFAULT_FILE_NAMES, ...options.files };
}
