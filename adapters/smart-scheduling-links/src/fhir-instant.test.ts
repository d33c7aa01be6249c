import { describe, expect, it } from '@jest/globals';
import { parseInstant } from './fhir-instant.js';

describe('parseInstant', () => {
  it.each([
    ['2026-12-01T08:00:00Z', '2026-12-01T08:00:00.000Z'],
    ['2026-12-01T08:00:00.5+01:00', '2026-12-01T07:00:00.500Z'],
    ['2024-02-29T23:59:59.123456789-14:00', '2024-03-01T13:59:59.123Z'],
    ['2016-12-31T23:59:60Z', '2016-12-31T23:59:59.999Z'],
  ])('reads %s', (text, iso) => {
    expect(new Date(parseInstant(text) ?? NaN).toISOString()).toBe(iso);
  });

  it.each([
    '2020-13-45T99:99:99Z',
    '2021-02-30T00:00:00Z',
    '2023-02-29T00:00:00Z',
    '2021-04-31T00:00:00Z',
    '2021-01-01T24:00:00Z',
    '2021-01-01T00:00Z',
    '2021-01-01T00:00:00',
    '2021-01-01T00:00:00+15:00',
    '2021-01-01',
    'yesterday',
    '',
  ])('refuses %p', (text) => {
    expect(parseInstant(text)).toBeUndefined();
  });
});
