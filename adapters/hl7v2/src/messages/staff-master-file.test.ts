import { describe, expect, it } from '@jest/globals';
import { ManualClock } from '@pmsbridge/core/testing';
import { parseMessage, repetitionCount, valueOf } from '../codec/message-parser.js';
import { contextWith, segmentNames, trickyProvider } from '../fixtures.test-helper.js';
import { buildStaffMasterFile, type StaffEntry } from './staff-master-file.js';

const added: StaffEntry = { event: 'MAD', provider: trickyProvider() };

describe('buildStaffMasterFile', () => {
  it('writes MFI, then MFE, STF and PRA per provider', () => {
    const other = trickyProvider({ id: 'PRV-0002', npi: '1245319599' });
    const message = buildStaffMasterFile([added, { event: 'MUP', provider: other }], contextWith());
    expect(segmentNames(message.text)).toEqual([
      'MSH',
      'MFI',
      'MFE',
      'STF',
      'PRA',
      'MFE',
      'STF',
      'PRA',
    ]);
    const parsed = parseMessage(message.text);
    expect(parsed.segmentsNamed('MFE').map((s) => valueOf(s, 1))).toEqual(['MAD', 'MUP']);
    expect(parsed.segmentsNamed('STF').map((s) => valueOf(s, 2))).toEqual([
      '1234567893',
      '1245319599',
    ]);
    expect(message.key).toBe('PRV-0001,PRV-0002');
  });

  it('fills the header, MFI and MFE fields a practice-management system reads', () => {
    const message = buildStaffMasterFile(
      [added],
      contextWith({ sendingFacility: 'CLINIC', receivingApplication: 'PMS', processingId: 'T' }),
    );
    const parsed = parseMessage(message.text);
    expect(parsed.value('MSH', 3)).toBe('PMSBRIDGE');
    expect(parsed.value('MSH', 4)).toBe('CLINIC');
    expect(parsed.value('MSH', 5)).toBe('PMS');
    expect(parsed.value('MSH', 7)).toBe('20260302150405+0000');
    expect(parsed.value('MSH', 9, { component: 3 })).toBe('MFN_M02');
    expect(parsed.value('MSH', 10)).toBe(message.controlId);
    expect(parsed.value('MSH', 11)).toBe('T');
    expect(parsed.value('MSH', 12)).toBe('2.5.1');
    expect(parsed.value('MSH', 18)).toBe('UNICODE UTF-8');
    expect(parsed.value('MFI', 1)).toBe('STF');
    expect(parsed.value('MFI', 3)).toBe('UPD');
    expect(parsed.value('MFI', 6)).toBe('ER');
    expect(parsed.value('MFE', 3)).toBe('20260301101500-0600');
    expect(parsed.value('MFE', 4)).toBe('PRV-0001');
    expect(parsed.value('MFE', 5)).toBe('CWE');
  });

  it('names the practitioner master file in MFI-1 when configured', () => {
    const parsed = parseMessage(
      buildStaffMasterFile([added], contextWith({ masterFile: 'PRA' })).text,
    );
    expect(parsed.value('MFI', 1)).toBe('PRA');
  });

  it('writes the NPI with its assigning authority, the name, phone and first address in STF', () => {
    const parsed = parseMessage(buildStaffMasterFile([added], contextWith()).text);
    const at = (field: number, component = 1, subcomponent = 1) =>
      parsed.value('STF', field, { component, subcomponent });
    expect(at(1)).toBe('PRV-0001');
    expect([at(2, 1), at(2, 4, 1), at(2, 4, 2), at(2, 4, 3), at(2, 5)]).toEqual([
      '1234567893',
      'NPI',
      '2.16.840.1.113883.4.6',
      'ISO',
      'NPI',
    ]);
    expect([at(3, 1), at(3, 2), at(3, 7), at(3, 14)]).toEqual([
      "O'Brien|Smith~&\\Jr",
      'Ann^Marie',
      'L',
      'MD',
    ]);
    expect(at(7)).toBe('A');
    expect([at(10, 1), at(10, 2), at(10, 3)]).toEqual(['(312) 555-0100', 'WPN', 'PH']);
    expect([1, 2, 3, 4, 5, 6, 7].map((c) => at(11, c))).toEqual([
      '12 Main St & Oak ~ Suite \\4',
      'Floor 2',
      'Chicago',
      'IL',
      '60601',
      'US',
      'O',
    ]);
  });

  it('lists each specialty as a PRA-5 repetition', () => {
    const parsed = parseMessage(buildStaffMasterFile([added], contextWith()).text);
    const pra = parsed.segment('PRA');
    if (pra === undefined) throw new Error('PRA missing');
    expect(repetitionCount(pra, 5)).toBe(2);
    expect(valueOf(pra, 5, { repetition: 2 })).toBe('internal medicine');
  });

  it('marks a deactivated provider inactive, with or without the provider data', () => {
    const full = parseMessage(
      buildStaffMasterFile([{ event: 'MDC', provider: trickyProvider() }], contextWith()).text,
    );
    expect(full.value('MFE', 1)).toBe('MDC');
    expect(full.value('STF', 7)).toBe('I');

    const bare = buildStaffMasterFile(
      [{ event: 'MDC', providerId: 'PRV-0009', changedAt: '2026-03-02T08:00:00Z' }],
      contextWith(),
    );
    expect(segmentNames(bare.text)).toEqual(['MSH', 'MFI', 'MFE', 'STF']);
    const parsed = parseMessage(bare.text);
    expect(parsed.value('MFE', 3)).toBe('20260302080000+0000');
    expect(parsed.value('STF', 1)).toBe('PRV-0009');
    expect(parsed.value('STF', 7)).toBe('I');
  });

  it('marks a reactivated provider active', () => {
    const parsed = parseMessage(
      buildStaffMasterFile([{ event: 'MAC', provider: trickyProvider() }], contextWith()).text,
    );
    expect([parsed.value('MFE', 1), parsed.value('STF', 7)]).toEqual(['MAC', 'A']);
  });

  it('differs between 2.3.1 and 2.5.1 in MSH-9, MFE-5 and where the title goes', () => {
    const old = parseMessage(buildStaffMasterFile([added], contextWith({ version: '2.3.1' })).text);
    expect(old.value('MSH', 12)).toBe('2.3.1');
    expect(old.value('MSH', 9, { component: 2 })).toBe('M02');
    expect(old.value('MSH', 9, { component: 3 })).toBe('');
    expect(old.value('MFE', 5)).toBe('CE');
    expect(old.value('STF', 3, { component: 6 })).toBe('MD');
    expect(old.value('STF', 3, { component: 14 })).toBe('');
  });

  it('refuses an empty list', () => {
    expect(() => buildStaffMasterFile([], contextWith())).toThrow(/at least one entry/);
  });
});

