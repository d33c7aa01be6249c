import { describe, expect, it, jest } from '@jest/globals';
import { RemoteError } from '@pmsbridge/core';
import { isRecordRejection } from './fhir-transport.js';
import { FhirServerError } from './operation-outcome.js';

type OperationOutcomeModule = typeof import('./operation-outcome.js');

/** The module (and the core it imports) loaded a second time, as a bundled copy would be. */
async function secondCopy(): Promise<OperationOutcomeModule> {
  let copy: OperationOutcomeModule | undefined;
  await jest.isolateModulesAsync(async () => {
    copy = await import('./operation-outcome.js');
  });
  if (copy === undefined) throw new Error('the second copy did not load');
  return copy;
}

const answered = (status: number) => new FhirServerError('refused', { status }, []);

describe('isRecordRejection', () => {
  it('takes a 4xx about the content for a record rejection', () => {
    expect([400, 404, 409, 412, 422].map((status) => isRecordRejection(answered(status)))).toEqual([
      true,
      true,
      true,
      true,
      true,
    ]);
  });

  it('takes credentials, rate limits, timeouts, 5xx and no answer for the server failing', () => {
    expect([401, 403, 407, 408, 429, 500, 503].map((s) => isRecordRejection(answered(s)))).toEqual([
      false,
      false,
      false,
      false,
      false,
      false,
      false,
    ]);
    const noAnswer = new RemoteError(
      'no answer',
      { system: 'fhir' },
      { code: 'PMS_NET_UNREACHABLE' },
    );
    expect(isRecordRejection(noAnswer)).toBe(false);
    expect(isRecordRejection(new Error('HTTP 400'))).toBe(false);
  });

  it('recognises a rejection thrown by another copy of the package', async () => {
    const copy = await secondCopy();
    const foreign = new copy.FhirServerError('refused', { status: 422 }, []);
    expect(foreign instanceof FhirServerError).toBe(false);
    expect(isRecordRejection(foreign)).toBe(true);
  });
});
