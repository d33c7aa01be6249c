import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { once, EventEmitter } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { CancelledError } from '../errors/errors.js';
import { ManualTime } from './manual-time.js';
import { TokenProvider, type TokenProviderOptions, type TokenRefusal } from './token-provider.js';

class Refused extends Error {
  constructor(readonly refusal: TokenRefusal) {
    super(`refused with ${refusal.status}`);
  }
}

/** A token endpoint that holds every response until the test releases it. */
describe('TokenProvider (client credentials)', () => {
  let server: Server;
  let tokenUrl: string;
  const held: ServerResponse[] = [];
  const forms: URLSearchParams[] = [];
  const arrivals = new EventEmitter();
  let time: ManualTime;

  beforeEach(async () => {
    held.length = 0;
    forms.length = 0;
    time = new ManualTime();
    server = createServer((req: IncomingMessage, res) => {
      let body = '';
      req.setEncoding('utf8');
      req.on('data', (chunk: string) => (body += chunk));
      req.on('end', () => {
        forms.push(new URLSearchParams(body));
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

  const release = (res: ServerResponse | undefined, token: string, expiresIn = 3600) => {
    res?.writeHead(200, { 'content-type': 'application/json' });
    res?.end(JSON.stringify({ access_token: token, token_type: 'Bearer', expires_in: expiresIn }));
  };
  const provider = (options: Partial<TokenProviderOptions> = {}) =>
    new TokenProvider({
      tokenUrl,
      clientId: 'c',
      clientSecret: 's3cret',
      clock: time,
      errors: {
        unreachable: (cause) => new Error('unreachable', { cause }),
        refused: (refusal) => new Refused(refusal),
      },
      ...options,
    });
  const nextRequest = () => once(arrivals, 'request');

  it('one caller aborting does not fail the others sharing the token request', async () => {
    const tokens = provider();
    const first = new AbortController();
    const arrived = nextRequest();
    const a = tokens.getToken(first.signal);
    const b = tokens.getToken(new AbortController().signal);
    await arrived;
    first.abort();
    await expect(a).rejects.toBeInstanceOf(CancelledError);
    release(held[0], 'tok-1');
    await expect(b).resolves.toBe('tok-1');
    // Cached for later callers; one request in all.
    await expect(tokens.getToken()).resolves.toBe('tok-1');
    expect(held).toHaveLength(1);
  });

  it('a caller whose signal is already aborted is refused without failing a shared request', async () => {
    const tokens = provider();
    const arrived = nextRequest();
    const b = tokens.getToken(new AbortController().signal);
    await arrived;
    await expect(tokens.getToken(AbortSignal.abort())).rejects.toBeInstanceOf(CancelledError);
    release(held[0], 'tok-2');
    await expect(b).resolves.toBe('tok-2');
    expect(held).toHaveLength(1);
  });

  it('all callers aborting still lets the request finish and fill the cache', async () => {
    const tokens = provider();
    const caller = new AbortController();
    const arrived = nextRequest();
    const a = tokens.getToken(caller.signal);
    await arrived;
    caller.abort();
    await expect(a).rejects.toBeInstanceOf(CancelledError);
    const next = tokens.getToken(); // joins the same request
    release(held[0], 'tok-3');
    await expect(next).resolves.toBe('tok-3');
    expect(held).toHaveLength(1);
  });

  it('refreshes ahead of expiry (at most half the lifetime early) and after invalidate', async () => {
    const tokens = provider({ refreshAheadMs: 60_000 });
    let arrived = nextRequest();
    const first = tokens.getToken();
    await arrived;
    release(held[0], 'tok-a', 100); // 100 s: refreshed after 50 s, not after 40 s
    await expect(first).resolves.toBe('tok-a');
    time.advance(49_000);
    await expect(tokens.getToken()).resolves.toBe('tok-a');
    time.advance(1_000);
    arrived = nextRequest();
    const second = tokens.getToken();
    await arrived;
    release(held[1], 'tok-b');
    await expect(second).resolves.toBe('tok-b');
    tokens.invalidate('tok-a'); // not the cached one: kept
    await expect(tokens.getToken()).resolves.toBe('tok-b');
    tokens.invalidate('tok-b');
    arrived = nextRequest();
    const third = tokens.getToken();
    await arrived;
    release(held[2], 'tok-c');
    await expect(third).resolves.toBe('tok-c');
  });

  it('sends the scopes space-separated, and no scope when none is given', async () => {
    let arrived = nextRequest();
    const scoped = provider({ scopes: ['providers.read', 'schedules.read'] }).getToken();
    await arrived;
    release(held[0], 't');
    await scoped;
    arrived = nextRequest();
    const unscoped = provider().getToken();
    await arrived;
    release(held[1], 't');
    await unscoped;
    expect(forms[0]?.get('scope')).toBe('providers.read schedules.read');
    expect(forms[0]?.get('grant_type')).toBe('client_credentials');
    expect(forms[1]?.has('scope')).toBe(false);
  });

  it("throws the caller's error for a refusal, with status, OAuth error and Retry-After", async () => {
    const arrived = nextRequest();
    const refused = provider().getToken();
    await arrived;
    held[0]?.writeHead(503, { 'content-type': 'application/json', 'retry-after': '7' });
    held[0]?.end(JSON.stringify({ error: 'temporarily_unavailable' }));
    await expect(refused).rejects.toMatchObject({
      refusal: { status: 503, remoteCode: 'temporarily_unavailable', retryAfter: '7' },
    });
  });

  it("throws the caller's error when the endpoint cannot be reached", async () => {
    const unreachable = provider({ tokenUrl: 'http://127.0.0.1:1/token' });
    await expect(unreachable.getToken()).rejects.toThrow('unreachable');
  });
});
