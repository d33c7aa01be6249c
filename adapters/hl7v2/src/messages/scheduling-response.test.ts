/**
 * Reading the filler's answers, built the way a receiver would with Medplum's `Hl7Message`:
 * its acknowledgment of our message, with the SRR/SQR segments added.
 */
import { describe, expect, it } from '@jest/globals';
import { Hl7Message, Hl7Segment } from '@medplum/core';
import type { AckCode } from '@medplum/core';
import { contextWith } from '../fixtures.test-helper.js';
import { parseReply, type Hl7Reply } from './ack.js';
import { buildScheduleQuery } from './schedule-query.js';
import { buildCancellationRequest } from './scheduling-request.js';
import {
  SLOT_TAKEN_ERROR_CODE,
  readBookingResponse,
  readCancellationResponse,
  readScheduleQueryResponse,
} from './scheduling-response.js';

const context = contextWith();
const request = buildCancellationRequest({ reference: 'BKG1', partnerId: 'APT-1' }, context);

/** The receiver's answer to `request`: its ACK with `code` and the given segments after MSA. */
function answer(code: AckCode, ...segments: string[]): Hl7Reply {
  const ack = Hl7Message.parse(request.text).buildAck({ ackCode: code });
  const message = new Hl7Message([...ack.segments, ...segments.map((s) => Hl7Segment.parse(s))]);
  return parseReply(message.toString());
}

const SLOT_TAKEN = [SLOT_TAKEN_ERROR_CODE];

/** An SCH segment: placer id (SCH-1), filler id (SCH-2) and filler status (SCH-25). */
function sch(placerId: string, fillerId: string, status: string): string {
  return ['SCH', placerId, fillerId, ...Array<string>(22).fill(''), status].join('|');
}

describe('readBookingResponse', () => {
  it('AA with SCH: booked, the filler appointment id (SCH-2) as partner id', () => {
    const reply = answer('AA', sch('BKG1^PMSBRIDGE', 'APT-1^PMS', 'Booked'));
    expect(readBookingResponse(reply, 'BKG1', SLOT_TAKEN)).toEqual({
      status: 'booked',
      partnerId: 'APT-1',
    });
  });

  it('AA without SCH: booked under the placer id', () => {
    expect(readBookingResponse(answer('AA'), 'BKG1', SLOT_TAKEN)).toEqual({
      status: 'booked',
      partnerId: 'BKG1',
    });
  });

  it('AA for another placer id is no answer', () => {
    const reply = answer('AA', 'SCH|BKG2|APT-2');
    expect(() => readBookingResponse(reply, 'BKG1', SLOT_TAKEN)).toThrow(
      /names placer appointment BKG2, not BKG1/,
    );
  });

  it('AE with error 205 (2.5 ERR-3): slot_unavailable', () => {
    const reply = answer('AE', 'ERR||AIS^1^4|205^Duplicate key identifier^HL70357|E||||Taken');
    expect(readBookingResponse(reply, 'BKG1', SLOT_TAKEN)).toEqual({
      status: 'refused',
      code: 'slot_unavailable',
      message: 'The slot is already booked',
    });
  });

  it('AE with error 205 in the 2.3.1 ERR-1: slot_unavailable', () => {
    const reply = answer('AE', 'ERR|AIS^1^4^205&Duplicate key identifier&HL70357');
    expect(readBookingResponse(reply, 'BKG1', SLOT_TAKEN)).toMatchObject({
      code: 'slot_unavailable',
    });
  });

  it('AE with another code: rejected, with codes and no text the peer wrote; AR: not processed, thrown', () => {
    const ae = answer('AE', 'ERR||PID^1^5|101^Patient Ana Rivera unknown^HL70357|E||||Ana Rivera');
    expect(readBookingResponse(ae, 'BKG1', SLOT_TAKEN)).toEqual({
      status: 'refused',
      code: 'rejected',
      message:
        'The practice-management system refused the appointment (AE: 101 Required field missing at PID^1^5)',
    });
    expect(() => readBookingResponse(answer('AR'), 'BKG1', SLOT_TAKEN)).toThrow(
      'did not process the booking (AR); it stays pending',
    );
  });

  it('takes the slot-taken codes it is given', () => {
    const reply = answer('AE', 'ERR||ARQ^1^11|206^Application record locked^HL70357|E');
    expect(readBookingResponse(reply, 'BKG1', ['206'])).toMatchObject({
      code: 'slot_unavailable',
    });
    expect(readBookingResponse(reply, 'BKG1', SLOT_TAKEN)).toMatchObject({ code: 'rejected' });
  });

  it('a commit acknowledgment (enhanced mode) is no answer', () => {
    expect(() => readBookingResponse(answer('CA'), 'BKG1', SLOT_TAKEN)).toThrow(
      /commit acknowledgment \(CA\)/,
    );
  });
});

describe('readScheduleQueryResponse', () => {
  const query = buildScheduleQuery({ reference: 'BKG1', queryId: 'Q1' }, context);
  const queryAnswer = (code: AckCode, ...segments: string[]) => {
    const ack = Hl7Message.parse(query.text).buildAck({ ackCode: code });
    const parsed = segments.map((s) => Hl7Segment.parse(s));
    return parseReply(new Hl7Message([...ack.segments, ...parsed]).toString());
  };

  it('the booking SCH with a status that holds the slot: booked', () => {
    const reply = queryAnswer(
      'AA',
      'QAK|Q1|OK',
      sch('BKG1^PMSBRIDGE', 'APT-1^PMS', 'Booked'),
      'RGS|1',
    );
    expect(readScheduleQueryResponse(reply, 'BKG1')).toEqual({
      status: 'booked',
      partnerId: 'APT-1',
    });
  });

  it('no data found, no SCH of that placer id, or a cancelled one: undefined', () => {
    expect(readScheduleQueryResponse(queryAnswer('AA', 'QAK|Q1|NF'), 'BKG1')).toBeUndefined();
    expect(
      readScheduleQueryResponse(queryAnswer('AA', 'QAK|Q1|OK', sch('BKG9', 'APT-9', '')), 'BKG1'),
    ).toBeUndefined();
    const cancelled = sch('BKG1', 'APT-1', 'Cancelled');
    expect(
      readScheduleQueryResponse(queryAnswer('AA', 'QAK|Q1|OK', cancelled), 'BKG1'),
    ).toBeUndefined();
  });

  it('a query not answered (AE, QAK AE) throws: the outcome stays unknown', () => {
    expect(() => readScheduleQueryResponse(queryAnswer('AE'), 'BKG1')).toThrow(
      /did not answer the lookup of BKG1 \(AE\)/,
    );
    expect(() => readScheduleQueryResponse(queryAnswer('AA', 'QAK|Q1|AE'), 'BKG1')).toThrow(
      /QAK AE/,
    );
  });
});

describe('readCancellationResponse', () => {
  it('returns on AA, throws on AE with the error code', () => {
    expect(() => readCancellationResponse(answer('AA'), 'BKG1')).not.toThrow();
    const ae = answer('AE', 'ERR||ARQ^1^1|204^Unknown key identifier^HL70357|E');
    expect(() => readCancellationResponse(ae, 'BKG1')).toThrow(
      'The practice-management system did not cancel booking BKG1 (AE: 204 Unknown key identifier at ARQ^1^1)',
    );
  });
});
