import { describe, expect, it } from '@jest/globals';
import { ConfigError } from '../errors/errors.js';
import { checkProviderFields, type ProviderFieldCheck } from './provider-fields.js';

const check = (overrides: Partial<ProviderFieldCheck>): void =>
  checkProviderFields({
    source: 'source (src)',
    delivered: ['name'],
    hasSchedules: false,
    readers: [],
    ...overrides,
  });

describe('checkProviderFields', () => {
  it('accepts any reader when the source delivers every field', () => {
    expect(() =>
      check({
        delivered: undefined,
        hasSchedules: true,
        readers: [{ label: 's', fields: undefined }],
      }),
    ).not.toThrow();
  });

  it('accepts readers of delivered fields, id being always delivered', () => {
    expect(() =>
      check({ readers: [{ label: 'sinks[0] (x)', fields: ['id', 'name'] }] }),
    ).not.toThrow();
  });

  it('names each reader and the fields it misses', () => {
    const run = () =>
      check({
        readers: [
          { label: 'stages[0] (a)', fields: ['npi'] },
          { label: 'sinks[0] (b)', fields: ['name', 'locations', 'npi'] },
        ],
      });
    expect(run).toThrow(ConfigError);
    expect(run).toThrow(
      'source (src) delivers only the provider fields id, name, but stages[0] (a) needs npi; sinks[0] (b) needs locations, npi. Add npi, locations',
    );
  });

  it('takes a reader that declares nothing to read every field', () => {
    expect(() => check({ readers: [{ label: 'sinks[0] (old)', fields: undefined }] })).toThrow(
      /sinks\[0\] \(old\) needs npi, gender, .*updatedAt \(it declares no requiredProviderFields/,
    );
  });

  it('requires status when the source serves schedules', () => {
    expect(() => check({ hasSchedules: true })).toThrow(/the sync engine .* needs status/);
    expect(() => check({ hasSchedules: true, delivered: ['status'] })).not.toThrow();
  });
});
