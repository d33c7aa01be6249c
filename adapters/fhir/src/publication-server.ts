import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { isAbsolute, join, relative, resolve, sep } from 'node:path';
import type { BulkPublishManifest, PublicationIndex } from './bulk-publish-sink.js';
import { MANIFEST_FILE, PUBLICATION_INDEX_FILE } from './bulk-publish-sink.js';

/** Options of {@link servePublication}. */
export interface ServePublicationOptions {
  /** The publication directory a {@link BulkPublishSink} writes. */
  dir: string;
  /** TCP port; 0 picks a free one. */
  port: number;
  /** Interface to listen on. Default `127.0.0.1`. */
  host?: string;
  /** Public base URL (manifest and file URLs are made absolute with it). Default: the listening address. */
  baseUrl?: string;
  /** `Cache-Control: max-age` in seconds (the polling interval clients should use). Default 300. */
  maxAgeSeconds?: number;
}

/** A running publication server. */
export interface PublicationServer {
  /** Public base URL; the manifest is at `${url}/$bulk-publish`. */
  url: string;
  /** The address actually listened on, e.g. `http://127.0.0.1:41234`. */
  listenUrl: string;
  close(): Promise<void>;
}

const INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;

async function readJson<T>(path: string): Promise<T | undefined> {
  try {
    return JSON.parse(await readFile(path, 'utf8')) as T;
  } catch {
    return undefined;
  }
}

function absolute(base: string, url: string): string {
  return /^https?:\/\//.test(url) ? url : `${base}/${url.replace(/^\/+/, '')}`;
}

/**
 * The manifest as served: absolute URLs against `base`, `request` the URL asked for, and
 * with `_since` only the files whose content changed after it (from the publication index).
 */
export function manifestFor(
  manifest: BulkPublishManifest,
  index: PublicationIndex | undefined,
  base: string,
  since: string | undefined,
): BulkPublishManifest {
  const sinceMs = since === undefined ? undefined : Date.parse(since);
  const output = manifest.output.filter((o) => {
    if (sinceMs === undefined) return true;
    const modified = index?.files[o.url]?.modified;
    return modified === undefined || Date.parse(modified) > sinceMs;
  });
  const request = `${base}/${MANIFEST_FILE}${since === undefined ? '' : `?_since=${encodeURIComponent(since)}`}`;
  return {
    ...manifest,
    request,
    output: output.map((o) => ({ ...o, url: absolute(base, o.url) })),
  };
}

/** `W/"x"` → `"x"`: `If-None-Match` uses the weak comparison (RFC 9110 §13.1.2). */
function opaqueTag(tag: string): string {
  const trimmed = tag.trim();
  return trimmed.startsWith('W/') ? trimmed.slice(2) : trimmed;
}

function notModified(req: IncomingMessage, etag: string): boolean {
  const header = req.headers['if-none-match'];
  if (header === undefined) return false;
  const ours = opaqueTag(etag);
  return header.split(',').some((tag) => tag.trim() === '*' || opaqueTag(tag) === ours);
}

/**
 * The file under `root` that a decoded request path names, or undefined when the path
 * leaves `root` (`..` segments, encoded or not) or names `root` itself.
 */
function fileUnder(root: string, path: string): string | undefined {
  const file = resolve(root, `.${sep}${path}`);
  const rel = relative(root, file);
  if (rel === '' || rel === '..' || rel.startsWith(`..${sep}`) || isAbsolute(rel)) return undefined;
  return file;
}

function fail(res: ServerResponse, status: number, message: string): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify({ error: message }));
}

/**
 * Serves a SMART Scheduling Links publication: `GET /$bulk-publish` (JSON, `_since`
 * honoured) and the NDJSON files (`application/fhir+ndjson`), with
 * `Cache-Control: max-age`, `ETag` and `304 Not Modified`.
 */
export async function servePublication(
  options: ServePublicationOptions,
): Promise<PublicationServer> {
  const maxAge = options.maxAgeSeconds ?? 300;
  // Resolved, so `pub/` and `pub` (and relative dirs) contain the same files.
  const root = resolve(options.dir);
  let base = options.baseUrl?.replace(/\/+$/, '') ?? '';

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (req.method !== 'GET' && req.method !== 'HEAD') return fail(res, 405, 'method not allowed');
    const url = new URL(req.url ?? '/', 'http://local');
    let path: string;
    try {
      path = decodeURIComponent(url.pathname);
    } catch {
      return fail(res, 400, 'malformed path');
    }
    if (path.includes('\0')) return fail(res, 400, 'malformed path');
    const cache = `public, max-age=${maxAge}`;
    if (path === `/${MANIFEST_FILE}`) {
      const since = url.searchParams.get('_since') ?? undefined;
      if (since !== undefined && !INSTANT.test(since))
        return fail(res, 400, '_since must be a FHIR instant');
      const manifest = await readJson<BulkPublishManifest>(join(root, MANIFEST_FILE));
      if (manifest === undefined) return fail(res, 404, 'nothing published yet');
      const index = await readJson<PublicationIndex>(join(root, PUBLICATION_INDEX_FILE));
      const body = JSON.stringify(manifestFor(manifest, index, base, since));
      const etag = `"${createHash('sha256').update(body).digest('base64url').slice(0, 27)}"`;
      const headers = {
        etag,
        'cache-control': cache,
        'last-modified': new Date(manifest.transactionTime).toUTCString(),
      };
      if (notModified(req, etag)) {
        res.writeHead(304, headers);
        return void res.end();
      }
      res.writeHead(200, { ...headers, 'content-type': 'application/json; charset=utf-8' });
      return void res.end(req.method === 'HEAD' ? undefined : body);
    }
    const file = fileUnder(root, path);
    if (file === undefined || !file.endsWith('.ndjson')) return fail(res, 404, 'not found');
    const info = await stat(file).catch(() => undefined);
    if (info === undefined || !info.isFile()) return fail(res, 404, 'not found');
    // Files of a run never change after its manifest is written: size + mtime identify them.
    const etag = `"${info.size.toString(36)}-${Math.floor(info.mtimeMs).toString(36)}"`;
    const headers = { etag, 'cache-control': cache, 'last-modified': info.mtime.toUTCString() };
    if (notModified(req, etag)) {
      res.writeHead(304, headers);
      return void res.end();
    }
    res.writeHead(200, {
      ...headers,
      'content-type': 'application/fhir+ndjson',
      'content-length': info.size,
    });
    if (req.method === 'HEAD') return void res.end();
    createReadStream(file)
      .on('error', () => res.destroy())
      .pipe(res);
  }

  const server = createServer((req, res) => {
    handle(req, res).catch(() => {
      if (!res.headersSent) fail(res, 500, 'internal error');
      else res.destroy();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host ?? '127.0.0.1', () => resolve());
  });
  const address = server.address() as AddressInfo;
  const url = `http://${address.family === 'IPv6' ? `[${address.address}]` : address.address}:${address.port}`;
  if (base === '') base = url;
  return {
    url: base,
    listenUrl: url,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeIdleConnections();
      }),
  };
}
