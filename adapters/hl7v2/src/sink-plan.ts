import { createHash } from 'node:crypto';
import {
  ValidationError,
  type ContentDiff,
  type DeactivationRecord,
  type Location,
  type Provider,
  type ProviderRecord,
  type ResourceCounts,
  type Slot,
  type TrackedItem,
} from '@pmsbridge/core';
import type { OutboundMessage } from './codec/outbound-message.js';
import { slotStartEpochMs } from './codec/timestamp.js';
import type { MessageContext } from './messages/message-options.js';
import { buildSlotChanges } from './messages/slot-schedule.js';
import { buildStaffMasterFile, type StaffEvent } from './messages/staff-master-file.js';

/** The output types the sink counts: staff master file entries and slots. */
export type Hl7CountType = 'MFN' | 'SIU';

/** One message to send, and what to record once it is acknowledged. */
export interface PlannedMessage {
  readonly message: OutboundMessage;
  readonly written: readonly TrackedItem[];
  readonly gone: readonly string[];
}

/** Everything one record sends, in order, with its counts. */
export interface RecordPlan {
  readonly key: string;
  readonly messages: readonly PlannedMessage[];
  /** Keys to forget without sending anything (slots now in the past). */
  readonly forget: readonly string[];
  readonly counts: Record<Hl7CountType, ResourceCounts>;
}

const owner = (providerId: string): string => encodeURIComponent(providerId);
const staffKey = (providerId: string): string => `${owner(providerId)}/staff`;
/** Recorded while the peer holds the provider as deactivated (an `MDC` was acknowledged). */
const inactiveKey = (providerId: string): string => `${owner(providerId)}/inactive`;
const SLOT_PREFIX = '/slot/';
const slotKey = (providerId: string, slotId: string): string =>
  `${owner(providerId)}${SLOT_PREFIX}${encodeURIComponent(slotId)}`;

function zeroCounts(): Record<Hl7CountType, ResourceCounts> {
  const zero = (): ResourceCounts => ({ created: 0, updated: 0, unchanged: 0, deleted: 0 });
  return { MFN: zero(), SIU: zero() };
}

/**
 * Who the provider is, as far as a slot message needs it (AIP, SCH-16), kept in the staff
 * entry's tracked hash: a deactivation record names no one, yet its free slots are blocked.
 */
type StaffDescriptor = [
  contentHash: string,
  npi: string,
  last: string,
  first: string,
  title: string,
];

/** The staff master file entry's content, hashed, with the {@link StaffDescriptor}. */
function staffHash(record: ProviderRecord): string {
  const { npi, name, status, phone, specialties, locations } = record.provider;
  const content = { npi, name, status, phone, specialties, location: locations?.[0] };
  const descriptor: StaffDescriptor = [
    createHash('sha256').update(JSON.stringify(content)).digest('hex'),
    npi,
    name.last,
    name.first,
    name.title ?? '',
  ];
  return encodeURIComponent(JSON.stringify(descriptor));
}

/** The provider a recorded staff entry describes, for slot messages; undefined if unreadable. */
function formerProvider(
  providerId: string,
  stored: string | undefined,
  changedAt: string,
): Provider | undefined {
  const descriptor = parseDescriptor(stored, 5) as StaffDescriptor | undefined;
  if (descriptor === undefined) return undefined;
  const [, npi, last, first, title] = descriptor;
  return {
    id: providerId,
    npi,
    name: { last, first, ...(title === '' ? {} : { title }) },
    specialties: [],
    acceptingNewPatients: false,
    status: 'inactive',
    updatedAt: changedAt,
  };
}

/**
 * What a slot message needs of a slot once it is gone from the source: kept as the tracked
 * item's hash (URI-encoded JSON, no spaces), so a withdrawn free slot can still be blocked.
 */
type SlotDescriptor = [
  date: string,
  time: string,
  durationMinutes: number,
  available: boolean,
  visitType: Slot['visitType'],
  locationId: string,
  locationName: string,
  timezone: string,
];

function slotItem(providerId: string, slot: Slot, location: Location): TrackedItem {
  const descriptor: SlotDescriptor = [
    slot.date,
    slot.time,
    slot.durationMinutes,
    slot.available,
    slot.visitType,
    location.id,
    location.name,
    location.timezone,
  ];
  return {
    key: slotKey(providerId, slot.id),
    hash: encodeURIComponent(JSON.stringify(descriptor)),
    endsAt: new Date(slotStartEpochMs(slot.date, slot.time, location.timezone)).toISOString(),
  };
}

