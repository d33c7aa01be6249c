import { describe, expect, it } from '@jest/globals';
import { checkPlugin } from '@pmsbridge/core';
import { csvSinkPlugin } from '../sink-plugin.js';
import { csvSourcePlugin } from '../source-plugin.js';
import { ColumnMapSchema, headerRow, resolveColumns } from './column-map.js';
import { encodeRows } from './csv-encoding.js';
import { compileDateTimeFormat } from './datetime-format.js';
import { bindHeader, decodeSlot } from './row-decoder.js';
import { encodeRow } from './row-encoder.js';

const slot = {
  id: 'S1',
  date: '2026-03-08',
  time: '09:30',
  durationMinutes: 45,
  available: true,
  locationId: 'L1',
  visitType: 'new_patient' as const,
};

describe('column map', () => {
  it('renames, reorders, drops and adds constant columns', () => {
    const map = ColumnMapSchema.parse({
      slots: [
        { field: 'provider_id', header: 'DoctorID' },
        'slot_id',
        { header: 'Source', value: 'pmsbridge' },
        { field: 'date', header: 'Day', format: 'MM/DD/YYYY' },
        { field: 'time', header: 'Start' },
        'duration_minutes',
      ],
    });
    const columns = resolveColumns('slots', map);
    expect(headerRow(columns)).toEqual([
      'DoctorID',
      'slot_id',
      'Source',
      'Day',
      'Start',
      'duration_minutes',
    ]);
    const cells = encodeRow(
      'slots',
      columns,
      { slot, providerId: 'P1', timeZone: 'America/New_York' },
      { listSeparator: ';' },
    );
    expect(cells).toEqual(['P1', 'S1', 'pmsbridge', '03/08/2026', '09:30', '45']);
  });

  it('keeps the default layout for tables the map leaves out', () => {
    expect(headerRow(resolveColumns('provider_locations', ColumnMapSchema.parse({})))).toEqual([
      'provider_id',
      'location_id',
    ]);
  });

  it('writes start and end in the location zone or UTC, across a daylight-saving change', () => {
    const columns = resolveColumns(
      'slots',
      ColumnMapSchema.parse({
        slots: [
          'start',
          'end',
          { field: 'start', header: 'start_utc', zone: 'utc' },
          { field: 'date', header: 'utc_date', zone: 'utc', format: 'YYYYMMDD' },
        ],
      }),
    );
    // 2026-03-08 is the day New York moves to daylight time (at 02:00).
    const cells = encodeRow(
      'slots',
      columns,
      { slot, providerId: 'P1', timeZone: 'America/New_York' },
      { listSeparator: ';' },
    );
    expect(cells).toEqual([
      '2026-03-08T09:30:00-04:00',
      '2026-03-08T10:15:00-04:00',
      '2026-03-08T13:30:00Z',
      '20260308',
    ]);
    const late = { ...slot, time: '22:00' };
    expect(
      encodeRow(
        'slots',
        columns,
        { slot: late, providerId: 'P1', timeZone: 'America/New_York' },
        { listSeparator: ';' },
      )[3],
    ).toBe('20260309');
  });

  it('reads back what it wrote, whatever the zone and format', () => {
    const map = ColumnMapSchema.parse({
      slots: [
        'slot_id',
        'provider_id',
        'location_id',
        { field: 'start', header: 'begins', zone: 'utc', format: 'YYYY-MM-DD HH:mm' },
        { field: 'end', header: 'ends', zone: 'utc', format: 'YYYY-MM-DD HH:mm' },
        'available',
        'visit_type',
      ],
    });
    const columns = resolveColumns('slots', map);
    const cells = encodeRow(
      'slots',
      columns,
      { slot, providerId: 'P1', timeZone: 'America/Chicago' },
      { listSeparator: ';' },
    );
    expect(cells.slice(3, 5)).toEqual(['2026-03-08 14:30', '2026-03-08 15:15']);
    const bound = bindHeader('slots', 'slots.csv', columns, headerRow(columns));
    expect(decodeSlot(bound, cells, () => 'America/Chicago')).toEqual({ ok: true, value: slot });
  });

  it('parses and formats date patterns, rejecting text that does not match', () => {
    const format = compileDateTimeFormat('DD.MM.YYYY HH:mm');
    expect(format.parse('08.03.2026 09:30')).toEqual({
      day: 8,
      month: 3,
      year: 2026,
      hour: 9,
      minute: 30,
    });
    expect(format.parse('2026-03-08')).toBeUndefined();
    expect(format.parse('08.13.2026 09:30')).toBeUndefined();
    expect(format.format({ year: 2026, month: 3, day: 8, hour: 9, minute: 5 })).toBe(
      '08.03.2026 09:05',
    );
  });
});

describe('quoting', () => {
  it('quotes separators, quotes and line breaks (RFC 4180) and ends rows with CRLF', () => {
    const text = encodeRows([['plain', 'a,b', 'say "hi"', 'two\nlines', ' spaced ', '']], {
      delimiter: ',',
      lineEnding: 'crlf',
      escapeFormulas: false,
    }).toString('utf8');
    expect(text).toBe('plain,"a,b","say ""hi""","two\nlines", spaced ,\r\n');
  });

  it('escapes formulas only when asked', () => {
    const encoding = { delimiter: ',', lineEnding: 'lf' as const, escapeFormulas: true };
    expect(encodeRows([['=HYPERLINK("x")', 'ok']], encoding).toString('utf8')).toBe(
      `"'=HYPERLINK(""x"")",ok\n`,
    );
  });
});

describe('bad config', () => {
  it('names the column map entry with an unknown field', () => {
    expect(() =>
      checkPlugin(
        csvSinkPlugin,
        {
          outputDir: '/tmp/x',
          columns: { slots: ['slot_id', { field: 'strat', header: 'Start' }] },
        },
        'sinks[0]',
        'sink',
      ),
    ).toThrow(
      'sinks[0].options.columns.slots[1].field: unknown field "strat" of slots; the fields are slot_id, provider_id, location_id, date, time, duration_minutes, available, visit_type, start, end',
    );
  });

  it('names a date format that a source could not read back', () => {
    expect(() =>
      checkPlugin(
        csvSourcePlugin,
        { inputDir: '/tmp/x', columns: { slots: [{ field: 'date', format: 'MM/DD' }] } },
        'source',
        'source',
      ),
    ).toThrow('source.options.columns.slots[0].format: format "MM/DD" lacks YYYY');
  });

  it('names an unknown option', () => {
    expect(() =>
      checkPlugin(csvSinkPlugin, { outputDir: '/tmp/x', incremental: 'diff' }, 'sinks[0]', 'sink'),
    ).toThrow('sinks[0].options.incremental');
  });
});
