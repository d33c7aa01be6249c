import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { CancelledError } from '../errors/errors.js';
import { exchange } from './http-exchange.js';

describe('exchange', () => {
  let server: Server;
  let base: string;

  beforeEach(async () => {
    server = createServer((req, res) => {
      if (req.url === '/hang') return; // never answers
      let body = '';
      req.setEncoding('utf8');
      req.on('data', (chunk: string) => (body += chunk));
      req.on('end', () => {
        res.writeHead(503, { 'retry-after': '4', 'x-echo': req.headers.authorization ?? '' });
        res.end(`${req.method} ${body}`);
      });
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterEach(async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  it('returns any status with its whole body and headers', async () => {
    const response = await exchange({
      url: `${base}/things`,
      method: 'POST',
      headers: { authorization: 'Bearer t' },
      body: '{"a":1}',
    });
    expect(response.status).toBe(503);
    expect(response.text).toBe('POST {"a":1}');
    expect(response.header('retry-after')).toBe('4');
    expect(response.header('x-echo')).toBe('Bearer t');
    expect(response.header('x-absent')).toBeUndefined();
  });

  it("fails with a CancelledError when the caller's signal aborts", async () => {
    const caller = new AbortController();
    const sent = exchange({
      url: `${base}/hang`,
      method: 'GET',
      headers: {},
      signal: caller.signal,
    });
    caller.abort();
    await expect(sent).rejects.toBeInstanceOf(CancelledError);
  });

  it("fails with undici's error, not a cancellation, when its own timeout passes", async () => {
    const sent = exchange({ url: `${base}/hang`, method: 'GET', headers: {}, timeoutMs: 50 });
    await expect(sent).rejects.not.toBeInstanceOf(CancelledError);
  });
});