/** A descriptor kept as a tracked hash (see {@link slotItem}), from its stored value. */
function parseDescriptor(stored: string | undefined, length: number): unknown[] | undefined {
  try {
    // The stored value is the hash, then, for items with an end, a space and the end.
    const value: unknown = JSON.parse(decodeURIComponent((stored ?? '').split(' ')[0] ?? ''));
    return Array.isArray(value) && value.length === length ? value : undefined;
  } catch {
    return undefined;
  }
}

interface LocationChange {
  location: Location;
  opened: Slot[];
  openedItems: TrackedItem[];
  blocked: Slot[];
  blockedItems: TrackedItem[];
  withdrawn: string[];
}

/**
 * Plans the messages of a provider record: the staff master file entry (`MAD` new, `MUP`
 * changed, `MDC` now inactive, `MAC` back after a deactivation), then per location `SIU^S24`
 * for slots new or changed and free, and `SIU^S23` for slots changed and taken or withdrawn
 * while free and still ahead. A new slot that is already taken is not sent.
 */
export async function planProvider(
  record: ProviderRecord,
  diff: ContentDiff,
  context: MessageContext,
  recordedHashes: (keys: readonly string[]) => Promise<Map<string, string>>,
): Promise<RecordPlan> {
  const { provider } = record;
  const locations = new Map((provider.locations ?? []).map((l) => [l.id, l]));
  const staff: TrackedItem = { key: staffKey(provider.id), hash: staffHash(record) };
  const isInactive = provider.status === 'inactive';
  const marker: TrackedItem = { key: inactiveKey(provider.id), hash: 'I' };
  const slotsByKey = new Map<string, { slot: Slot; location: Location }>();
  const slotItems = record.slots.map((slot) => {
    const location = locations.get(slot.locationId);
    if (location === undefined) {
      throw new ValidationError(
        `Slot ${slot.id} is at location ${slot.locationId}, which is not one of the provider's`,
        { slotId: slot.id, locationId: slot.locationId },
        'PMS_RECORD_UNMAPPABLE',
      );
    }
    const item = slotItem(provider.id, slot, location);
    slotsByKey.set(item.key, { slot, location });
    return item;
  });
  const compared = await diff.compare(owner(provider.id), [
    staff,
    ...(isInactive ? [marker] : []),
    ...slotItems,
  ]);
  const has = (list: readonly TrackedItem[], key: string) => list.some((i) => i.key === key);
  const counts = zeroCounts();
  const messages: PlannedMessage[] = [];

  const markerCreated = has(compared.created, marker.key);
  const markerWithdrawn = compared.withdrawn.includes(marker.key);
  const event: StaffEvent | undefined = has(compared.created, staff.key)
    ? 'MAD'
    : markerCreated
      ? 'MDC'
      : markerWithdrawn
        ? 'MAC'
        : has(compared.updated, staff.key)
          ? 'MUP'
          : undefined;
  if (event === undefined) counts.MFN.unchanged++;
  else {
    counts.MFN[event === 'MAD' ? 'created' : event === 'MDC' ? 'deleted' : 'updated']++;
    messages.push({
      message: buildStaffMasterFile([{ event, provider }], context),
      written: isInactive ? [staff, marker] : [staff],
      gone: markerWithdrawn ? [marker.key] : [],
    });
  }

  const { changes, changeAt } = locationChanges();
  counts.SIU.unchanged += compared.unchanged.filter((i) => slotsByKey.has(i.key)).length;
  for (const item of compared.created) {
    const found = slotsByKey.get(item.key);
    if (found === undefined || !found.slot.available) continue;
    const change = changeAt(found.location);
    change.opened.push(found.slot);
    change.openedItems.push(item);
    counts.SIU.created++;
  }
  for (const item of compared.updated) {
    const found = slotsByKey.get(item.key);
    if (found === undefined) continue;
    const change = changeAt(found.location);
    (found.slot.available ? change.opened : change.blocked).push(found.slot);
    (found.slot.available ? change.openedItems : change.blockedItems).push(item);
    counts.SIU.updated++;
  }
  const forget = [...compared.expired];
  const withdrawnSlots = compared.withdrawn.filter((key) => key.includes(SLOT_PREFIX));
  const recorded = withdrawnSlots.length === 0 ? new Map() : await recordedHashes(withdrawnSlots);
  counts.SIU.deleted += blockWithdrawn(withdrawnSlots, recorded, locations, changeAt, forget);
  messages.push(...slotMessages(provider, changes, context));
  return { key: provider.id, messages, forget, counts };
}

/**
 * Blocks the slots gone from the source that were free when last sent (and are still ahead:
 * past ones were already taken out as expired); the others are only forgotten. Returns how
 * many were blocked.
 */