describe('message control id', () => {
  it('is the same when the same record and content are built again later', () => {
    const clock = new ManualClock('2026-03-02T15:04:05.000Z');
    const first = buildStaffMasterFile([added], contextWith({}, clock));
    clock.advance(3_600_000);
    const again = buildStaffMasterFile([added], contextWith({}, clock));
    expect(again.controlId).toBe(first.controlId);
    expect(again.text).not.toBe(first.text); // MSH-7 moved on
    expect(first.controlId).toMatch(/^[0-9A-F]{20}$/);
  });

  it('changes with the content, the event, the version and the revision', () => {
    const base = buildStaffMasterFile([added], contextWith()).controlId;
    const ids = [
      buildStaffMasterFile(
        [{ event: 'MAD', provider: trickyProvider({ phone: '1' }) }],
        contextWith(),
      ),
      buildStaffMasterFile([{ event: 'MUP', provider: trickyProvider() }], contextWith()),
      buildStaffMasterFile([added], contextWith({ version: '2.3.1' })),
      buildStaffMasterFile(
        [{ event: 'MAD', provider: trickyProvider({ updatedAt: '2026-03-05T00:00:00Z' }) }],
        contextWith(),
      ),
    ].map((m) => m.controlId);
    expect(new Set([base, ...ids]).size).toBe(5);
  });
});
