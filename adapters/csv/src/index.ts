/**
 * `@pmsbridge/adapter-csv`: CSV both ways for practice-management systems. The sink
 * (`@pmsbridge/adapter-csv/sink`) writes providers, locations, provider-location links and
 * slots as flat files; the source (`@pmsbridge/adapter-csv/source`) reads a PMS export in the
 * same layout, or one described by a column map, and derives changes between exports.
 */
export { csvSinkPlugin } from './sink-plugin.js';
export { csvSourcePlugin } from './source-plugin.js';
export {
  CsvSink,
  CHANGES_DIR,
  ACTION_HEADER,
  type CsvSinkSettings,
  type CsvRunState,
  type IncrementalOutput,
} from './sink/csv-sink.js';
export { CsvSource, type CsvSourceSettings, type CsvSourceDeps } from './source/csv-source.js';
export { ExportBaseline, type PendingRun } from './source/export-baseline.js';
export { type ExportLayout } from './source/export-reader.js';
export {
  CsvSinkOptionsSchema,
  CsvSourceOptionsSchema,
  FileNamesSchema,
  columnsOf,
  fileNamesOf,
  type CsvSinkOptions,
  type CsvSourceOptions,
} from './options.js';
export {
  ColumnMapSchema,
  ColumnSpecSchema,
  resolveColumns,
  headerRow,
  type ColumnMap,
  type ColumnSpec,
  type Column,
} from './codec/column-map.js';
export {
  TABLES,
  TABLE_FIELDS,
  DEFAULT_FILE_NAMES,
  defaultFields,
  type TableName,
  type FieldName,
} from './codec/tables.js';
export {
  compileDateTimeFormat,
  type DateTimeFormat,
  type WallTime,
} from './codec/datetime-format.js';
export { encodeRows, UTF8_BOM, type CsvEncoding } from './codec/csv-encoding.js';
export {
  encodeRow,
  type RowInput,
  type SlotRowInput,
  type CellOptions,
} from './codec/row-encoder.js';
export {
  readCsvRecords,
  type CsvRecord,
  type CsvReadOptions,
} from './transport/csv-file-reader.js';
