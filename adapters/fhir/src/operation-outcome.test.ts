import { describe, expect, it } from '@jest/globals';
import { isPmsbridgeError } from '@pmsbridge/core';
import { FhirServerError } from './operation-outcome.js';

describe('FhirServerError', () => {
  const at = (status: number) =>
    new FhirServerError(`FHIR server answered POST / with HTTP ${status}`, { status }, []);

  it.each([
    [400, 'PMS_FHIR_REJECTED', 'PMS_REMOTE'],
    [422, 'PMS_FHIR_REJECTED', 'PMS_REMOTE'],
    [401, 'PMS_FHIR_AUTH_REFUSED', 'PMS_AUTH'],
    [403, 'PMS_FHIR_AUTH_REFUSED', 'PMS_AUTH'],
    [429, 'PMS_FHIR_RATE_LIMITED', 'PMS_RATE_LIMITED'],
    [500, 'PMS_FHIR_UNAVAILABLE', 'PMS_REMOTE'],
    [503, 'PMS_FHIR_UNAVAILABLE', 'PMS_REMOTE'],
  ])('files HTTP %i as %s (category %s)', (status, code, category) => {
    const error = at(status);
    expect(error).toMatchObject({ code, category, status });
    expect(isPmsbridgeError(error)).toBe(true);
  });
});
