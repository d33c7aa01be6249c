import { ValidationError, type Stage, type SyncRecord } from '@pmsbridge/core';
import { isValidNpi } from './npi.js';

/**
 * Dead-letters providers whose NPI fails the check digit (the engine stores the record with
 * this stage's error as the reason). Deactivations pass through untouched.
 */
export class NpiValidationStage implements Stage {
  constructor(readonly name: string) {}

  process(record: SyncRecord): SyncRecord {
    if (record.kind === 'provider' && !isValidNpi(record.provider.npi)) {
      throw new ValidationError(
        `npi: "${record.provider.npi}" fails the NPI check digit`,
        { providerId: record.provider.id },
        'PMS_NPI_INVALID',
      );
    }
    return record;
  }
}
