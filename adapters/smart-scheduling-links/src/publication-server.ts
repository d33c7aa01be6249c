import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { pipeline } from 'node:stream';
import { answerOperationsRequest, prepareGracefulClose, type Metrics } from '@pmsbridge/core';
import { PUBLICATION_INDEX_FILE, type PublicationIndex } from './bulk-publish-sink.js';
import {
  DIRECTORY_MANIFEST_FILE,
  MANIFEST_FILE,
  type BulkPublishManifest,
} from './publication-manifest.js';
import { isNotModified, type Validators } from './conditional-request.js';
import { parseInstant } from './fhir-instant.js';
import { openServedFile } from './served-file.js';

/** Options of {@link servePublication}. */
export interface ServePublicationOptions {
  /** The publication directory a {@link BulkPublishSink} writes. */
  dir: string;
  /** TCP port; 0 picks a free one. */
  port: number;
  /** Interface to listen on. Default `127.0.0.1`. */
  host?: string;
  /**
   * Public base URL: every URL of a served manifest is made absolute with it. Default: the
   * URL each request was sent to (its `Host` header), else the listening address.
   */
  baseUrl?: string;
  /** `Cache-Control: max-age` in seconds (the polling interval clients should use). Default 300. */
  maxAgeSeconds?: number;
  /** Served at `GET /metrics`; `/healthz` and `/readyz` are answered either way. */
  metrics?: Metrics;
}

/** A running publication server. */
export interface PublicationServer {
  /** Public base URL; the manifest is at `${url}/$bulk-publish`. */
  url: string;
  /** The address actually listened on, e.g. `http://127.0.0.1:41234`. */
  listenUrl: string;
  /**
   * Stops accepting connections (`/readyz` answers 503 from now on) and resolves once the
   * requests under way, downloads included, have finished.
   */
  close(): Promise<void>;
}

/**
 * The path of an output file inside the publication, whatever base URL the manifest was
 * written with: the part after the written base (the manifest's `request` without
 * `$bulk-publish`), or after `runs/`, or the URL itself when it is relative.
 */
function publicationPath(writtenBase: string, url: string): string {
  if (!/^https?:\/\//.test(url)) return url.replace(/^\/+/, '');
  if (writtenBase !== '' && url.startsWith(writtenBase)) return url.slice(writtenBase.length);
  const at = url.indexOf('/runs/');
  return at < 0 ? new URL(url).pathname.replace(/^\/+/, '') : url.slice(at + 1);
}

/**
 * The manifest as served: every URL absolute against `base` (whatever base URL the files
 * were written with), `request` the URL asked for, and with `_since` only the files whose
 * content changed after it (from the publication index). `path` is where the manifest is
 * served, `$bulk-publish` or `directory/$bulk-publish`. Throws a `RangeError` when `since`
 * is not a FHIR instant.
 */
export function manifestFor(
  manifest: BulkPublishManifest,
  index: PublicationIndex | undefined,
  base: string,
  since: string | undefined,
  path: string = MANIFEST_FILE,
): BulkPublishManifest {
  const sinceMs = since === undefined ? undefined : parseInstant(since);
  if (since !== undefined && sinceMs === undefined)
    throw new RangeError(`_since is not a FHIR instant: ${JSON.stringify(since)}`);
  const output = manifest.output.filter((o) => {
    if (sinceMs === undefined) return true;
    const modified = index?.files[o.url]?.modified;
    return modified === undefined || Date.parse(modified) > sinceMs;
  });
  const writtenBase = manifest.request.endsWith(path)
    ? manifest.request.slice(0, -path.length)
    : '';
  const query = since === undefined ? '' : `?_since=${encodeURIComponent(since)}`;
  return {
    ...manifest,
    request: `${base}/${path}${query}`,
    output: output.map((o) => ({ ...o, url: `${base}/${publicationPath(writtenBase, o.url)}` })),
  };
}

/** Where manifests are served: the specification's and, when published, the directory's. */
const MANIFEST_PATHS = new Set([`/${MANIFEST_FILE}`, `/${DIRECTORY_MANIFEST_FILE}`]);

function fail(res: ServerResponse, status: number, message: string): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify({ error: message }));
}

/** `host[:port]` or `[v6]:port`, nothing that could smuggle a path or a scheme into a URL. */
const HOST_HEADER = /^(?:[A-Za-z0-9.-]+|\[[0-9A-Fa-f:.]+\])(?::\d{1,5})?$/;

/** The base URL a request was sent to, from its `Host` header, or `fallback`. */
function requestBase(req: IncomingMessage, fallback: string): string {
  const host = req.headers.host;
  return host !== undefined && HOST_HEADER.test(host) ? `http://${host}` : fallback;
}

