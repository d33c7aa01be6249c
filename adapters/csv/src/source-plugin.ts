import { isAbsolute, resolve } from 'node:path';
import { defineSource } from '@pmsbridge/core';
import { CsvSourceOptionsSchema, columnsOf, fileNamesOf } from './options.js';
import { CsvSource } from './source/csv-source.js';
import { ExportBaseline } from './source/export-baseline.js';

/**
 * The CSV source (`use: '@pmsbridge/adapter-csv/source'`): a {@link CsvSource} reading the
 * export in `inputDir`, keeping the export last delivered in the application's state store.
 */
export const csvSourcePlugin = defineSource({
  id: '@pmsbridge/adapter-csv/source',
  options: CsvSourceOptionsSchema,
  needs: { logger: 'logger', clock: 'clock', state: 'state' },
  create: ({ options, name, baseDir, services: { logger, clock, state } }) =>
    new CsvSource(
      {
        layout: {
          dir: isAbsolute(options.inputDir) ? options.inputDir : resolve(baseDir, options.inputDir),
          fileNames: fileNamesOf(options),
          columns: columnsOf(options),
          delimiter: options.delimiter,
          cell: { listSeparator: options.listSeparator },
        },
        pageSize: options.pageSize,
      },
      {
        baseline: new ExportBaseline(state, `csv-source:${name}`),
        clock,
        logger: logger.child({ source: name }),
      },
    ),
});

export default csvSourcePlugin;
