/**
 * The messages read by a second, independent HL7 v2 parser: Medplum's `Hl7Message`. It splits
 * on the declared delimiters and does not unescape, so the expectations show the escape
 * sequences as a receiver finds them on the wire.
 */
import { describe, expect, it } from '@jest/globals';
import { Hl7Message, Hl7Segment } from '@medplum/core';
import { chicagoClinic, contextWith, slotAt, trickyProvider } from '../fixtures.test-helper.js';
import { parseAck } from './ack.js';
import { buildSlotChange } from './slot-schedule.js';
import { buildStaffMasterFile } from './staff-master-file.js';

const ESCAPED_LAST_NAME = "O'Brien\\F\\Smith\\R\\\\T\\\\E\\Jr";

function segmentsOf(message: Hl7Message): string[] {
  return message.segments.map((s) => s.name).filter((name) => name !== '');
}

describe.each(['2.5.1', '2.3.1'] as const)('Medplum reads our %s messages', (version) => {
  const context = contextWith({ version });

  it('reads the staff master file: header, segments and the STF fields where HL7 puts them', () => {
    const built = buildStaffMasterFile([{ event: 'MAD', provider: trickyProvider() }], context);
    const message = Hl7Message.parse(built.text);
    expect(segmentsOf(message)).toEqual(['MSH', 'MFI', 'MFE', 'STF', 'PRA']);
    expect(message.header.getField(9).getComponent(1)).toBe('MFN');
    expect(message.header.getField(9).getComponent(2)).toBe('M02');
    expect(message.header.getField(10).toString()).toBe(built.controlId);
    expect(message.header.getField(12).toString()).toBe(version);
    const stf = message.getSegment('STF');
    expect(stf?.getComponent(2, 1)).toBe('1234567893');
    expect(stf?.getField(2).getComponent(4, 1)).toBe('2.16.840.1.113883.4.6');
    expect(stf?.getComponent(3, 1)).toBe(ESCAPED_LAST_NAME);
    expect(stf?.getComponent(3, 2)).toBe('Ann\\S\\Marie');
    expect(stf?.getField(7).toString()).toBe('A');
    expect(stf?.getComponent(11, 1)).toBe('12 Main St \\T\\ Oak \\R\\ Suite \\E\\4');
    expect(stf?.getComponent(11, 3)).toBe('Chicago');
    const pra = message.getSegment('PRA');
    expect(pra?.getField(5).getComponent(1, undefined, 1)).toBe('internal medicine');
  });

  it('reads the slot message: one SCH, a resource group per slot, the NPI in AIP-3', () => {
    const built = buildSlotChange(
      {
        kind: 'blocked',
        provider: trickyProvider(),
        location: chicagoClinic,
        slots: [slotAt(), slotAt({ id: 'SLOT-2', time: '09:30' })],
      },
      context,
    );
    const message = Hl7Message.parse(built.text);
    const groups = ['RGS', 'AIS', 'AIL', 'AIP', 'RGS', 'AIS', 'AIL', 'AIP'];
    expect(segmentsOf(message)).toEqual(
      version === '2.5.1' ? ['MSH', 'SCH', 'TQ1', 'TQ1', ...groups] : ['MSH', 'SCH', ...groups],
    );
    expect(message.header.getComponent(9, 2)).toBe('S23');
    expect(message.getSegment('SCH')?.getField(11).getComponent(4, undefined, 1)).toBe(
      '20260309093000-0500',
    );
    expect(message.getSegment('SCH')?.getField(25).toString()).toBe('Blocked');
    const [firstAip, secondAip] = message.getAllSegments('AIP');
    expect(firstAip?.getComponent(3, 1)).toBe('1234567893');
    expect(firstAip?.getComponent(3, 2)).toBe(ESCAPED_LAST_NAME);
    expect(firstAip?.getField(3).getComponent(9, 0)).toBe('NPI');
    expect(secondAip?.getField(6).toString()).toBe('20260309093000-0500');
    expect(message.getSegment('AIL')?.getComponent(3, 9)).toBe(
      'Lakeview \\F\\ Heart \\S\\ Vascular',
    );
    if (version === '2.5.1') {
      const tq1 = message.getSegment('TQ1');
      expect(tq1?.getField(6).getComponent(2, 0)).toBe('min');
      expect(tq1?.getField(7).toString()).toBe('20260309090000-0500');
    }
  });

  it('answers with an ACK our parser reads, echoing our control id', () => {
    const built = buildStaffMasterFile([{ event: 'MUP', provider: trickyProvider() }], context);
    const err = Hl7Segment.parse('ERR|||207^Application internal error^HL70357|E|||Locked');
    const ack = Hl7Message.parse(built.text).buildAck({ ackCode: 'AE', errSegment: err });
    const parsed = parseAck(ack.toString());
    expect(parsed).toMatchObject({ outcome: 'error', code: 'AE', controlId: built.controlId });
    expect(parsed.errors).toEqual([
      { code: '207', codeText: 'Application internal error', severity: 'E', message: 'Locked' },
    ]);
  });
});
