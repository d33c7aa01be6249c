/**
 * Date and time patterns for CSV columns: `YYYY` year, `MM` month, `DD` day, `HH` hour
 * (00–23), `mm` minute, `ss` second, `Z` UTC offset (`+02:00`, `Z` for UTC); any other
 * character stands for itself. `MM/DD/YYYY`, `HH:mm`, `YYYY-MM-DDTHH:mm:ssZ`.
 */

/** A wall-clock reading and, when known, its offset from UTC in minutes. */
export interface WallTime {
  year?: number;
  month?: number;
  day?: number;
  hour?: number;
  minute?: number;
  second?: number;
  offsetMinutes?: number;
}

type Token = 'YYYY' | 'MM' | 'DD' | 'HH' | 'mm' | 'ss' | 'Z';
type Part = { token: Token } | { literal: string };

const TOKENS: readonly Token[] = ['YYYY', 'MM', 'DD', 'HH', 'mm', 'ss', 'Z'];

const TOKEN_PATTERN: Record<Token, string> = {
  YYYY: '(\\d{4})',
  MM: '(\\d{1,2})',
  DD: '(\\d{1,2})',
  HH: '(\\d{1,2})',
  mm: '(\\d{2})',
  ss: '(\\d{2})',
  Z: '(Z|[+-]\\d{2}:?\\d{2})',
};

/** A compiled pattern: formats a {@link WallTime} and parses text back. */
export interface DateTimeFormat {
  readonly pattern: string;
  /** The tokens the pattern holds. */
  readonly tokens: ReadonlySet<Token>;
  format(time: WallTime): string;
  /** The parts the text holds, or `undefined` when it does not match the pattern. */
  parse(text: string): WallTime | undefined;
}

function split(pattern: string): Part[] {
  const parts: Part[] = [];
  let literal = '';
  for (let i = 0; i < pattern.length;) {
    const token = TOKENS.find((t) => pattern.startsWith(t, i));
    if (token === undefined) {
      literal += pattern[i];
      i += 1;
      continue;
    }
    if (literal !== '') parts.push({ literal });
    literal = '';
    parts.push({ token });
    i += token.length;
  }
  if (literal !== '') parts.push({ literal });
  return parts;
}

const pad = (value: number | undefined, width: number): string =>
  String(value ?? 0).padStart(width, '0');

function formatOffset(minutes: number | undefined): string {
  if (minutes === undefined || minutes === 0) return 'Z';
  const sign = minutes < 0 ? '-' : '+';
  const abs = Math.abs(minutes);
  return `${sign}${pad(Math.floor(abs / 60), 2)}:${pad(abs % 60, 2)}`;
}

function parseOffset(text: string): number {
  if (text === 'Z') return 0;
  const digits = text.slice(1).replace(':', '');
  const minutes = Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2));
  return text.startsWith('-') ? -minutes : minutes;
}

const escapeRegExp = (text: string): string => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** Compiles `pattern` (see the module comment). */
export function compileDateTimeFormat(pattern: string): DateTimeFormat {
  const parts = split(pattern);
  const tokens = new Set(parts.flatMap((part) => ('token' in part ? [part.token] : [])));
  const order = parts.flatMap((part) => ('token' in part ? [part.token] : []));
  const regex = new RegExp(
    `^${parts.map((part) => ('token' in part ? TOKEN_PATTERN[part.token] : escapeRegExp(part.literal))).join('')}$`,
  );
  return {
    pattern,
    tokens,
    format(time) {
      return parts
        .map((part) => {
          if ('literal' in part) return part.literal;
          switch (part.token) {
            case 'YYYY':
              return pad(time.year, 4);
            case 'MM':
              return pad(time.month, 2);
            case 'DD':
              return pad(time.day, 2);
            case 'HH':
              return pad(time.hour, 2);
            case 'mm':
              return pad(time.minute, 2);
            case 'ss':
              return pad(time.second, 2);
            case 'Z':
              return formatOffset(time.offsetMinutes);
          }
        })
        .join('');
    },
    parse(text) {
      const match = regex.exec(text.trim());
      if (match === null) return undefined;
      const time: WallTime = {};
      order.forEach((token, index) => {
        const value = match[index + 1] ?? '';
        switch (token) {
          case 'YYYY':
            time.year = Number(value);
            break;
          case 'MM':
            time.month = Number(value);
            break;
          case 'DD':
            time.day = Number(value);
            break;
          case 'HH':
            time.hour = Number(value);
            break;
          case 'mm':
            time.minute = Number(value);
            break;
          case 'ss':
            time.second = Number(value);
            break;
          case 'Z':
            time.offsetMinutes = parseOffset(value);
            break;
        }
      });
      return isPlausible(time) ? time : undefined;
    },
  };
}

function isPlausible(time: WallTime): boolean {
  const within = (value: number | undefined, min: number, max: number) =>
    value === undefined || (value >= min && value <= max);
  return (
    within(time.month, 1, 12) &&
    within(time.day, 1, 31) &&
    within(time.hour, 0, 23) &&
    within(time.minute, 0, 59) &&
    within(time.second, 0, 59)
  );
}

/** The wall time in UTC of `epochMs`, shifted by `offsetMinutes` (the offset is kept). */
export function wallTimeAt(epochMs: number, offsetMinutes: number): WallTime {
  const shifted = new Date(epochMs + offsetMinutes * 60_000);
  return {
    year: shifted.getUTCFullYear(),
    month: shifted.getUTCMonth() + 1,
    day: shifted.getUTCDate(),
    hour: shifted.getUTCHours(),
    minute: shifted.getUTCMinutes(),
    second: shifted.getUTCSeconds(),
    offsetMinutes,
  };
}

/** `YYYY-MM-DD` of a wall time that has a date. */
export function isoDateOf(time: WallTime): string {
  return `${pad(time.year, 4)}-${pad(time.month, 2)}-${pad(time.day, 2)}`;
}

/** `HH:MM` of a wall time that has an hour. */
export function isoTimeOf(time: WallTime): string {
  return `${pad(time.hour, 2)}:${pad(time.minute, 2)}`;
}

/** The UTC epoch of a wall time read with the given offset (minutes east of UTC). */
export function epochOf(time: WallTime, offsetMinutes: number): number {
  return (
    Date.UTC(
      time.year ?? 1970,
      (time.month ?? 1) - 1,
      time.day ?? 1,
      time.hour ?? 0,
      time.minute ?? 0,
      time.second ?? 0,
    ) -
    offsetMinutes * 60_000
  );
}
