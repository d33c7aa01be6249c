import { createHash } from 'node:crypto';

/*
 * The `provider-group` layout: each provider's lines go to the files of its group, so that an
 * incremental run rewrites only the groups of the providers it touched and reuses every
 * other file as it is.
 *
 * - A provider's group is the first four bytes of the SHA-256 of its id (big-endian) modulo
 *   the number of groups: stable across processes, versions and platforms.
 * - Slot files hold one group each: `Slot-g0042.ndjson`.
 * - Schedule, Practitioner and PractitionerRole files hold a range of
 *   {@link GROUPS_PER_RANGE} groups, `Schedule-g0032-0047.ndjson`: their lines are about a
 *   hundredth of the Slot lines, so finer files would spend the file count on little data.
 * - Location files are not grouped (a Location is shared by providers): they follow the
 *   state, `Location-MA.ndjson`.
 */

/** Groups of the `provider-group` layout unless configured (see the README's arithmetic). */
export const DEFAULT_PROVIDER_GROUPS = 1600;
/** The most groups: names have four digits. */
export const MAX_PROVIDER_GROUPS = 10_000;
/** Schedule, Practitioner and PractitionerRole files hold this many consecutive groups. */
export const GROUPS_PER_RANGE = 16;

/** A provider's group, in `[0, groups)`. */
export function providerGroupOf(providerId: string, groups: number): number {
  return createHash('sha256').update(providerId).digest().readUInt32BE(0) % groups;
}

/** The groups a file holds, first and last included. */
export interface GroupRange {
  first: number;
  last: number;
}

const digits = (group: number) => String(group).padStart(4, '0');

/**
 * The part of a file name that names the groups of a provider of `group`: `g0042` for a
 * Slot, `g0032-0047` for the other types split by provider.
 */
export function groupPartOf(type: string, group: number, groups: number): string {
  if (type === 'Slot') return `g${digits(group)}`;
  const first = group - (group % GROUPS_PER_RANGE);
  const last = Math.min(first + GROUPS_PER_RANGE, groups) - 1;
  return `g${digits(first)}-${digits(last)}`;
}

const GROUP_PART = /-g(\d{4})(?:-(\d{4}))?\.ndjson$/;

/** The groups a file of the `provider-group` layout holds, from its name; else `undefined`. */
export function groupRangeOfFile(name: string): GroupRange | undefined {
  const match = GROUP_PART.exec(name);
  if (match === null) return undefined;
  const first = Number(match[1]);
  return { first, last: match[2] === undefined ? first : Number(match[2]) };
}

/** Whether any of `touched` lies in `range`. */
export function isRangeTouched(range: GroupRange, touched: ReadonlySet<number>): boolean {
  for (const group of touched) if (group >= range.first && group <= range.last) return true;
  return false;
}

/**
 * How a publication's files are split, as recorded in its index: files of a publication
 * with another layout cannot be reused as they are.
 */
export function layoutOf(splitBy: string, groups: number): string {
  return splitBy === 'provider-group' ? `provider-group/${groups}` : splitBy;
}
