import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { systemClock } from '@pmsbridge/core';
import { AuthHeaderProvider } from './fhir-auth.js';

describe('AuthHeaderProvider', () => {
  it('sends fixed bearer and basic credentials, and nothing for none', async () => {
    const signal = new AbortController().signal;
    const bearer = new AuthHeaderProvider({ type: 'bearer', token: 't0k' }, systemClock);
    const basic = new AuthHeaderProvider(
      { type: 'basic', username: 'u', password: 'p' },
      systemClock,
    );
    await expect(bearer.header(signal)).resolves.toBe('Bearer t0k');
    await expect(basic.header(signal)).resolves.toBe(`Basic ${btoa('u:p')}`);
    await expect(
      new AuthHeaderProvider({ type: 'none' }, systemClock).header(signal),
    ).resolves.toBeUndefined();
  });
});

/** A token endpoint answering with what the test sets. */
describe('AuthHeaderProvider (client credentials)', () => {
  let server: Server;
  let tokenUrl: string;
  let answer: { status: number; body: unknown };
  let requests = 0;

  beforeEach(async () => {
    requests = 0;
    server = createServer((req, res) => {
      requests++;
      req.resume();
      req.on('end', () => {
        res.writeHead(answer.status, { 'content-type': 'application/json' });
        res.end(JSON.stringify(answer.body));
      });
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    tokenUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/token`;
  });
  afterEach(async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  const provider = () =>
    new AuthHeaderProvider(
      { type: 'client-credentials', tokenUrl, clientId: 'c', clientSecret: 'very-secret' },
      systemClock,
    );

  it('sends the cached token as a bearer header, and a fresh one after invalidate', async () => {
    const auth = provider();
    answer = {
      status: 200,
      body: { access_token: 'tok-1', token_type: 'Bearer', expires_in: 3600 },
    };
    await expect(auth.header()).resolves.toBe('Bearer tok-1');
    await expect(auth.header()).resolves.toBe('Bearer tok-1');
    answer = {
      status: 200,
      body: { access_token: 'tok-2', token_type: 'Bearer', expires_in: 3600 },
    };
    auth.invalidate('Bearer tok-1');
    await expect(auth.header()).resolves.toBe('Bearer tok-2');
    expect(requests).toBe(2);
  });

  it('says what to check when the token endpoint refuses, without the secret', async () => {
    answer = { status: 401, body: { error: 'invalid_client' } };
    const error = await provider()
      .header()
      .then(
        () => undefined,
        (thrown: unknown) => thrown as Error & { code?: string; details?: unknown },
      );
    expect(error?.message).toMatch(/HTTP 401, invalid_client.*check clientId, clientSecret/);
    expect(error).toMatchObject({ code: 'PMS_FHIR_AUTH_REFUSED', category: 'PMS_AUTH' });
    expect(JSON.stringify({ m: error?.message, d: error?.details })).not.toContain('very-secret');
  });

  it('reports a token endpoint that refuses the connection as unreachable, not as refused', async () => {
    const closed = `http://127.0.0.1:${(server.address() as AddressInfo).port}/token`;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    server.listen(0, '127.0.0.1'); // for afterEach, on another port
    await once(server, 'listening');
    const error = await new AuthHeaderProvider(
      { type: 'client-credentials', tokenUrl: closed, clientId: 'c', clientSecret: 'very-secret' },
      systemClock,
    )
      .header()
      .then(
        () => undefined,
        (thrown: unknown) => thrown as Error & { code?: string; details?: unknown },
      );
    expect(error).toMatchObject({ code: 'PMS_NET_UNREACHABLE', category: 'PMS_REMOTE' });
    expect(error?.message).toMatch(/Could not reach the token endpoint/);
    expect(JSON.stringify({ m: error?.message, d: error?.details })).not.toContain('very-secret');
    expect(requests).toBe(0);
  });
});