async function readJsonUnder<T>(root: string, name: string): Promise<T | undefined> {
  const file = await openServedFile(root, name);
  if (file === undefined) return undefined;
  try {
    return JSON.parse(await file.handle.readFile('utf8')) as T;
  } finally {
    await file.handle.close();
  }
}

/**
 * Serves a SMART Scheduling Links publication: `GET /$bulk-publish` and, when the
 * publication has one, `GET /directory/$bulk-publish` (JSON, `_since` honoured), and the
 * NDJSON files (`application/fhir+ndjson`), with
 * `Cache-Control: max-age`, `ETag`, `Last-Modified` and `304 Not Modified`. Only regular
 * files whose real path is inside the real path of the directory are served.
 */
export async function servePublication(
  options: ServePublicationOptions,
): Promise<PublicationServer> {
  const maxAge = options.maxAgeSeconds ?? 300;
  const root = options.dir;
  const configuredBase = options.baseUrl?.replace(/\/+$/, '');
  let listenUrl = '';

  function answer(
    req: IncomingMessage,
    res: ServerResponse,
    validators: Validators,
    contentHeaders: Record<string, string | number>,
  ): boolean {
    const headers = {
      etag: validators.etag,
      'cache-control': `public, max-age=${maxAge}`,
      'last-modified': validators.lastModified.toUTCString(),
    };
    if (isNotModified(req.headers, validators)) {
      res.writeHead(304, headers);
      res.end();
      return false;
    }
    res.writeHead(200, { ...headers, ...contentHeaders });
    if (req.method === 'HEAD') res.end();
    return req.method !== 'HEAD';
  }

  async function serveManifest(req: IncomingMessage, res: ServerResponse, url: URL, path: string) {
    const since = url.searchParams.get('_since') ?? undefined;
    if (since !== undefined && parseInstant(since) === undefined)
      return fail(res, 400, '_since must be a FHIR instant, e.g. 2026-01-01T00:00:00Z');
    const file = await openServedFile(root, path);
    if (file === undefined) return fail(res, 404, 'nothing published yet');
    let manifest: BulkPublishManifest;
    try {
      manifest = JSON.parse(await file.handle.readFile('utf8')) as BulkPublishManifest;
    } finally {
      await file.handle.close();
    }
    const index = await readJsonUnder<PublicationIndex>(root, PUBLICATION_INDEX_FILE);
    const base = configuredBase ?? requestBase(req, listenUrl);
    const body = JSON.stringify(manifestFor(manifest, index, base, since, path));
    const etag = `"${createHash('sha256').update(body).digest('base64url').slice(0, 27)}"`;
    const validators = { etag, lastModified: file.info.mtime };
    if (answer(req, res, validators, { 'content-type': 'application/json; charset=utf-8' }))
      res.end(body);
  }

  async function serveFile(req: IncomingMessage, res: ServerResponse, path: string) {
    const file = path.endsWith('.ndjson') ? await openServedFile(root, path) : undefined;
    if (file === undefined) return fail(res, 404, 'not found');
    const { handle, info } = file;
    // Files of a run never change after its manifest is written: size + mtime identify them.
    const etag = `"${info.size.toString(36)}-${Math.floor(info.mtimeMs).toString(36)}"`;
    const contentHeaders = {
      'content-type': 'application/fhir+ndjson',
      'content-length': info.size,
    };
    if (!answer(req, res, { etag, lastModified: info.mtime }, contentHeaders))
      return handle.close();
    // pipeline destroys both ends (and closes the file) when either fails or the client leaves.
    pipeline(handle.createReadStream(), res, () => undefined);
  }

  let isClosing = false;
  const operations = { registry: options.metrics?.registry, isReady: () => !isClosing };

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (answerOperationsRequest(req, res, operations)) return;
    if (req.method !== 'GET' && req.method !== 'HEAD') return fail(res, 405, 'method not allowed');
    const url = new URL(req.url ?? '/', 'http://local');
    let path: string;
    try {
      path = decodeURIComponent(url.pathname);
    } catch {
      return fail(res, 400, 'malformed path');
    }
    if (path.includes('\0')) return fail(res, 400, 'malformed path');
    if (MANIFEST_PATHS.has(path)) return serveManifest(req, res, url, path.slice(1));
    return serveFile(req, res, path);
  }

  const server = createServer((req, res) => {
    handle(req, res).catch(() => {
      if (!res.headersSent) fail(res, 500, 'internal error');
      else res.destroy();
    });
  });
  const closeServer = prepareGracefulClose(server);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host ?? '127.0.0.1', () => resolve());
  });
  const address = server.address() as AddressInfo;
  listenUrl = `http://${address.family === 'IPv6' ? `[${address.address}]` : address.address}:${address.port}`;
  return {
    url: configuredBase ?? listenUrl,
    listenUrl,
    close: () => {
      isClosing = true;
      return closeServer();
    },
  };
}
