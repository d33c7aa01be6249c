import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { silentLogger, type Clock, type SyncRecord } from '@pmsbridge/core';
import type { Resource } from '@medplum/fhirtypes';
import { BulkPublishSink, type BulkPublishManifest } from './bulk-publish-sink.js';
import { servePublication, type PublicationServer } from './publication-server.js';
import { buildRecord } from './testing/population.js';

const signal = new AbortController().signal;

describe('servePublication', () => {
  let dir: string;
  let server: PublicationServer | undefined;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'pmsbridge-serve-'));
  });
  afterEach(async () => {
    await server?.close();
    server = undefined;
    await rm(dir, { recursive: true, force: true });
  });

  async function publish(at: string, records: SyncRecord[]): Promise<void> {
    const clock: Clock = { now: () => new Date(at) };
    const sink = new BulkPublishSink(
      { outputDir: dir, splitBy: 'state', mapping: { scheduleActor: 'location' } },
      clock,
      silentLogger,
    );
    await sink.open({ dryRun: false, mode: 'full', signal });
    await sink.write(records, signal);
    await sink.close({ completed: true });
  }

  it('serves the manifest and NDJSON files with content types, max-age, ETag and 304', async () => {
    await publish('2026-12-01T08:00:00.000Z', [buildRecord(1), buildRecord(2), buildRecord(3)]);
    server = await servePublication({ dir, port: 0, maxAgeSeconds: 120 });
    const response = await fetch(`${server.url}/$bulk-publish`, {
      headers: { accept: 'application/json' },
    });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^application\/json/);
    expect(response.headers.get('cache-control')).toMatch(/max-age=120/);
    const manifest = (await response.json()) as BulkPublishManifest;
    expect(manifest.request).toBe(`${server.url}/$bulk-publish`);
    const ids = new Set<string>();
    const refs: string[] = [];
    for (const output of manifest.output) {
      expect(output.url.startsWith(`${server.url}/runs/`)).toBe(true);
      const file = await fetch(output.url, { headers: { accept: 'application/fhir+ndjson' } });
      expect(file.status).toBe(200);
      expect(file.headers.get('content-type')).toBe('application/fhir+ndjson');
      const text = await file.text();
      expect(text.endsWith('\n')).toBe(true);
      for (const line of text.slice(0, -1).split('\n')) {
        const resource = JSON.parse(line) as Resource & { schedule?: { reference?: string } };
        expect(resource.resourceType).toBe(output.type);
        ids.add(`${resource.resourceType}/${resource.id}`);
        if (resource.schedule?.reference) refs.push(resource.schedule.reference);
      }
    }
    expect(refs.length).toBeGreaterThan(0);
    for (const ref of refs) expect(ids.has(ref)).toBe(true);

    const etag = response.headers.get('etag') ?? '';
    const again = await fetch(`${server.url}/$bulk-publish`, {
      headers: { 'if-none-match': etag },
    });
    expect(again.status).toBe(304);
    const firstFile = manifest.output[0]?.url ?? '';
    const fileEtag = (await fetch(firstFile)).headers.get('etag') ?? '';
    expect((await fetch(firstFile, { headers: { 'if-none-match': fileEtag } })).status).toBe(304);
    expect((await fetch(`${server.url}/../../etc/passwd`)).status).toBe(404);
  });

  it('lists only files that changed after _since', async () => {
    await publish('2026-12-01T08:00:00.000Z', [buildRecord(1), buildRecord(2)]);
    const changed = buildRecord(2);
    changed.provider.accepting_new_patients = !changed.provider.accepting_new_patients;
    const second: SyncRecord[] = [buildRecord(1), changed];
    await publish('2026-12-01T09:00:00.000Z', second);
    const full = await getManifest(dir);
    const since = await getManifest(dir, '2026-12-01T08:00:00.000Z');
    expect(full.output.length).toBeGreaterThan(since.output.length);
    expect(since.output.map((o) => o.type)).toEqual(['PractitionerRole']);
    expect(since.output[0]?.url.startsWith('https://pub.example/ssl/runs/')).toBe(true);
    expect(since.request).toBe(
      'https://pub.example/ssl/$bulk-publish?_since=2026-12-01T08%3A00%3A00.000Z',
    );
  });
});

/** The manifest served by a fresh server on a free port (`_since` optional). */
async function getManifest(dir: string, since?: string): Promise<BulkPublishManifest> {
  const server = await servePublication({ dir, port: 0, baseUrl: 'https://pub.example/ssl' });
  try {
    const query = since === undefined ? '' : `?_since=${encodeURIComponent(since)}`;
    return (await (
      await fetch(`${server.listenUrl}/$bulk-publish${query}`)
    ).json()) as BulkPublishManifest;
  } finally {
    await server.close();
  }
}
