/**
 * The booking messages as an independent parser reads them: Medplum's `Hl7Message` (which
 * does not unescape, so escape sequences show as they are on the wire).
 */
import { describe, expect, it } from '@jest/globals';
import { Hl7Message } from '@medplum/core';
import type { PartnerBookingRequest } from '@pmsbridge/core';
import { ManualClock } from '@pmsbridge/core/testing';
import { chicagoClinic, contextWith, slotAt, trickyProvider } from '../fixtures.test-helper.js';
import { buildScheduleQuery } from './schedule-query.js';
import { buildBookingRequest, buildCancellationRequest } from './scheduling-request.js';

function bookingRequest(patch: Partial<PartnerBookingRequest> = {}): PartnerBookingRequest {
  return {
    reference: 'BKG0123456789ABCDEF0123',
    provider: trickyProvider({ name: { first: 'Ann', last: 'Lee', title: 'MD' } }),
    location: chicagoClinic,
    slot: slotAt(),
    start: '2026-03-09T09:00:00-05:00',
    end: '2026-03-09T09:30:00-05:00',
    patient: {
      firstName: 'Ana',
      lastName: 'Núñez|Ruiz',
      birthDate: '1980-04-02',
      phone: '+1 312 555 0199',
      email: 'ana@example.org',
    },
    reason: 'Annual check-up',
    ...patch,
  };
}

function segmentsOf(message: Hl7Message): string[] {
  return message.segments.map((s) => s.name).filter((name) => name !== '');
}

