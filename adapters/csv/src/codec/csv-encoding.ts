import { stringify } from 'csv-stringify/sync';

/** How rows become CSV text. */
export interface CsvEncoding {
  delimiter: string;
  /** `crlf` (RFC 4180) or `lf`. */
  lineEnding: 'crlf' | 'lf';
  /**
   * Prefix cells that start with `=`, `+`, `-`, `@`, tab or carriage return with `'`, so a
   * spreadsheet does not run them as formulas. Changes the data (negative numbers too).
   */
  escapeFormulas: boolean;
}

/** The UTF-8 byte order mark some spreadsheets need to read a file as UTF-8. */
export const UTF8_BOM = Buffer.from([0xef, 0xbb, 0xbf]);

/**
 * Encodes rows as RFC 4180 CSV with csv-stringify: a cell is quoted when it holds the
 * separator, a quote (doubled inside) or a line break; every row ends with the line ending.
 */
export function encodeRows(rows: readonly (readonly string[])[], encoding: CsvEncoding): Buffer {
  if (rows.length === 0) return Buffer.alloc(0);
  return Buffer.from(
    stringify(rows as string[][], {
      delimiter: encoding.delimiter,
      record_delimiter: encoding.lineEnding === 'crlf' ? 'windows' : 'unix',
      escape_formulas: encoding.escapeFormulas,
      // Quote line breaks whatever the record delimiter: a bare CR or LF inside an unquoted
      // cell would end the record for most readers.
      quoted_match: /[\r\n]/,
    }),
  );
}
