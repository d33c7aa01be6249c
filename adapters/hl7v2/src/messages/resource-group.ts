import type { Hl7Component, Hl7Segment } from '../codec/segment.js';
import { segment } from '../codec/segment.js';
import { coded, type CodedValue } from './message-options.js';

/** Duration units (CE) of AIS-8, AIL-10 and AIP-10: minutes. */
export const MINUTES = ['min', 'minutes'];

/** What one resource group of a scheduling message describes: one slot's service and resources. */
export interface ResourceGroupInput {
  /** pmsbridge's slot id, the resource group id (RGS-3). */
  readonly slotId: string;
  /** The service (AIS-3): the slot's visit type as the options code it. */
  readonly service: CodedValue;
  /** The start, an HL7 timestamp (AIS-4, AIL-6, AIP-6). */
  readonly start: string;
  readonly durationMinutes: number;
  /** The location (AIL-3, PL) and the practitioner (AIP-3, XCN), already built. */
  readonly location: readonly Hl7Component[];
  readonly practitioner: readonly Hl7Component[];
  /** The filler status (AIS-10, AIL-12, AIP-12, table 0278); left empty when undefined. */
  readonly fillerStatus?: string;
}

/**
 * The segments of one resource group, each resource added (segment action `A`) with the
 * group's start and duration: RGS (the slot id), AIS (the service), AIL (the location) and
 * AIP (the practitioner).
 */
export function resourceGroup(input: ResourceGroupInput, setId: number): Hl7Segment[] {
  const id = String(setId);
  const duration = String(input.durationMinutes);
  const status = input.fillerStatus;
  return [
    segment('RGS', { 1: id, 2: 'A', 3: [input.slotId] }),
    segment('AIS', {
      1: id,
      2: 'A',
      3: coded(input.service),
      4: input.start,
      7: duration,
      8: MINUTES,
      10: status,
    }),
    segment('AIL', {
      1: id,
      2: 'A',
      3: input.location,
      6: input.start,
      9: duration,
      10: MINUTES,
      12: status,
    }),
    segment('AIP', {
      1: id,
      2: 'A',
      3: input.practitioner,
      6: input.start,
      9: duration,
      10: MINUTES,
      12: status,
    }),
  ];
}
