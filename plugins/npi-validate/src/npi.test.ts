import { describe, expect, it } from '@jest/globals';
import { isValidNpi } from './npi.js';
import { NpiValidationStage } from './npi-validation-stage.js';
import plugin from './index.js';

describe('isValidNpi', () => {
  it('accepts NPIs with a correct check digit', () => {
    // 1234567893 is the example NPI in the CMS check-digit specification.
    expect(isValidNpi('1234567893')).toBe(true);
    expect(isValidNpi('1245319599')).toBe(true);
  });

  it('rejects a wrong check digit, wrong length or non-digits', () => {
    expect(isValidNpi('1234567890')).toBe(false);
    expect(isValidNpi('123456789')).toBe(false);
    expect(isValidNpi('12345678AB')).toBe(false);
  });
});

describe('NpiValidationStage', () => {
  const provider = {
    id: 'PRV0000000001',
    npi: '1234567893',
    name: { first: 'Test', last: 'Smith' },
    specialties: ['cardiology'],
    acceptingNewPatients: true,
    status: 'active' as const,
    updatedAt: '2026-11-01T00:00:00Z',
  };
  const window = { startDate: '2026-12-01', endDate: '2026-12-14' };

  it('passes valid providers and throws a validation error naming the NPI otherwise', () => {
    const stage = new NpiValidationStage('npi');
    const record = { kind: 'provider' as const, provider, window, slots: [] };
    expect(stage.process(record)).toBe(record);
    expect(() =>
      stage.process({ ...record, provider: { ...provider, npi: '1234567890' } }),
    ).toThrow(/npi: "1234567890" fails the NPI check digit/);
  });

  it('files a bad check digit as PMS_NPI_INVALID, a record-level validation failure', () => {
    const stage = new NpiValidationStage('npi');
    const record = { kind: 'provider' as const, provider: { ...provider, npi: '1234567890' } };
    expect(() => stage.process({ ...record, window, slots: [] })).toThrow(
      expect.objectContaining({ code: 'PMS_NPI_INVALID', category: 'PMS_VALIDATION' }),
    );
  });

  it('rejects options it does not know', () => {
    expect(plugin.options.safeParse({ strict: true }).success).toBe(false);
  });
});