describe.each(['2.5.1', '2.3.1'] as const)('booking messages in %s', (version) => {
  const context = contextWith({ version, sendingApplication: 'PMSBRIDGE' });
  const structure = (text: string) => (version === '2.5.1' ? [text] : []);

  it('SRM^S01: ARQ with the reference, reason, duration and start; PID; one resource group', () => {
    const built = buildBookingRequest(bookingRequest(), context);
    const message = Hl7Message.parse(built.text);
    expect(segmentsOf(message)).toEqual(['MSH', 'ARQ', 'PID', 'RGS', 'AIS', 'AIL', 'AIP']);
    expect(message.header.getField(9).toString()).toBe(
      ['SRM', 'S01', ...structure('SRM_S01')].join('^'),
    );
    expect(message.header.getField(10).toString()).toBe(built.controlId);
    expect(message.header.getField(12).toString()).toBe(version);

    const arq = message.getSegment('ARQ');
    expect(arq?.getComponent(1, 1)).toBe('BKG0123456789ABCDEF0123');
    expect(arq?.getComponent(1, 2)).toBe('PMSBRIDGE');
    expect(arq?.getField(2).toString()).toBe('');
    expect(arq?.getComponent(7, 2)).toBe('Annual check-up');
    expect(arq?.getField(8).toString()).toBe('Normal');
    expect(arq?.getField(9).toString()).toBe('30');
    expect(arq?.getComponent(10, 1)).toBe('min');
    expect(arq?.getComponent(11, 1)).toBe('20260309090000-0500');
    expect(arq?.getComponent(11, 2)).toBe('20260309090000-0500');
    expect(arq?.getField(15).toString()).toBe('PMSBRIDGE');
    expect(arq?.getField(19).toString()).toBe('PMSBRIDGE');

    const pid = message.getSegment('PID');
    expect(pid?.getField(3).toString()).toBe('');
    expect(pid?.getComponent(5, 1)).toBe('Núñez\\F\\Ruiz');
    expect(pid?.getComponent(5, 2)).toBe('Ana');
    expect(pid?.getComponent(5, 7)).toBe('L');
    expect(pid?.getField(7).toString()).toBe('19800402');
    const contacts = pid?.getField(13);
    expect(contacts?.getComponent(1, undefined, 0)).toBe('+1 312 555 0199');
    expect(contacts?.getComponent(2, undefined, 0)).toBe('PRN');
    expect(contacts?.getComponent(2, undefined, 1)).toBe('NET');
    expect(contacts?.getComponent(4, undefined, 1)).toBe('ana@example.org');

    expect(message.getSegment('RGS')?.getField(3).toString()).toBe('SLOT-1');
    const ais = message.getSegment('AIS');
    expect(ais?.getComponent(3, 1)).toBe('NEW');
    expect(ais?.getField(4).toString()).toBe('20260309090000-0500');
    expect(ais?.getField(7).toString()).toBe('30');
    expect(message.getSegment('AIL')?.getComponent(3, 1)).toBe('LOC-1');
    const aip = message.getSegment('AIP');
    expect(aip?.getComponent(3, 1)).toBe('1234567893');
    expect(aip?.getComponent(3, 2)).toBe('Lee');
    expect(aip?.getField(3).getComponent(9, 0)).toBe('NPI');
    expect(aip?.getField(6).toString()).toBe('20260309090000-0500');
  });

  it('SRM^S01: the same booking gives the same control id; another reference another one', () => {
    const first = buildBookingRequest(bookingRequest(), context);
    const later = contextWith(
      { version, sendingApplication: 'PMSBRIDGE' },
      new ManualClock('2026-03-05T00:00:00.000Z'),
    );
    expect(buildBookingRequest(bookingRequest(), later).controlId).toBe(first.controlId);
    expect(buildBookingRequest(bookingRequest({ reference: 'BKG2' }), context).controlId).not.toBe(
      first.controlId,
    );
  });

  it('SRM^S01 without reason, phone or e-mail leaves ARQ-7 and PID-13 empty', () => {
    const request = bookingRequest({
      patient: { firstName: 'Ana', lastName: 'Ruiz', birthDate: '1980-04-02' },
    });
    const { reason: _reason, ...withoutReason } = request;
    const built = buildBookingRequest(withoutReason, context);
    expect(Hl7Message.parse(built.text).getSegment('ARQ')?.getField(7).toString()).toBe('');
    expect(built.text).toContain('\rPID|1||||Ruiz^Ana^^^^^L||19800402\r');
  });

  it('SRM^S04: ARQ with the placer and filler ids, an RGS, and no patient data', () => {
    const built = buildCancellationRequest({ reference: 'BKG1', partnerId: 'APT-7' }, context);
    const message = Hl7Message.parse(built.text);
    expect(segmentsOf(message)).toEqual(['MSH', 'ARQ', 'RGS']);
    expect(message.header.getField(9).toString()).toBe(
      ['SRM', 'S04', ...structure('SRM_S01')].join('^'),
    );
    expect(message.getSegment('ARQ')?.getComponent(1, 1)).toBe('BKG1');
    expect(message.getSegment('ARQ')?.getComponent(2, 1)).toBe('APT-7');
    expect(built.controlId).toBe(
      buildCancellationRequest({ reference: 'BKG1', partnerId: 'APT-7' }, context).controlId,
    );
  });

  it('SQM^S25: QRD by placer id, the request group with ARQ-1 = the reference', () => {
    const built = buildScheduleQuery({ reference: 'BKG1', queryId: 'Q123456789' }, context);
    const message = Hl7Message.parse(built.text);
    expect(segmentsOf(message)).toEqual(['MSH', 'QRD', 'ARQ', 'RGS']);
    expect(message.header.getField(9).toString()).toBe(
      ['SQM', 'S25', ...structure('SQM_S25')].join('^'),
    );
    const qrd = message.getSegment('QRD');
    expect(qrd?.getField(1).toString()).toBe('20260302150405+0000');
    expect(qrd?.getField(2).toString()).toBe('R');
    expect(qrd?.getField(3).toString()).toBe('I');
    expect(qrd?.getField(4).toString()).toBe('Q123456789');
    expect(qrd?.getField(7).toString()).toBe('1^RD');
    expect(qrd?.getField(8).toString()).toBe('BKG1');
    expect(qrd?.getComponent(9, 1)).toBe('SAL');
    expect(message.getSegment('ARQ')?.getComponent(1, 1)).toBe('BKG1');
  });

  it('SQM^S25 refuses a query id longer than QRD-4 allows', () => {
    expect(() =>
      buildScheduleQuery({ reference: 'BKG1', queryId: 'Q1234567890' }, context),
    ).toThrow(/queryId must have 1 to 10 characters/);
  });
});
