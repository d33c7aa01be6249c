import { describe, expect, it } from '@jest/globals';
import { Hl7Message } from '@medplum/core';
import { ManualClock } from '@pmsbridge/core/testing';
import { parseMessage } from '../codec/message-parser.js';
import { contextWith, trickyProvider } from '../fixtures.test-helper.js';
import { parseAck } from './ack.js';
import {
  acknowledgmentRequestOf,
  applicationAckAfterCommit,
  asksForCommitAccept,
  buildCommitAccept,
} from './enhanced-ack.js';
import { buildStaffMasterFile } from './staff-master-file.js';

const header = (msh15: string, msh16: string, version = '2.5.1') =>
  `MSH|^~\\&|PMS|MAIN|PMSBRIDGE|CLINIC|20260302150406||ACK^M02^ACK|APP-7|P|${version}|||${msh15}|${msh16}`;

describe('acknowledgmentRequestOf', () => {
  it('reads MSH-15 and MSH-16 of the messages the codec builds', () => {
    const built = buildStaffMasterFile(
      [{ event: 'MAD', provider: trickyProvider() }],
      contextWith({ acceptAcknowledgmentType: 'AL', applicationAcknowledgmentType: 'ER' }),
    );
    expect(acknowledgmentRequestOf(built.text)).toEqual({ accept: 'AL', application: 'ER' });
  });

  it('leaves out empty fields and values outside table 0155', () => {
    expect(acknowledgmentRequestOf(`${header('', '')}\rMSA|AA|C1\r`)).toEqual({});
    expect(acknowledgmentRequestOf(`${header('XX', 'su')}\r`)).toEqual({ application: 'SU' });
  });

  it.each([
    ['AL', 'required'],
    ['SU', 'required'],
    ['ER', 'on-error'],
    ['NE', 'none'],
    ['', 'none'],
  ])('after a CA under MSH-16 %j, an application acknowledgment is %s', (msh16, expected) => {
    const request = acknowledgmentRequestOf(`${header('AL', msh16)}\r`);
    expect(applicationAckAfterCommit(request)).toBe(expected);
  });

  it.each([
    ['AL', true],
    ['SU', true],
    ['ER', false],
    ['NE', false],
    ['', false],
  ])('MSH-15 %j asks for a commit accept of a message taken: %s', (msh15, expected) => {
    expect(asksForCommitAccept(acknowledgmentRequestOf(`${header(msh15, 'NE')}\r`))).toBe(expected);
  });
});

describe('buildCommitAccept', () => {
  const clock = new ManualClock('2026-03-02T15:04:07.000Z');
  const applicationAck = parseMessage(`${header('AL', 'NE')}\rMSA|AA|C1\r`);

  it('answers MSA-2 = its MSH-10 with CA, sender and receiver swapped, asking for nothing', () => {
    const answer = buildCommitAccept(applicationAck, { clock, charset: 'UNICODE UTF-8' });
    const read = Hl7Message.parse(answer.text);
    const msh = read.header;
    expect([3, 4, 5, 6].map((n) => msh.getField(n).toString())).toEqual([
      'PMSBRIDGE',
      'CLINIC',
      'PMS',
      'MAIN',
    ]);
    expect(msh.getField(7).toString()).toBe('20260302150407+0000');
    expect(msh.getField(9).toString()).toBe('ACK^M02^ACK');
    expect(msh.getField(10).toString()).toBe(answer.controlId);
    expect([11, 12, 15, 16, 18].map((n) => msh.getField(n).toString())).toEqual([
      'P',
      '2.5.1',
      'NE',
      'NE',
      'UNICODE UTF-8',
    ]);
    expect(read.getSegment('MSA')?.getField(1).toString()).toBe('CA');
    expect(read.getSegment('MSA')?.getField(2).toString()).toBe('APP-7');
    expect(parseAck(answer.text)).toMatchObject({ code: 'CA', controlId: 'APP-7' });
    expect(answer).toMatchObject({ messageType: 'ACK^M02^ACK', key: 'APP-7' });
  });

  it('writes the same control id for the same acknowledgment, whenever it is sent', () => {
    const first = buildCommitAccept(applicationAck, { clock, charset: 'UNICODE UTF-8' });
    const later = buildCommitAccept(applicationAck, {
      clock: new ManualClock('2026-03-03T00:00:00.000Z'),
      charset: 'UNICODE UTF-8',
    });
    expect(later.controlId).toBe(first.controlId);
    expect(later.text).not.toBe(first.text);
  });

  it('leaves out the message structure before 2.4', () => {
    const old = parseMessage(`${header('AL', 'NE', '2.3.1')}\rMSA|AA|C1\r`);
    const answer = buildCommitAccept(old, { clock, charset: 'ASCII' });
    expect(Hl7Message.parse(answer.text).header.getField(9).toString()).toBe('ACK^M02');
  });
});
