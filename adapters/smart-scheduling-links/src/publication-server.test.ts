import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { mkdir, mkdtemp, readFile, rm, symlink, utimes, writeFile } from 'node:fs/promises';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { silentLogger, type Clock, type SyncRecord } from '@pmsbridge/core';
import type { Resource } from '@medplum/fhirtypes';
import { BulkPublishSink, type BulkPublishManifest } from './bulk-publish-sink.js';
import { servePublication, type PublicationServer } from './publication-server.js';
import { buildRecord } from '@pmsbridge/fhir-mapping/testing';

const signal = new AbortController().signal;

/** A GET sent over raw `node:http`, so the path goes out exactly as written (no URL normalisation). */
function rawGet(listenUrl: string, path: string): Promise<{ status: number; body: string }> {
  const { hostname, port } = new URL(listenUrl);
  return new Promise((resolve, reject) => {
    const req = request({ host: hostname, port, path, method: 'GET' }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }),
      );
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

describe('servePublication', () => {
  /** The temp dir; the publication is two levels below it, so traversals have a target. */
  let outer: string;
  let dir: string;
  let server: PublicationServer | undefined;
  beforeEach(async () => {
    outer = await mkdtemp(join(tmpdir(), 'pmsbridge-serve-'));
    dir = join(outer, 'site', 'pub');
    await mkdir(dir, { recursive: true });
  });
  afterEach(async () => {
    await server?.close();
    server = undefined;
    await rm(outer, { recursive: true, force: true });
  });

  async function publish(
    at: string,
    records: SyncRecord[],
    baseUrl?: string,
    includePractitionerRoles = false,
  ): Promise<void> {
    const clock: Clock = { now: () => new Date(at) };
    const sink = new BulkPublishSink(
      {
        outputDir: dir,
        splitBy: 'state',
        mapping: { scheduleActor: 'location' },
        baseUrl,
        includePractitionerRoles,
      },
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
  });

  it('answers 304 to a weak If-None-Match', async () => {
    await publish('2026-12-01T08:00:00.000Z', [buildRecord(1)]);
    server = await servePublication({ dir, port: 0 });
    const response = await fetch(`${server.url}/$bulk-publish`);
    const manifest = (await response.json()) as BulkPublishManifest;
    const weak = `W/${response.headers.get('etag') ?? ''}`;
    const again = await fetch(`${server.url}/$bulk-publish`, {
      headers: { 'if-none-match': `"other", ${weak}` },
    });
    expect(again.status).toBe(304);
    const fileUrl = manifest.output[0]?.url ?? '';
    const fileWeak = `W/${(await fetch(fileUrl)).headers.get('etag') ?? ''}`;
    expect((await fetch(fileUrl, { headers: { 'if-none-match': fileWeak } })).status).toBe(304);
    expect((await fetch(fileUrl, { headers: { 'if-none-match': 'W/"other"' } })).status).toBe(200);
  });

  it('serves the files when the directory is given with a trailing slash', async () => {
    await publish('2026-12-01T08:00:00.000Z', [buildRecord(1)]);
    server = await servePublication({ dir: `${dir}/`, port: 0 });
    const manifest = (await (
      await fetch(`${server.url}/$bulk-publish`)
    ).json()) as BulkPublishManifest;
    expect(manifest.output.length).toBeGreaterThan(0);
    for (const output of manifest.output) expect((await fetch(output.url)).status).toBe(200);
  });

  it('never serves a file outside the directory, however the path is encoded', async () => {
    await publish('2026-12-01T08:00:00.000Z', [buildRecord(1)]);
    // Canaries where the traversals below would land.
    await writeFile(join(outer, 'x.ndjson'), 'SECRET-OUTER\n');
    await writeFile(join(outer, 'site', 'x.ndjson'), 'SECRET-SITE\n');
    server = await servePublication({ dir, port: 0 });
    for (const path of [
      '/%2e%2e/%2e%2e/x.ndjson',
      '/runs/..%2f..%2fx.ndjson',
      '/runs/%2e%2e%2f%2e%2e%2f%2e%2e%2fx.ndjson',
      '/%2e%2e%5cx.ndjson',
      '/..%2fx.ndjson',
      '/%E0%A4%A.ndjson',
    ]) {
      const { status, body } = await rawGet(server.listenUrl, path);
      expect([400, 404]).toContain(status);
      expect(body).not.toMatch(/SECRET/);
    }
    // The raw client really sends what the fetch-based check could not: a sanity check
    // that a legitimate encoded path is decoded and served.
    const manifest = (await (
      await fetch(`${server.url}/$bulk-publish`)
    ).json()) as BulkPublishManifest;
    const rel = new URL(manifest.output[0]?.url ?? '').pathname.replace('/runs/', '/runs%2f');
    expect((await rawGet(server.listenUrl, rel)).status).toBe(200);
  });

  it('serves symlinks only while their real path stays inside the directory', async () => {
    await publish('2026-12-01T08:00:00.000Z', [buildRecord(1)]);
    const manifest = JSON.parse(
      await readFile(join(dir, '$bulk-publish'), 'utf8'),
    ) as BulkPublishManifest;
    const inside = manifest.output[0]?.url ?? '';
    await writeFile(join(outer, 'outside.ndjson'), 'SECRET-OUTSIDE\n');
    await mkdir(join(outer, 'elsewhere'));
    await writeFile(join(outer, 'elsewhere', 'x.ndjson'), 'SECRET-ELSEWHERE\n');
    await symlink('/etc/passwd', join(dir, 'passwd.ndjson'));
    await symlink(join(outer, 'outside.ndjson'), join(dir, 'outside.ndjson'));
    await symlink(join(outer, 'elsewhere'), join(dir, 'elsewhere'));
    await symlink(join(outer, 'elsewhere'), join(dir, 'runs', 'elsewhere'));
    await symlink('/etc', join(dir, 'etc'));
    await symlink(join(dir, inside), join(dir, 'latest.ndjson'));
    await symlink(join(dir, 'runs'), join(dir, 'all-runs'));
    await symlink(join(dir, 'runs'), join(dir, 'runs-dir.ndjson'));
    await symlink(join(dir, 'missing.ndjson'), join(dir, 'dangling.ndjson'));
    server = await servePublication({ dir, port: 0 });
    for (const path of [
      '/passwd.ndjson',
      '/outside.ndjson',
      '/elsewhere/x.ndjson',
      '/runs/elsewhere/x.ndjson',
      '/etc/passwd.ndjson',
      '/runs-dir.ndjson',
      '/dangling.ndjson',
    ]) {
      const { status, body } = await rawGet(server.listenUrl, path);
      expect({ path, status }).toEqual({ path, status: 404 });
      expect(body).not.toMatch(/SECRET|root:/);
    }
    expect((await rawGet(server.listenUrl, '/latest.ndjson')).status).toBe(200);
    expect(
      (await rawGet(server.listenUrl, `/all-runs/${inside.slice('runs/'.length)}`)).status,
    ).toBe(200);
  });

  it('does not serve a manifest that is a symlink out of the directory', async () => {
    await mkdir(join(outer, 'other'));
    await writeFile(
      join(outer, 'other', '$bulk-publish'),
      JSON.stringify({
        transactionTime: '2026-12-01T08:00:00Z',
        request: '',
        output: [],
        error: [],
      }),
    );
    await symlink(join(outer, 'other', '$bulk-publish'), join(dir, '$bulk-publish'));
    server = await servePublication({ dir, port: 0 });
    expect((await fetch(`${server.url}/$bulk-publish`)).status).toBe(404);
  });

  it('serves a directory that is itself reached through a symlink', async () => {
    await publish('2026-12-01T08:00:00.000Z', [buildRecord(1)]);
    await symlink(dir, join(outer, 'current'));
    server = await servePublication({ dir: join(outer, 'current'), port: 0 });
    const manifest = (await (
      await fetch(`${server.url}/$bulk-publish`)
    ).json()) as BulkPublishManifest;
    for (const output of manifest.output) expect((await fetch(output.url)).status).toBe(200);
  });

  it.each(['2020-13-45T99:99:99Z', '2021-02-30T00:00:00Z', '2021-01-01', 'yesterday', ''])(
    'refuses _since=%p with 400',
    async (since) => {
      await publish('2026-12-01T08:00:00.000Z', [buildRecord(1)]);
      server = await servePublication({ dir, port: 0 });
      const response = await fetch(
        `${server.url}/$bulk-publish?_since=${encodeURIComponent(since)}`,
      );
      expect(response.status).toBe(400);
      expect(((await response.json()) as { error: string }).error).toMatch(/_since/);
    },
  );

  it('makes every manifest URL absolute against --base-url, whatever base the files were written with', async () => {
    await publish(
      '2026-12-01T08:00:00.000Z',
      [buildRecord(1), buildRecord(2)],
      'http://localhost:8080',
    );
    server = await servePublication({ dir, port: 0, baseUrl: 'https://pub.example/ssl/' });
    const manifest = (await (
      await fetch(`${server.listenUrl}/$bulk-publish`)
    ).json()) as BulkPublishManifest;
    expect(manifest.request).toBe('https://pub.example/ssl/$bulk-publish');
    expect(manifest.output.length).toBeGreaterThan(0);
    for (const output of manifest.output) {
      expect(output.url).toMatch(/^https:\/\/pub\.example\/ssl\/runs\/[^/]+\/[^/]+\.ndjson$/);
      const path = output.url.slice('https://pub.example/ssl'.length);
      expect((await fetch(`${server.listenUrl}${path}`)).status).toBe(200);
    }
    const since = (await (
      await fetch(`${server.listenUrl}/$bulk-publish?_since=2026-11-30T00:00:00Z`)
    ).json()) as BulkPublishManifest;
    expect(since.output.map((o) => o.url)).toEqual(manifest.output.map((o) => o.url));
  });

  it('without a base URL, makes manifest URLs absolute against the host the client asked', async () => {
    await publish('2026-12-01T08:00:00.000Z', [buildRecord(1)], 'http://localhost:8080');
    server = await servePublication({ dir, port: 0 });
    const port = new URL(server.listenUrl).port;
    const manifest = (await (
      await fetch(`http://localhost:${port}/$bulk-publish`)
    ).json()) as BulkPublishManifest;
    expect(manifest.request).toBe(`http://localhost:${port}/$bulk-publish`);
    for (const output of manifest.output) {
      expect(output.url.startsWith(`http://localhost:${port}/runs/`)).toBe(true);
      expect((await fetch(output.url)).status).toBe(200);
    }
  });

  it('answers If-Modified-Since with 304 until the publication changes', async () => {
    await publish('2026-12-01T08:00:00.000Z', [buildRecord(1)]);
    // Written an hour ago, so the next publication is later to the second without waiting.
    const anHourAgo = new Date(Date.now() - 3600_000);
    await utimes(join(dir, '$bulk-publish'), anHourAgo, anHourAgo);
    server = await servePublication({ dir, port: 0 });
    const first = await fetch(`${server.url}/$bulk-publish`);
    const lastModified = first.headers.get('last-modified') ?? '';
    expect(lastModified).not.toBe('');
    const manifest = (await first.json()) as BulkPublishManifest;
    const ims = (value: string) => ({ headers: { 'if-modified-since': value } });
    expect((await fetch(`${server.url}/$bulk-publish`, ims(lastModified))).status).toBe(304);
    expect((await fetch(`${server.url}/$bulk-publish`, ims('not a date'))).status).toBe(200);
    const earlier = new Date(Date.parse(lastModified) - 1000).toUTCString();
    expect((await fetch(`${server.url}/$bulk-publish`, ims(earlier))).status).toBe(200);
    // If-None-Match wins over If-Modified-Since (RFC 9110 §13.2.2).
    const both = { headers: { 'if-modified-since': lastModified, 'if-none-match': '"other"' } };
    expect((await fetch(`${server.url}/$bulk-publish`, both)).status).toBe(200);

    const fileUrl = manifest.output[0]?.url ?? '';
    const fileModified = (await fetch(fileUrl)).headers.get('last-modified') ?? '';
    expect((await fetch(fileUrl, ims(fileModified))).status).toBe(304);

    await publish('2026-12-01T09:00:00.000Z', [buildRecord(1), buildRecord(2)]);
    expect((await fetch(`${server.url}/$bulk-publish`, ims(lastModified))).status).toBe(200);
  });

  it('serves the directory manifest, when published, with the same URL rules', async () => {
    await publish('2026-12-01T08:00:00.000Z', [buildRecord(1)], 'http://localhost:8080', true);
    server = await servePublication({ dir, port: 0, baseUrl: 'https://pub.example/ssl' });
    const get = async (path: string) =>
      (await (await fetch(`${server?.listenUrl ?? ''}${path}`)).json()) as BulkPublishManifest;
    const directory = await get('/directory/$bulk-publish');
    expect(directory.request).toBe('https://pub.example/ssl/directory/$bulk-publish');
    expect(new Set(directory.output.map((o) => o.type))).toEqual(
      new Set(['Location', 'Practitioner', 'PractitionerRole', 'Schedule', 'Slot']),
    );
    for (const output of directory.output) {
      expect(output.url).toMatch(/^https:\/\/pub\.example\/ssl\/runs\/[^/]+\/[^/]+\.ndjson$/);
      const path = output.url.slice('https://pub.example/ssl'.length);
      expect((await fetch(`${server.listenUrl}${path}`)).status).toBe(200);
    }
    const specification = await get('/$bulk-publish');
    expect(new Set(specification.output.map((o) => o.type))).toEqual(
      new Set(['Location', 'Schedule', 'Slot']),
    );
    const since = await get('/directory/$bulk-publish?_since=2026-11-30T00:00:00Z');
    expect(since.output).toEqual(directory.output);
    expect(
      (await fetch(`${server.listenUrl}/directory/$bulk-publish?_since=2020-13-45T99:99:99Z`))
        .status,
    ).toBe(400);
  });

  it('answers 404 for the directory manifest when directory resources are not published', async () => {
    await publish('2026-12-01T08:00:00.000Z', [buildRecord(1)]);
    server = await servePublication({ dir, port: 0 });
    expect((await fetch(`${server.url}/directory/$bulk-publish`)).status).toBe(404);
  });

  it('lists only files that changed after _since', async () => {
    await publish('2026-12-01T08:00:00.000Z', [buildRecord(1), buildRecord(2)], undefined, true);
    const changed = buildRecord(2);
    changed.provider.acceptingNewPatients = !changed.provider.acceptingNewPatients;
    const second: SyncRecord[] = [buildRecord(1), changed];
    await publish('2026-12-01T09:00:00.000Z', second, undefined, true);
    const directory = '/directory/$bulk-publish';
    const full = await getManifest(dir, undefined, directory);
    const since = await getManifest(dir, '2026-12-01T08:00:00.000Z', directory);
    expect(full.output.length).toBeGreaterThan(since.output.length);
    expect(since.output.map((o) => o.type)).toEqual(['PractitionerRole']);
    expect(since.output[0]?.url.startsWith('https://pub.example/ssl/runs/')).toBe(true);
    expect(since.request).toBe(
      'https://pub.example/ssl/directory/$bulk-publish?_since=2026-12-01T08%3A00%3A00.000Z',
    );
    // Nothing the specification's manifest lists changed.
    expect((await getManifest(dir, '2026-12-01T08:00:00.000Z')).output).toEqual([]);
    expect((await getManifest(dir, '2026-12-01T07:00:00.000Z')).output.length).toBeGreaterThan(0);
  });
});

/** The manifest served by a fresh server on a free port (`_since` optional). */
async function getManifest(
  dir: string,
  since?: string,
  path = '/$bulk-publish',
): Promise<BulkPublishManifest> {
  const server = await servePublication({ dir, port: 0, baseUrl: 'https://pub.example/ssl' });
  try {
    const query = since === undefined ? '' : `?_since=${encodeURIComponent(since)}`;
    return (await (
      await fetch(`${server.listenUrl}${path}${query}`)
    ).json()) as BulkPublishManifest;
  } finally {
    await server.close();
  }
}
