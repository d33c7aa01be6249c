import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { Agent, get as httpGet, type IncomingMessage } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Metrics } from '@pmsbridge/core';
import { servePublication, type PublicationServer } from './publication-server.js';

async function fetchText(url: string): Promise<{ status: number; type?: string; text: string }> {
  const response = await fetch(url);
  return {
    status: response.status,
    type: response.headers.get('content-type') ?? undefined,
    text: await response.text(),
  };
}

/** The body of `response`, read to its end. */
function readAll(response: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    response.on('data', (chunk: Buffer) => chunks.push(chunk));
    response.on('end', () => resolve(Buffer.concat(chunks)));
    response.on('error', reject);
  });
}

describe('publication server operations endpoints', () => {
  let dir: string;
  let server: PublicationServer | undefined;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'pmsbridge-publish-ops-'));
  });
  afterEach(async () => {
    await server?.close();
    server = undefined;
    await rm(dir, { recursive: true, force: true });
  });

  it('serves /healthz, /readyz and the registry at /metrics in the text exposition format', async () => {
    const metrics = new Metrics();
    server = await servePublication({ dir, port: 0, metrics });
    expect((await fetchText(`${server.listenUrl}/healthz`)).status).toBe(200);
    expect((await fetchText(`${server.listenUrl}/readyz`)).status).toBe(200);
    const scraped = await fetchText(`${server.listenUrl}/metrics`);
    expect(scraped.status).toBe(200);
    expect(scraped.type).toBe(metrics.registry.contentType);
    const lines = scraped.text.split('\n').filter((line) => line !== '');
    const help = lines.filter((line) => line.startsWith('# HELP '));
    const types = lines.filter((line) => line.startsWith('# TYPE '));
    expect(help.length).toBeGreaterThan(0);
    expect(types).toContain('# TYPE pmsbridge_http_client_request_duration_seconds histogram');
    expect(types).toContain('# TYPE process_cpu_user_seconds_total counter');
    // Every sample names a metric whose type was declared.
    const declared = new Set(types.map((line) => line.split(' ')[2]));
    const samples = lines.filter((line) => !line.startsWith('#'));
    expect(samples.length).toBeGreaterThan(0);
    const undeclared = samples
      .map((line) => /^[a-zA-Z_:][a-zA-Z0-9_:]*/.exec(line)?.[0] ?? line)
      .filter(
        (name) => !declared.has(name) && !declared.has(name.replace(/_(bucket|sum|count)$/, '')),
      );
    expect(undeclared).toEqual([]);
  });

  it('answers /metrics 404 without metrics', async () => {
    server = await servePublication({ dir, port: 0 });
    expect((await fetchText(`${server.listenUrl}/metrics`)).status).toBe(404);
    expect((await fetchText(`${server.listenUrl}/healthz`)).status).toBe(200);
  });

  it('lets a download under way finish when closed', async () => {
    const size = 8 * 1024 * 1024;
    await writeFile(join(dir, 'big.ndjson'), Buffer.alloc(size, 'x'));
    const running = await servePublication({ dir, port: 0 });
    const agent = new Agent({ keepAlive: true });
    const response = await new Promise<IncomingMessage>((resolve, reject) =>
      httpGet(`${running.listenUrl}/big.ndjson`, { agent }, resolve).on('error', reject),
    );
    expect(response.statusCode).toBe(200);
    // Closed while most of the file is still to be sent.
    const closed = running.close();
    const body = await readAll(response);
    expect(body.length).toBe(size);
    await closed;
    agent.destroy();
  });
});
