/**
 * FHIR `instant`: `YYYY-MM-DDThh:mm:ss[.fraction](Z|±hh:mm)`, seconds and offset required
 * (the regular expression of the FHIR R4 specification).
 */
const INSTANT =
  /^(\d{4})-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])T([01]\d|2[0-3]):([0-5]\d):([0-5]\d|60)(\.\d{1,9})?(Z|[+-](?:(?:0\d|1[0-3]):[0-5]\d|14:00))$/;

function daysInMonth(year: number, month: number): number {
  return new Date(Date.UTC(year, month, 0)).getUTCDate();
}

/**
 * The epoch milliseconds of a FHIR `instant`, or `undefined` when `text` is not one or
 * names a date the calendar does not have (`2021-02-30`). `Date.parse` alone is not
 * enough: it rolls `2021-02-30` over to March 2 and accepts other shapes. A leap second
 * (`:60`) counts as the last millisecond of its minute.
 */
export function parseInstant(text: string): number | undefined {
  const match = INSTANT.exec(text);
  if (match === null) return undefined;
  const [, year, month, day, , , second] = match;
  if (Number(day) > daysInMonth(Number(year), Number(month))) return undefined;
  if (second !== '60') return Date.parse(text);
  const leap = `${text.slice(0, 17)}59.999${text.slice(match[7] === undefined ? 19 : 19 + match[7].length)}`;
  return Date.parse(leap);
}
