import type { Location, Provider, Slot } from '@pmsbridge/core';
import { ValidationError } from '@pmsbridge/core';
import { contentId } from '../codec/control-id.js';
import { assembleMessage, type OutboundMessage } from '../codec/outbound-message.js';
import { repeat, segment, type Hl7Component, type Hl7Segment } from '../codec/segment.js';
import { formatHl7Timestamp, slotStartEpochMs } from '../codec/timestamp.js';
import type { MessageContext } from './message-options.js';
import { pointOfCare, practitioner } from './provider-fields.js';
import { MINUTES, resourceGroup } from './resource-group.js';

/** Whether slots were opened (`SIU^S24`) or blocked (`SIU^S23`, also a withdrawn free slot). */
export type SlotChangeKind = 'opened' | 'blocked';

/** One provider's schedule change at one location. */
export interface SlotChange {
  readonly kind: SlotChangeKind;
  readonly provider: Provider;
  readonly location: Location;
  /** The slots opened or blocked, all at `location`. */
  readonly slots: readonly Slot[];
  /**
   * What tells apart two sends of the same slots (opened, blocked, opened again), e.g. the time
   * of the source change; defaults to the provider's `updatedAt`.
   */
  readonly revision?: string;
}

const TRIGGER: Record<SlotChangeKind, string> = { opened: 'S24', blocked: 'S23' };
const EVENT_REASON: Record<SlotChangeKind, string[]> = {
  opened: ['OPENED', 'Slots opened'],
  blocked: ['BLOCKED', 'Slots blocked'],
};
/** SCH-25 and the resources' filler status (table 0278); it has no code for an open slot. */
const FILLER_STATUS: Record<SlotChangeKind, string> = { opened: '', blocked: 'Blocked' };
const MINUTE_MS = 60_000;

/** A slot's start and end as HL7 timestamps at the location's offset on that day. */
interface SlotTiming {
  readonly slot: Slot;
  readonly start: string;
  readonly end: string;
}

/**
 * The `SIU` message of one provider's schedule change: `S24` for opened slots, `S23` for blocked
 * ones. SCH describes the block (its id derived from the slots, so a rebuild gives the same id);
 * each slot has its timing — TQ1 from 2.5, and SCH-11 in every version (2.3.1 has only SCH-11;
 * 2.5.1 keeps it for receivers that read no TQ1) — and a resource group: RGS (slot id), AIS
 * (visit type), AIL (location), AIP (practitioner with NPI), each with start and duration.
 * Times are the slot's wall-clock time at the location with that instant's UTC offset.
 */
export function buildSlotChange(change: SlotChange, context: MessageContext): OutboundMessage {
  const { kind, provider, location, slots } = change;
  if (slots.length === 0) {
    throw new ValidationError(`An SIU^${TRIGGER[kind]} message needs at least one slot`, {
      providerId: provider.id,
    });
  }
  const timings = slots.map((slot) => slotTiming(slot, location));
  const { version } = context.options;
  // The same practitioner and location in every resource group: built once per message.
  const resources: GroupResources = {
    kind,
    practitioner: practitioner(provider, version),
    location: pointOfCare(location),
  };
  const body: Hl7Segment[] = [
    scheduleSegment(change, timings, context),
    ...(version === '2.3.1' ? [] : timings.map((t, i) => timingQuantity(t, i + 1))),
    ...timings.flatMap((t, i) => slotResourceGroup(resources, t, i + 1, context)),
  ];
  return assembleMessage(
    {
      type: { code: 'SIU', trigger: TRIGGER[kind], structure: 'SIU_S12' },
      body,
      key: provider.id,
      revision: change.revision ?? provider.updatedAt,
    },
    context,
  );
}

/**
 * The messages of one provider's schedule change at a location: `S24` for the slots now open,
 * then `S23` for those now blocked (taken, or withdrawn while free). Empty lists send nothing.
 */
export function buildSlotChanges(
  change: {
    readonly provider: Provider;
    readonly location: Location;
    readonly opened: readonly Slot[];
    readonly blocked: readonly Slot[];
    readonly revision?: string;
  },
  context: MessageContext,
): OutboundMessage[] {
  const { opened, blocked, ...common } = change;
  const parts: SlotChange[] = [
    { ...common, kind: 'opened', slots: opened },
    { ...common, kind: 'blocked', slots: blocked },
  ];
  return parts.filter((p) => p.slots.length > 0).map((p) => buildSlotChange(p, context));
}

function slotTiming(slot: Slot, location: Location): SlotTiming {
  if (slot.locationId !== location.id) {
    throw new ValidationError(
      `Slot ${slot.id} is at location ${slot.locationId}, not at ${location.id} this message is for`,
      { slotId: slot.id, locationId: slot.locationId, expected: location.id },
      'PMS_RECORD_UNMAPPABLE',
    );
  }
  const startMs = slotStartEpochMs(slot.date, slot.time, location.timezone);
  const endMs = startMs + slot.durationMinutes * MINUTE_MS;
  return {
    slot,
    start: formatHl7Timestamp(startMs, location.timezone),
    end: formatHl7Timestamp(endMs, location.timezone),
  };
}

function scheduleSegment(
  change: SlotChange,
  timings: readonly SlotTiming[],
  { options }: MessageContext,
): Hl7Segment {
  const durations = new Set(change.slots.map((s) => s.durationMinutes));
  const [sharedDuration] = durations.size === 1 ? [...durations] : [];
  const blockId = contentId([
    change.kind,
    change.provider.id,
    change.location.id,
    ...change.slots.map((s) => s.id).sort(),
  ]);
  return segment('SCH', {
    1: [blockId, options.sendingApplication],
    6: EVENT_REASON[change.kind],
    // SCH-9/10 are one duration for the whole block: written only when every slot shares it.
    9: sharedDuration === undefined ? undefined : String(sharedDuration),
    10: sharedDuration === undefined ? undefined : MINUTES,
    11: repeat(...timings.map(legacyTiming)),
    16: practitioner(change.provider, options.version),
    20: [options.sendingApplication],
    25: FILLER_STATUS[change.kind],
  });
}

/** TQ (SCH-11): duration `M<minutes>` in TQ-3, start and end in TQ-4 and TQ-5. */
function legacyTiming(timing: SlotTiming): string[] {
  return ['', '', `M${timing.slot.durationMinutes}`, timing.start, timing.end];
}

/** TQ1: set id, service duration (TQ1-6), start (TQ1-7) and end (TQ1-8). */
function timingQuantity(timing: SlotTiming, setId: number): Hl7Segment {
  return segment('TQ1', {
    1: String(setId),
    6: [String(timing.slot.durationMinutes), MINUTES],
    7: timing.start,
    8: timing.end,
  });
}

/** What every resource group of a message shares. */
interface GroupResources {
  readonly kind: SlotChange['kind'];
  readonly practitioner: Hl7Component[];
  readonly location: Hl7Component[];
}

function slotResourceGroup(
  resources: GroupResources,
  timing: SlotTiming,
  setId: number,
  { options }: MessageContext,
): Hl7Segment[] {
  const { slot } = timing;
  return resourceGroup(
    {
      slotId: slot.id,
      service: options.visitTypes[slot.visitType],
      start: timing.start,
      durationMinutes: slot.durationMinutes,
      location: resources.location,
      practitioner: resources.practitioner,
      fillerStatus: FILLER_STATUS[resources.kind],
    },
    setId,
  );
}
