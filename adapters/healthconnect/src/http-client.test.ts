import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { createHealthConnectClient } from './create-client.js';
import { ManualTime } from '@pmsbridge/core/http';
import { HealthConnectError } from './remote-errors.js';

const fullBody = JSON.stringify({ locations: [] });

function answerToken(res: ServerResponse): void {
  res.writeHead(200, { 'content-type': 'application/json' });
  res.end(JSON.stringify({ access_token: 't', token_type: 'Bearer', expires_in: 3600 }));
}

/** A server answering API calls with `status`, and its URL. */
async function startStatusServer(status: number): Promise<{ server: Server; url: string }> {
  const server = createServer((req, res) => {
    if (req.url === '/token') return answerToken(res);
    res.writeHead(status, { 'content-type': 'application/json', 'retry-after': '0' });
    res.end(JSON.stringify({ error: { code: 'refused', message: 'no' } }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

/** A local port nothing listens on: connecting to it is refused (ECONNREFUSED). */
async function closedPortUrl(): Promise<string> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as AddressInfo;
  await new Promise((resolve) => probe.close(resolve));
  return `http://127.0.0.1:${port}`;
}

/** A server whose first `truncate` answers promise a body and hang up half-way through it. */
function startTruncatingServer(
  truncate: number,
): Promise<{ server: Server; url: string; requests: () => number }> {
  let count = 0;
  const server = createServer((req, res) => {
    count += 1;
    if (req.url === '/token') {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ access_token: 't', token_type: 'Bearer', expires_in: 3600 }));
      return;
    }
    res.writeHead(200, {
      'content-type': 'application/json',
      'content-length': String(fullBody.length),
    });
    if (count <= truncate + 1) {
      res.write(fullBody.slice(0, 5));
      res.socket?.destroy();
      return;
    }
    res.end(fullBody);
  });
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      resolve({ server, url: `http://127.0.0.1:${port}`, requests: () => count });
    });
  });
}

