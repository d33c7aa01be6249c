import { createReadStream } from 'node:fs';
import { parse, type CsvError } from 'csv-parse';
import { ValidationError } from '@pmsbridge/core';

/** One record of a CSV file, with where it is. */
export interface CsvRecord {
  cells: string[];
  /** Line number (1-based) where the record starts. */
  line: number;
  /** Byte offset just past the previous record (blank lines before this one included). */
  start: number;
  /** Byte offset just past the record and its line break. */
  end: number;
}

/** How a CSV file is read. */
export interface CsvReadOptions {
  delimiter: string;
  /** Read only these bytes (`end` exclusive): records of a range located by an earlier pass. */
  range?: { start: number; end: number; firstLine: number };
  signal?: AbortSignal;
}

const LINE_BREAK = /\r\n|\n|\r/g;

function lineBreaks(cells: readonly string[]): number {
  let count = 0;
  for (const cell of cells)
    if (cell.includes('\n') || cell.includes('\r')) count += cell.match(LINE_BREAK)?.length ?? 0;
  return count;
}

/** Whether a record holds nothing: a blank line, or only separators. */
export function isBlank(cells: readonly string[]): boolean {
  return cells.every((cell) => cell.trim() === '');
}

/**
 * Streams the records of a CSV file (RFC 4180: quoted fields may hold separators, quotes and
 * line breaks; CRLF, LF or CR line ends; a UTF-8 byte order mark is skipped; blank lines are
 * skipped). Memory stays flat whatever the file's size. A quote inside an unquoted field is
 * taken as text; a quoted field that never closes makes the rest of the file unreadable and
 * throws a {@link ValidationError} naming the file and the line (never the content).
 */
export async function* readCsvRecords(
  path: string,
  label: string,
  options: CsvReadOptions,
): AsyncGenerator<CsvRecord> {
  const range = options.range;
  const base = range?.start ?? 0;
  const stream = createReadStream(path, {
    ...(range === undefined ? {} : { start: range.start, end: range.end - 1 }),
    signal: options.signal,
  });
  const parser = stream.pipe(
    parse({
      bom: range === undefined,
      delimiter: options.delimiter,
      record_delimiter: ['\r\n', '\n', '\r'],
      relax_column_count: true,
      relax_quotes: true,
      skip_empty_lines: true,
      info: true,
    }),
  );
  let line = range?.firstLine ?? 1;
  let previousEnd = base;
  let emptyLines = 0;
  try {
    for await (const { record, info } of parser as AsyncIterable<{
      record: string[];
      info: { bytes: number; empty_lines: number };
    }>) {
      const skipped = info.empty_lines - emptyLines;
      emptyLines = info.empty_lines;
      const start = line + skipped;
      const end = base + info.bytes;
      // Blank lines before the record count as its bytes: a range parser skips them.
      yield { cells: record, line: start, start: previousEnd, end };
      line = start + 1 + lineBreaks(record);
      previousEnd = end;
    }
  } catch (error) {
    if (options.signal?.aborted === true) throw error;
    const csvError = error as Partial<CsvError> & { code?: string; lines?: number };
    if (typeof csvError.code === 'string' && csvError.code.startsWith('CSV_')) {
      throw new ValidationError(
        `${label} line ${(range?.firstLine ?? 1) - 1 + (csvError.lines ?? line)}: malformed CSV (${csvError.code}); a quoted field must end with a quote before the next separator or line break. Fix the export`,
        { file: label, code: csvError.code },
      );
    }
    throw error;
  } finally {
    stream.destroy();
  }
}