function blockWithdrawn(
  keys: readonly string[],
  recorded: ReadonlyMap<string, string>,
  locations: ReadonlyMap<string, Location>,
  changeAt: (location: Location) => LocationChange,
  forget: string[],
): number {
  let blocked = 0;
  for (const key of keys) {
    const descriptor = parseDescriptor(recorded.get(key), 8) as SlotDescriptor | undefined;
    if (descriptor === undefined || !descriptor[3]) {
      forget.push(key);
      continue;
    }
    const [date, time, durationMinutes, , visitType, locationId, locationName, timezone] =
      descriptor;
    const location =
      locations.get(locationId) ?? formerLocation(locationId, locationName, timezone);
    const id = decodeURIComponent(key.slice(key.indexOf(SLOT_PREFIX) + SLOT_PREFIX.length));
    const change = changeAt(location);
    change.blocked.push({
      id,
      date,
      time,
      durationMinutes,
      available: false,
      locationId,
      visitType,
    });
    change.withdrawn.push(key);
    blocked++;
  }
  return blocked;
}

/** Per location, `SIU^S24` for the opened slots and `SIU^S23` for the blocked ones. */
function slotMessages(
  provider: Provider,
  changes: ReadonlyMap<string, LocationChange>,
  context: MessageContext,
): PlannedMessage[] {
  return [...changes.values()].flatMap((change) =>
    buildSlotChanges(
      { provider, location: change.location, opened: change.opened, blocked: change.blocked },
      context,
    ).map((message) => {
      const isOpened = message.messageType.startsWith('SIU^S24');
      return {
        message,
        written: isOpened ? change.openedItems : change.blockedItems,
        gone: isOpened ? [] : change.withdrawn,
      };
    }),
  );
}

/** The per-location change lists, created on first use. */
function locationChanges(): {
  changes: Map<string, LocationChange>;
  changeAt: (location: Location) => LocationChange;
} {
  const changes = new Map<string, LocationChange>();
  const changeAt = (location: Location): LocationChange => {
    let change = changes.get(location.id);
    if (change === undefined) {
      change = {
        location,
        opened: [],
        openedItems: [],
        blocked: [],
        blockedItems: [],
        withdrawn: [],
      };
      changes.set(location.id, change);
    }
    return change;
  };
  return { changes, changeAt };
}

/** A location the provider no longer lists, as far as a slot message needs it. */
function formerLocation(id: string, name: string, timezone: string): Location {
  return {
    id,
    name,
    timezone,
    address: { lines: [], city: '-', state: '-', postalCode: '-', country: '--' },
  };
}

/**
 * Plans a deactivation: `MDC` for a provider the peer holds as active, then `SIU^S23` for its
 * slots still ahead that were free when last sent (a deactivated provider takes no bookings);
 * nothing for a provider it was never sent. Slots already taken are forgotten, past ones too.
 */
export async function planDeactivation(
  record: DeactivationRecord,
  diff: ContentDiff,
  context: MessageContext,
  recordedHashes: (keys: readonly string[]) => Promise<Map<string, string>>,
): Promise<RecordPlan> {
  const { providerId, changedAt } = record;
  const { withdrawn, expired } = await diff.leave(owner(providerId));
  const counts = zeroCounts();
  const known = withdrawn.includes(staffKey(providerId));
  if (!known) return { key: providerId, messages: [], forget: expired, counts };
  const messages: PlannedMessage[] = [];
  if (withdrawn.includes(inactiveKey(providerId))) counts.MFN.unchanged++;
  else {
    counts.MFN.deleted++;
    messages.push({
      message: buildStaffMasterFile([{ event: 'MDC', providerId, changedAt }], context),
      written: [{ key: inactiveKey(providerId), hash: 'I' }],
      gone: [],
    });
  }
  const forget = [...expired];
  const slotKeys = withdrawn.filter((key) => key.includes(SLOT_PREFIX));
  if (slotKeys.length === 0) return { key: providerId, messages, forget, counts };
  const recorded = await recordedHashes([staffKey(providerId), ...slotKeys]);
  const provider = formerProvider(providerId, recorded.get(staffKey(providerId)), changedAt);
  // Recorded before slot messages could name the provider: its slots stay as they are.
  if (provider === undefined) return { key: providerId, messages, forget, counts };
  const { changes, changeAt } = locationChanges();
  counts.SIU.deleted += blockWithdrawn(slotKeys, recorded, new Map(), changeAt, forget);
  messages.push(...slotMessages(provider, changes, context));
  return { key: providerId, messages, forget, counts };
}
