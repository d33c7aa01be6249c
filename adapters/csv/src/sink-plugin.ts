import { isAbsolute, resolve } from 'node:path';
import { ContentDiff, defineSink } from '@pmsbridge/core';
import { CsvSinkOptionsSchema, columnsOf, fileNamesOf } from './options.js';
import { CsvSink } from './sink/csv-sink.js';

/**
 * The CSV sink (`use: '@pmsbridge/adapter-csv/sink'`): a {@link CsvSink} writing into
 * `outputDir`, with the application's state store (content hashes), clock and logger.
 */
export const csvSinkPlugin = defineSink({
  id: '@pmsbridge/adapter-csv/sink',
  options: CsvSinkOptionsSchema,
  needs: { logger: 'logger', clock: 'clock', state: 'state' },
  create: ({ options, name, entry, baseDir, services: { logger, clock, state } }) =>
    new CsvSink(
      {
        name,
        outputDir: isAbsolute(options.outputDir)
          ? options.outputDir
          : resolve(baseDir, options.outputDir),
        outputDirOption: `${entry}.options.outputDir`,
        fileNames: fileNamesOf(options),
        columns: columnsOf(options),
        encoding: {
          delimiter: options.delimiter,
          lineEnding: options.lineEnding,
          escapeFormulas: options.escapeFormulas,
        },
        cell: { listSeparator: options.listSeparator },
        bom: options.bom,
        incremental: options.incremental,
      },
      new ContentDiff(state, `csv:${name}`, clock),
      clock,
      logger.child({ sink: name }),
    ),
});

export default csvSinkPlugin;
