import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Resource } from '@medplum/fhirtypes';
import type { BulkPublishManifest } from '../bulk-publish-sink.js';

/**
 * Test fixture: reads a publication back from disk through one of its manifests
 * (`$bulk-publish` unless told, e.g. `directory/$bulk-publish`).
 */
export async function readPublication(
  dir: string,
  manifestFile = '$bulk-publish',
): Promise<{
  manifest: BulkPublishManifest;
  files: Map<string, { type: string; lines: string[] }>;
}> {
  const manifest = JSON.parse(
    await readFile(join(dir, manifestFile), 'utf8'),
  ) as BulkPublishManifest;
  const files = new Map<string, { type: string; lines: string[] }>();
  for (const output of manifest.output) {
    const rel = output.url.slice(output.url.indexOf('runs/'));
    const text = await readFile(join(dir, rel), 'utf8');
    files.set(rel, { type: output.type, lines: text.split('\n').slice(0, -1) });
  }
  return { manifest, files };
}

/** Every resource of a publication. */
export function resourcesOf(files: Map<string, { lines: string[] }>): Resource[] {
  return [...files.values()].flatMap((f) => f.lines.map((line) => JSON.parse(line) as Resource));
}

/**
 * Every literal reference of a publication that a resolver must follow:
 * PractitionerRole.practitioner and .location, Schedule.actor, Slot.schedule.
 */
export function referencesOf(resources: readonly Resource[]): string[] {
  return resources
    .flatMap((r) => {
      switch (r.resourceType) {
        case 'PractitionerRole':
          return [r.practitioner?.reference, ...(r.location ?? []).map((l) => l.reference)];
        case 'Schedule':
          return r.actor.map((a) => a.reference);
        case 'Slot':
          return [r.schedule.reference];
        default:
          return [];
      }
    })
    .map((ref) => ref ?? '(missing reference)');
}

/** The references of {@link referencesOf} that name no resource of the publication. */
export function unresolvedReferences(resources: readonly Resource[]): string[] {
  const ids = new Set(resources.map((r) => `${r.resourceType}/${r.id ?? ''}`));
  return referencesOf(resources).filter((ref) => !ids.has(ref));
}

/** One output file of a publication, without what differs between runs (the run id). */
export interface ComparableFile {
  name: string;
  type: string;
  states: string[];
  lines: string[];
}

/**
 * A publication as two runs that published the same data should agree on it: each output
 * file by name, in manifest order, with its type, states and lines. The transaction time
 * and the run directory are left out.
 */
export async function comparablePublication(
  dir: string,
  manifestFile = '$bulk-publish',
): Promise<ComparableFile[]> {
  const { manifest, files } = await readPublication(dir, manifestFile);
  return manifest.output.map((output) => {
    const rel = output.url.slice(output.url.indexOf('runs/'));
    return {
      name: rel.split('/').pop() ?? rel,
      type: output.type,
      states: output.extension?.state ?? [],
      lines: files.get(rel)?.lines ?? [],
    };
  });
}
