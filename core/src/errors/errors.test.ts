import { describe, expect, it, jest } from '@jest/globals';
import {
  ConfigError,
  ErrorCategory,
  ErrorCode,
  PmsbridgeError,
  RemoteError,
  StateError,
  ValidationError,
  describeError,
  errorCategoryOf,
  errorCodes,
  exitCodeOf,
  hasErrorCategory,
  isPmsbridgeError,
  pmsbridgeErrorBrand,
} from './errors.js';

type ErrorsModule = typeof import('./errors.js');

/** The errors module loaded a second time, as a second copy of @pmsbridge/core would be. */
async function secondCopy(): Promise<ErrorsModule> {
  let copy: ErrorsModule | undefined;
  await jest.isolateModulesAsync(async () => {
    copy = await import('./errors.js');
  });
  if (copy === undefined) throw new Error('the second copy did not load');
  return copy;
}

describe('isPmsbridgeError', () => {
  it('recognises an error thrown by a second copy of the package, which instanceof does not', async () => {
    const copy = await secondCopy();
    expect(copy.PmsbridgeError).not.toBe(PmsbridgeError);
    const foreign = new copy.StateError('the state store is closed', undefined, 'PMS_STATE_CLOSED');
    expect(foreign instanceof PmsbridgeError).toBe(false);
    expect(isPmsbridgeError(foreign)).toBe(true);
    expect(hasErrorCategory(foreign, ErrorCategory.State)).toBe(true);
    expect(copy.isPmsbridgeError(new ConfigError('bad'))).toBe(true);
  });

  it('recognises a plain object carrying the brand and a code', () => {
    const branded = { [Symbol.for('pmsbridge.error')]: true, code: 'PMS_FHIR_REJECTED' };
    expect(isPmsbridgeError(branded)).toBe(true);
    expect(hasErrorCategory(branded, ErrorCategory.Remote)).toBe(true);
  });

  it('rejects errors and objects without the brand, even with a pmsbridge code', () => {
    expect(isPmsbridgeError(Object.assign(new Error('x'), { code: 'PMS_CONFIG' }))).toBe(false);
    expect(isPmsbridgeError({ code: 'PMS_CONFIG', message: 'x' })).toBe(false);
    expect(isPmsbridgeError({ [pmsbridgeErrorBrand]: true })).toBe(false);
    expect(isPmsbridgeError(null)).toBe(false);
    expect(isPmsbridgeError('PMS_CONFIG')).toBe(false);
  });

  it('keeps the brand off copies of an error, so a spread or JSON copy is only data', () => {
    const error = new ConfigError('bad', { code: 'PMS_CONFIG_INVALID' });
    expect(isPmsbridgeError(error)).toBe(true);
    expect(isPmsbridgeError({ ...error })).toBe(false);
    expect(isPmsbridgeError(JSON.parse(JSON.stringify(error)))).toBe(false);
  });
});

describe('codes and categories', () => {
  it('gives each error its code and the category of that code', () => {
    const error = new ConfigError('sync.batchsize: unknown key', {
      code: ErrorCode.ConfigUnknownKey,
    });
    expect(error).toMatchObject({ code: 'PMS_CONFIG_UNKNOWN_KEY', category: 'PMS_CONFIG' });
    expect(error.toJSON()).toMatchObject({
      code: 'PMS_CONFIG_UNKNOWN_KEY',
      category: 'PMS_CONFIG',
      message: 'sync.batchsize: unknown key',
    });
    expect(new StateError('held', undefined, 'PMS_STATE_LEASE_HELD').category).toBe('PMS_STATE');
    expect(new ValidationError('bad npi', {}, 'PMS_NPI_INVALID').category).toBe('PMS_VALIDATION');
    const unavailable = new RemoteError(
      'HTTP 503',
      { system: 'fhir', status: 503 },
      {
        code: ErrorCode.FhirUnavailable,
      },
    );
    expect(unavailable.category).toBe('PMS_REMOTE');
  });

  it('keeps the codes of before as codes, each its own category', () => {
    for (const category of Object.values(ErrorCategory)) {
      expect(errorCodes).toContain(category);
      expect(errorCategoryOf(category)).toBe(category);
    }
    expect(new ConfigError('bad').code).toBe('PMS_CONFIG');
  });

  it('names every code PMS_ and puts it in a category', () => {
    for (const code of errorCodes) {
      expect(code).toMatch(/^PMS_[A-Z_]+$/);
      expect(Object.values(ErrorCategory)).toContain(errorCategoryOf(code));
    }
    expect(new Set(Object.values(ErrorCode))).toEqual(new Set(errorCodes));
  });

  it('files a code it does not know as PMS_UNEXPECTED, exit code 1', () => {
    expect(errorCategoryOf('PMS_FROM_A_NEWER_VERSION')).toBe('PMS_UNEXPECTED');
    expect(exitCodeOf('PMS_FROM_A_NEWER_VERSION')).toBe(1);
  });

  it('exits 2 for config, usage and plugin problems and 1 for a failed run', () => {
    expect(exitCodeOf('PMS_CONFIG_UNKNOWN_KEY')).toBe(2);
    expect(exitCodeOf('PMS_CLI_USAGE')).toBe(2);
    expect(exitCodeOf('PMS_PLUGIN_NOT_FOUND')).toBe(2);
    expect(exitCodeOf('PMS_FHIR_UNAVAILABLE')).toBe(1);
    expect(exitCodeOf('PMS_STATE_DAMAGED')).toBe(1);
    expect(exitCodeOf('PMS_DEAD_LETTER_THRESHOLD')).toBe(1);
  });
});

describe('describeError', () => {
  it('keeps the code and details of an error from a second copy of the package', async () => {
    const copy = await secondCopy();
    const foreign = new copy.ValidationError('npi: bad', { providerId: 'p1' }, 'PMS_NPI_INVALID');
    expect(describeError(foreign)).toEqual({
      code: 'PMS_NPI_INVALID',
      message: 'npi: bad',
      details: { providerId: 'p1' },
    });
  });

  it('keeps a known code carried by an unbranded Error, and files others as PMS_UNEXPECTED', () => {
    const older = Object.assign(new Error('HTTP 503'), { code: 'PMS_REMOTE' });
    expect(describeError(older)).toEqual({ code: 'PMS_REMOTE', message: 'HTTP 503' });
    const system = Object.assign(new Error('no space left'), { code: 'ENOSPC' });
    expect(describeError(system)).toEqual({ code: 'PMS_UNEXPECTED', message: 'no space left' });
    expect(describeError('boom')).toEqual({ code: 'PMS_UNEXPECTED', message: 'boom' });
  });
});
