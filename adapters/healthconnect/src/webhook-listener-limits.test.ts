import { connect, type Socket } from 'node:net';
import { Readable } from 'node:stream';
import { afterEach, describe, expect, it } from '@jest/globals';
import { request } from 'undici';
import { MemoryStateStore, ValidationError, type Logger } from '@pmsbridge/core';
import {
  startWebhookListener,
  type WebhookListener,
  type WebhookListenerOptions,
} from './webhook-listener.js';

const SECRET = `whsec_${Buffer.from('limits-secret').toString('base64')}`;

/** What a raw client saw before the server closed its connection. */
interface SocketOutcome {
  received: string;
  /** Whether the server closed the connection (FIN or reset). */
  closed: boolean;
}

/** Resolves once the server has closed `socket`, with everything it sent. */
function untilClosed(socket: Socket): Promise<SocketOutcome> {
  return new Promise((resolve) => {
    let received = '';
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => (received += chunk));
    socket.on('error', () => undefined); // a reset still ends in 'close'
    socket.on('close', () => resolve({ received, closed: true }));
  });
}

/** Opens a raw TCP connection to the listener. */
function open(listener: WebhookListener): Promise<Socket> {
  const { hostname, port } = new URL(listener.url);
  return new Promise((resolve, reject) => {
    const socket = connect({ host: hostname, port: Number(port) }, () => resolve(socket));
    socket.once('error', reject);
  });
}

/**
 * Writes `line` again and again, each time the previous write has been flushed and a turn
 * of the timer queue has passed: a client trickling bytes for as long as it is let.
 */
function trickle(socket: Socket, line: string): void {
  const next = (): void => {
    if (socket.destroyed || !socket.writable) return;
    socket.write(line, () => setTimeout(next, 5).unref());
  };
  next();
}

describe('webhook listener limits', () => {
  let listener: WebhookListener | undefined;

  const start = async (limits: Partial<WebhookListenerOptions> = {}): Promise<WebhookListener> => {
    listener = await startWebhookListener({
      secret: SECRET,
      seen: new MemoryStateStore(),
      onEvents: async () => undefined,
      ...limits,
    });
    return listener;
  };

  afterEach(async () => {
    await listener?.close();
    listener = undefined;
  });

  it('closes a connection that trickles its headers once headersTimeoutMs has passed, with 408', async () => {
    const running = await start({ headersTimeoutMs: 200, requestTimeoutMs: 60_000 });
    const socket = await open(running);
    const outcome = untilClosed(socket);
    socket.write('POST /hooks/healthconnect HTTP/1.1\r\nHost: localhost\r\n');
    trickle(socket, 'x-slow: 1\r\n');
    const { received, closed } = await outcome;
    expect(closed).toBe(true);
    expect(received).toMatch(/^HTTP\/1\.1 408 /);
  });

  it('closes a connection that trickles its body once requestTimeoutMs has passed, with 408, logging no error', async () => {
    const levels: string[] = [];
    const logger: Logger = {
      debug: () => levels.push('debug'),
      info: () => levels.push('info'),
      warn: () => levels.push('warn'),
      error: () => levels.push('error'),
      child: () => logger,
    };
    const running = await start({ headersTimeoutMs: 200, requestTimeoutMs: 400, logger });
    const socket = await open(running);
    const outcome = untilClosed(socket);
    socket.write(
      'POST /hooks/healthconnect HTTP/1.1\r\nHost: localhost\r\nContent-Length: 100000\r\n\r\n',
    );
    trickle(socket, '{');
    const { received, closed } = await outcome;
    expect(closed).toBe(true);
    expect(received).toMatch(/^HTTP\/1\.1 408 /);
    await running.close();
    expect(levels).not.toContain('error');
  });

  it('answers a 2 MB body with 413, and the client reads that answer', async () => {
    const running = await start();
    const response = await request(running.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: Buffer.alloc(2 << 20, 0x20),
    });
    expect(response.statusCode).toBe(413);
    expect(await response.body.json()).toEqual({ error: 'body too large' });
  });

  it('answers 413 without waiting for an oversized body announced with Expect: 100-continue', async () => {
    const running = await start();
    const socket = await open(running);
    const outcome = untilClosed(socket);
    socket.write(
      `POST /hooks/healthconnect HTTP/1.1\r\nHost: localhost\r\nExpect: 100-continue\r\nContent-Length: ${2 << 20}\r\n\r\n`,
    );
    const { received } = await outcome;
    expect(received).toMatch(/^HTTP\/1\.1 413 /);
    expect(received).not.toContain('100 Continue');
  });

  it('answers a body over a configured maxBodyBytes with 413 when no Content-Length announces it', async () => {
    const running = await start({ maxBodyBytes: 1000 });
    const chunks = Readable.from(Array.from({ length: 10 }, () => Buffer.alloc(500, 0x20)));
    const response = await request(running.url, { method: 'POST', body: chunks });
    expect(response.statusCode).toBe(413);
    await response.body.dump();
  });

  it('answers 90 KB of headers with 431, read by a client that reads only once it has sent its body', async () => {
    const running = await start();
    const { hostname, port } = new URL(running.url);
    let received = '';
    const readBuffer = Buffer.alloc(64 << 10);
    // With `onread`, pause() stops reading from the kernel: the answer waits in the socket's
    // receive buffer, where a connection reset would discard it.
    const socket = connect({
      host: hostname,
      port: Number(port),
      onread: {
        buffer: readBuffer,
        callback: (size) => {
          received += readBuffer.toString('latin1', 0, size);
          return true;
        },
      },
    });
    socket.pause();
    const closed = new Promise<void>((resolve) => socket.on('close', () => resolve()));
    socket.on('error', () => socket.resume());
    const body = Buffer.alloc(4 << 20, 0x20);
    socket.write(
      `POST /hooks/healthconnect HTTP/1.1\r\nHost: localhost\r\nx-padding: ${'a'.repeat(90 << 10)}\r\nContent-Length: ${body.length}\r\n\r\n`,
    );
    socket.end(body, () => socket.resume());
    await closed;
    expect(received).toMatch(/^HTTP\/1\.1 431 /);
  });

  it('refuses limits that are not positive integers with a validation error', async () => {
    await expect(start({ requestTimeoutMs: 0 })).rejects.toBeInstanceOf(ValidationError);
  });
});
