import { describe, expect, it } from '@jest/globals';
import { isPmsbridgeError } from '@pmsbridge/core';
import { parseAck } from './ack.js';

const msh = 'MSH|^~\\&|PMS|CLINIC|PMSBRIDGE||20260302150406||ACK^S24^ACK|A1|P|2.5.1';

describe('parseAck', () => {
  it.each([
    ['AA', 'accepted', 'application'],
    ['AE', 'error', 'application'],
    ['AR', 'rejected', 'application'],
    ['CA', 'accepted', 'commit'],
    ['CE', 'error', 'commit'],
    ['CR', 'rejected', 'commit'],
  ] as const)('reads %s as %s at %s level', (code, outcome, level) => {
    const ack = parseAck(`${msh}\rMSA|${code}|5B73B552BA69FD4D2C49\r`);
    expect(ack).toMatchObject({
      code,
      outcome,
      level,
      controlId: '5B73B552BA69FD4D2C49',
      errors: [],
    });
  });

  it('carries the 2.5 ERR code, severity, location and messages, unescaped', () => {
    const ack = parseAck(
      [
        msh,
        'MSA|AE|C1|Record not stored',
        'ERR||STF^1^2^1|101^Required field missing^HL70357|E||||NPI missing for O\\T\\Brien|',
        'ERR|||207^Application internal error^HL70357|W|||db timeout',
      ].join('\r'),
    );
    expect(ack.outcome).toBe('error');
    expect(ack.text).toBe('Record not stored');
    expect(ack.errors).toEqual([
      {
        code: '101',
        codeText: 'Required field missing',
        severity: 'E',
        location: 'STF^1^2^1',
        message: 'NPI missing for O&Brien',
      },
      { code: '207', codeText: 'Application internal error', severity: 'W', message: 'db timeout' },
    ]);
    expect(ack.summary).toBe(
      'AE for C1; Record not stored; 101 Required field missing: NPI missing for O&Brien at STF^1^2^1; 207 Application internal error: db timeout',
    );
  });

  it('carries the 2.3.1 ERR-1 location and code, one error per repetition', () => {
    const ack = parseAck(
      [
        'MSH|^~\\&|PMS||||20260302||ACK|A2|P|2.3.1',
        'MSA|AR|C2|Unsupported version',
        'ERR|MSH^1^12^203&Unsupported version id&HL70357~SCH^1^6^101&Required field missing',
      ].join('\r'),
    );
    expect(ack.outcome).toBe('rejected');
    expect(ack.errors).toEqual([
      { code: '203', codeText: 'Unsupported version id', location: 'MSH^1^12' },
      { code: '101', codeText: 'Required field missing', location: 'SCH^1^6' },
    ]);
  });

  it('reads the MSA of a master file acknowledgment (MFK)', () => {
    const ack = parseAck(
      'MSH|^~\\&|PMS||||20260302||MFK^M01^MFK_M01|A3|P|2.5.1\rMSA|AA|C3\rMFI|STF||UPD|||ER\r',
    );
    expect(ack).toMatchObject({ outcome: 'accepted', controlId: 'C3' });
  });

  it.each([
    ['PID|1', /does not start with an MSH segment/],
    [msh, /has no MSA segment/],
    [`${msh}\rMSA|OK|C1`, /MSA-1 "OK" is not one of AA, AE, AR, CA, CE, CR/],
  ])('refuses %j as not an acknowledgment', (text, why) => {
    let thrown: unknown;
    try {
      parseAck(text);
    } catch (error) {
      thrown = error;
    }
    expect(isPmsbridgeError(thrown)).toBe(true);
    expect(thrown).toMatchObject({ code: 'PMS_REMOTE' });
    expect(String(thrown)).toMatch(why);
  });
});