describe('HttpClient over a real socket', () => {
  let server: Server | undefined;
  const time = new ManualTime();

  beforeEach(() => {
    server = undefined;
  });

  afterEach(async () => {
    await new Promise((resolve) =>
      server === undefined ? resolve(undefined) : server.close(resolve),
    );
  });

  it('retries a GET whose body was cut off mid-way and returns the complete answer', async () => {
    const started = await startTruncatingServer(1);
    server = started.server;
    const client = createHealthConnectClient(
      { baseUrl: started.url, tokenUrl: `${started.url}/token`, clientId: 'c', clientSecret: 's' },
      { clock: time, sleep: async () => undefined, random: () => 0 },
    );
    try {
      expect(await client.getLocations('PRV0000000001')).toEqual([]);
      expect(started.requests()).toBe(3); // token, truncated answer, complete answer
    } finally {
      await client.close();
    }
  });

  it('reports a truncated body as a network error once retries run out', async () => {
    const started = await startTruncatingServer(10);
    server = started.server;
    const client = createHealthConnectClient(
      {
        baseUrl: started.url,
        tokenUrl: `${started.url}/token`,
        clientId: 'c',
        clientSecret: 's',
        retry: { maxAttempts: 2 },
      },
      { clock: time, sleep: async () => undefined, random: () => 0 },
    );
    try {
      const error = await client.getLocations('PRV0000000001').catch((e: unknown) => e);
      expect(error).toBeInstanceOf(HealthConnectError);
      expect((error as HealthConnectError).isNetworkError).toBe(true);
      expect(started.requests()).toBe(3);
    } finally {
      await client.close();
    }
  });

  it('gives up on a server that never answers after the headers timeout, as a timeout', async () => {
    const silent = createServer((req, res) => {
      if (req.url === '/token') {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ access_token: 't', token_type: 'Bearer', expires_in: 3600 }));
      }
      // API requests are never answered.
    });
    server = silent;
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(silent.address() as AddressInfo).port}`;
    const client = createHealthConnectClient(
      {
        baseUrl: url,
        tokenUrl: `${url}/token`,
        clientId: 'c',
        clientSecret: 's',
        retry: { maxAttempts: 1 },
        timeouts: { headersMs: 50 },
      },
      { clock: time, sleep: async () => undefined },
    );
    try {
      const error = await client.getLocations('PRV0000000001').catch((e: unknown) => e);
      expect(error).toBeInstanceOf(HealthConnectError);
      expect(error).toMatchObject({
        code: 'PMS_NET_TIMEOUT',
        category: 'PMS_TIMEOUT',
        isNetworkError: true,
      });
    } finally {
      await client.close();
      silent.closeAllConnections();
    }
  });

  it.each([
    [429, 'PMS_HC_RATE_LIMITED', 'PMS_RATE_LIMITED'],
    [401, 'PMS_HC_AUTH_REFUSED', 'PMS_AUTH'],
    [503, 'PMS_HC_UNAVAILABLE', 'PMS_REMOTE'],
    [500, 'PMS_HC_UNAVAILABLE', 'PMS_REMOTE'],
    [404, 'PMS_HC_REJECTED', 'PMS_REMOTE'],
    [400, 'PMS_HC_REJECTED', 'PMS_REMOTE'],
  ])('reports an answer of %i as %s (category %s)', async (status, code, category) => {
    const started = await startStatusServer(status);
    server = started.server;
    const client = createHealthConnectClient(
      {
        baseUrl: started.url,
        tokenUrl: `${started.url}/token`,
        clientId: 'c',
        clientSecret: 's',
        retry: { maxAttempts: 1 },
      },
      { clock: time, sleep: async () => undefined },
    );
    try {
      const error = await client.getLocations('PRV0000000001').catch((e: unknown) => e);
      expect(error).toBeInstanceOf(HealthConnectError);
      expect(error).toMatchObject({ code, category, status });
    } finally {
      await client.close();
    }
  });

  it('reports an API that refuses the connection as unreachable', async () => {
    const tokens = createServer((_req, res) => answerToken(res));
    server = tokens;
    await new Promise<void>((resolve) => tokens.listen(0, '127.0.0.1', resolve));
    const client = createHealthConnectClient(
      {
        baseUrl: await closedPortUrl(),
        tokenUrl: `http://127.0.0.1:${(tokens.address() as AddressInfo).port}/token`,
        clientId: 'c',
        clientSecret: 's',
        retry: { maxAttempts: 1 },
      },
      { clock: time, sleep: async () => undefined },
    );
    try {
      const error = await client.getLocations('PRV0000000001').catch((e: unknown) => e);
      expect(error).toBeInstanceOf(HealthConnectError);
      expect(error).toMatchObject({
        code: 'PMS_NET_UNREACHABLE',
        category: 'PMS_REMOTE',
        isNetworkError: true,
      });
    } finally {
      await client.close();
    }
  });

  it('reports a token endpoint that refuses the connection as unreachable, not as an auth failure', async () => {
    const closed = await closedPortUrl();
    const client = createHealthConnectClient(
      {
        baseUrl: closed,
        tokenUrl: `${closed}/token`,
        clientId: 'c',
        clientSecret: 'the-secret',
        retry: { maxAttempts: 1 },
      },
      { clock: time, sleep: async () => undefined },
    );
    try {
      const error = await client.getLocations('PRV0000000001').catch((e: unknown) => e);
      expect(error).toBeInstanceOf(HealthConnectError);
      expect(error).toMatchObject({
        code: 'PMS_NET_UNREACHABLE',
        category: 'PMS_REMOTE',
        message: expect.stringContaining('token endpoint'),
      });
      expect(JSON.stringify(error) + (error as Error).message).not.toContain('the-secret');
    } finally {
      await client.close();
    }
  });
});
