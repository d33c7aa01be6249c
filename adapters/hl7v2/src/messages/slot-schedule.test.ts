import { describe, expect, it } from '@jest/globals';
import { parseMessage, repetitionCount, valueOf } from '../codec/message-parser.js';
import {
  chicagoClinic,
  contextWith,
  segmentNames,
  slotAt,
  trickyProvider,
} from '../fixtures.test-helper.js';
import { buildSlotChange, buildSlotChanges, type SlotChange } from './slot-schedule.js';

const opened: SlotChange = {
  kind: 'opened',
  provider: trickyProvider(),
  location: chicagoClinic,
  slots: [slotAt(), slotAt({ id: 'SLOT-2', time: '09:30', visitType: 'follow_up' })],
};

describe('buildSlotChange', () => {
  it('sends opened slots as SIU^S24 with SCH, a TQ1 per slot and a resource group per slot', () => {
    const message = buildSlotChange(opened, contextWith());
    expect(message.messageType).toBe('SIU^S24^SIU_S12');
    expect(segmentNames(message.text)).toEqual([
      'MSH',
      'SCH',
      'TQ1',
      'TQ1',
      'RGS',
      'AIS',
      'AIL',
      'AIP',
      'RGS',
      'AIS',
      'AIL',
      'AIP',
    ]);
  });

  it('times slots at the location with the offset of that day', () => {
    const parsed = parseMessage(buildSlotChange(opened, contextWith()).text);
    const [first, second] = parsed.segmentsNamed('TQ1');
    if (first === undefined || second === undefined) throw new Error('TQ1 missing');
    expect([valueOf(first, 1), valueOf(first, 7), valueOf(first, 8)]).toEqual([
      '1',
      '20260309090000-0500',
      '20260309093000-0500',
    ]);
    expect(valueOf(first, 6)).toBe('30');
    expect(valueOf(first, 6, { component: 2 })).toBe('min');
    expect(valueOf(second, 7)).toBe('20260309093000-0500');

    const winter = buildSlotChange(
      { ...opened, slots: [slotAt({ date: '2026-03-06' })] },
      contextWith(),
    );
    expect(parseMessage(winter.text).value('TQ1', 7)).toBe('20260306090000-0600');
  });

  it('describes the block in SCH: id, event reason, duration, SCH-11 timing and contacts', () => {
    const parsed = parseMessage(buildSlotChange(opened, contextWith()).text);
    const sch = parsed.segment('SCH');
    if (sch === undefined) throw new Error('SCH missing');
    expect(valueOf(sch, 1)).toMatch(/^[0-9A-F]{20}$/);
    expect(valueOf(sch, 1, { component: 2 })).toBe('PMSBRIDGE');
    expect(valueOf(sch, 6)).toBe('OPENED');
    expect([valueOf(sch, 9), valueOf(sch, 10)]).toEqual(['30', 'min']);
    expect(repetitionCount(sch, 11)).toBe(2);
    expect([3, 4, 5].map((component) => valueOf(sch, 11, { repetition: 2, component }))).toEqual([
      'M30',
      '20260309093000-0500',
      '20260309100000-0500',
    ]);
    expect(valueOf(sch, 16)).toBe('1234567893');
    expect(valueOf(sch, 20)).toBe('PMSBRIDGE');
    expect(valueOf(sch, 25)).toBe('');
  });

  it('names the slot, visit type, location and practitioner with NPI in each resource group', () => {
    const parsed = parseMessage(buildSlotChange(opened, contextWith()).text);
    expect(parsed.segmentsNamed('RGS').map((s) => valueOf(s, 3))).toEqual(['SLOT-1', 'SLOT-2']);
    expect(
      parsed.segmentsNamed('AIS').map((s) => [valueOf(s, 3), valueOf(s, 4), valueOf(s, 7)]),
    ).toEqual([
      ['NEW', '20260309090000-0500', '30'],
      ['FOLLOWUP', '20260309093000-0500', '30'],
    ]);
    expect(parsed.value('AIL', 3)).toBe('LOC-1');
    expect(parsed.value('AIL', 3, { component: 9 })).toBe('Lakeview | Heart ^ Vascular');
    expect(parsed.value('AIL', 6)).toBe('20260309090000-0500');
    const aip = (component: number, subcomponent = 1) =>
      parsed.value('AIP', 3, { component, subcomponent });
    expect([aip(1), aip(2), aip(3), aip(9, 1), aip(9, 2), aip(13)]).toEqual([
      '1234567893',
      "O'Brien|Smith~&\\Jr",
      'Ann^Marie',
      'NPI',
      '2.16.840.1.113883.4.6',
      'NPI',
    ]);
    expect(parsed.value('AIP', 6)).toBe('20260309090000-0500');
  });

  it('uses the configured service codes for visit types', () => {
    const visitTypes = {
      new_patient: { code: 'NP', text: 'New', codingSystem: 'LOCAL' },
      follow_up: { code: 'FU', text: '', codingSystem: '' },
      telehealth: { code: 'TH', text: '', codingSystem: '' },
    };
    const parsed = parseMessage(buildSlotChange(opened, contextWith({ visitTypes })).text);
    expect(parsed.value('AIS', 3, { component: 3 })).toBe('LOCAL');
    expect(parsed.segmentsNamed('AIS').map((s) => valueOf(s, 3))).toEqual(['NP', 'FU']);
  });

  it('sends blocked slots as SIU^S23 with filler status Blocked', () => {
    const message = buildSlotChange({ ...opened, kind: 'blocked' }, contextWith());
    expect(message.messageType).toBe('SIU^S23^SIU_S12');
    const parsed = parseMessage(message.text);
    expect(parsed.value('SCH', 6)).toBe('BLOCKED');
    expect(parsed.value('SCH', 25)).toBe('Blocked');
    expect(parsed.value('AIS', 10)).toBe('Blocked');
    expect(parsed.value('AIL', 12)).toBe('Blocked');
    expect(parsed.value('AIP', 12)).toBe('Blocked');
  });

  it('in 2.3.1 has no TQ1 and no message structure, and times the block in SCH-11', () => {
    const message = buildSlotChange(opened, contextWith({ version: '2.3.1' }));
    expect(message.messageType).toBe('SIU^S24');
    expect(segmentNames(message.text)).not.toContain('TQ1');
    const parsed = parseMessage(message.text);
    expect(parsed.value('SCH', 11, { component: 4 })).toBe('20260309090000-0500');
    expect(parsed.value('AIP', 3, { component: 7 })).toBe('MD');
  });

  it('leaves SCH-9 and SCH-10 empty when the slots differ in length', () => {
    const mixed = {
      ...opened,
      slots: [slotAt(), slotAt({ id: 'SLOT-2', time: '10:00', durationMinutes: 45 })],
    };
    const parsed = parseMessage(buildSlotChange(mixed, contextWith()).text);
    expect([parsed.value('SCH', 9), parsed.value('SCH', 10)]).toEqual(['', '']);
    expect(parsed.segmentsNamed('AIS').map((s) => valueOf(s, 7))).toEqual(['30', '45']);
  });

  it('keeps the control id and block id for the same slots, in any order', () => {
    const reversed = { ...opened, slots: [...opened.slots].reverse() };
    const a = parseMessage(buildSlotChange(opened, contextWith()).text);
    const b = parseMessage(buildSlotChange(reversed, contextWith()).text);
    expect(b.value('SCH', 1)).toBe(a.value('SCH', 1));
    expect(buildSlotChange(opened, contextWith()).controlId).toBe(
      buildSlotChange(opened, contextWith()).controlId,
    );
    expect(buildSlotChange({ ...opened, revision: 'later' }, contextWith()).controlId).not.toBe(
      buildSlotChange(opened, contextWith()).controlId,
    );
  });

  it('refuses a slot at another location and an empty change', () => {
    const elsewhere = { ...opened, slots: [slotAt({ id: 'SLOT-9', locationId: 'LOC-2' })] };
    expect(() => buildSlotChange(elsewhere, contextWith())).toThrow(
      /Slot SLOT-9 is at location LOC-2, not at LOC-1/,
    );
    expect(() => buildSlotChange({ ...opened, slots: [] }, contextWith())).toThrow(
      /at least one slot/,
    );
  });
});

describe('buildSlotChanges', () => {
  it('sends S24 for opened and S23 for blocked slots, and nothing for an empty list', () => {
    const common = { provider: trickyProvider(), location: chicagoClinic };
    const both = buildSlotChanges(
      { ...common, opened: [slotAt()], blocked: [slotAt({ id: 'SLOT-2', available: false })] },
      contextWith(),
    );
    expect(both.map((m) => m.messageType)).toEqual(['SIU^S24^SIU_S12', 'SIU^S23^SIU_S12']);
    expect(both[0]?.controlId).not.toBe(both[1]?.controlId);
    const blockedOnly = buildSlotChanges(
      { ...common, opened: [], blocked: [slotAt()] },
      contextWith(),
    );
    expect(blockedOnly.map((m) => m.messageType)).toEqual(['SIU^S23^SIU_S12']);
    expect(buildSlotChanges({ ...common, opened: [], blocked: [] }, contextWith())).toEqual([]);
  });
});
