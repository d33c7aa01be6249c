import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { once, EventEmitter } from 'node:events';
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { CancelledError, systemClock } from '@pmsbridge/core';
import { AuthHeaderProvider } from './fhir-auth.js';

/** A token endpoint that holds every response until the test releases it. */
describe('AuthHeaderProvider (client credentials)', () => {
  let server: Server;
  let tokenUrl: string;
  const held: ServerResponse[] = [];
  const arrivals = new EventEmitter();
  let requests = 0;

  beforeEach(async () => {
    requests = 0;
    held.length = 0;
    server = createServer((req, res) => {
      requests++;
      req.resume();
      req.on('end', () => {
        held.push(res);
        arrivals.emit('request');
      });
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    tokenUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/token`;
  });
  afterEach(async () => {
    for (const res of held) if (!res.writableEnded) res.destroy();
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  const release = (res: ServerResponse | undefined, token: string) => {
    res?.writeHead(200, { 'content-type': 'application/json' });
    res?.end(JSON.stringify({ access_token: token, token_type: 'Bearer', expires_in: 3600 }));
  };
  const provider = () =>
    new AuthHeaderProvider(
      { type: 'client-credentials', tokenUrl, clientId: 'c', clientSecret: 's' },
      systemClock,
    );

  it('one caller aborting does not fail the others sharing the token request', async () => {
    const auth = provider();
    const first = new AbortController();
    const second = new AbortController();
    const arrived = once(arrivals, 'request');
    const a = auth.header(first.signal);
    const b = auth.header(second.signal);
    await arrived;
    first.abort();
    await expect(a).rejects.toBeInstanceOf(CancelledError);
    release(held[0], 'tok-1');
    await expect(b).resolves.toBe('Bearer tok-1');
    // Cached for later callers; one request in all.
    await expect(auth.header(new AbortController().signal)).resolves.toBe('Bearer tok-1');
    expect(requests).toBe(1);
  });

  it('a caller whose signal is already aborted is refused without failing a shared request', async () => {
    const auth = provider();
    const arrived = once(arrivals, 'request');
    const b = auth.header(new AbortController().signal);
    await arrived;
    await expect(auth.header(AbortSignal.abort())).rejects.toBeInstanceOf(CancelledError);
    release(held[0], 'tok-2');
    await expect(b).resolves.toBe('Bearer tok-2');
    expect(requests).toBe(1);
  });

  it('all callers aborting still lets the request finish and fill the cache', async () => {
    const auth = provider();
    const caller = new AbortController();
    const arrived = once(arrivals, 'request');
    const a = auth.header(caller.signal);
    await arrived;
    caller.abort();
    await expect(a).rejects.toBeInstanceOf(CancelledError);
    const next = auth.header(new AbortController().signal); // joins the same request
    release(held[0], 'tok-3');
    await expect(next).resolves.toBe('Bearer tok-3');
    expect(requests).toBe(1);
  });
});
