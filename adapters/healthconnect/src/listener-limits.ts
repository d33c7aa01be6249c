import type { ServerOptions } from 'node:http';
import type { Duplex } from 'node:stream';
import { z } from 'zod';

const positiveInt = z.number().int().positive();

/**
 * How much an HTTP listener accepts, and for how long. The defaults suit webhook
 * deliveries (a few KB, sent at once): a client that is slower or larger is cut off
 * instead of holding a connection for Node's 300-second default.
 */
export const ListenerLimitsSchema = z.object({
  /** Time to receive the request line and headers, counted from the connection. Default 10 s. */
  headersTimeoutMs: positiveInt.default(10_000),
  /** Time to receive the whole request, body included. Default 30 s. */
  requestTimeoutMs: positiveInt.default(30_000),
  /** Largest accepted body; a larger one is answered 413. Default 1 MiB. */
  maxBodyBytes: positiveInt.default(1 << 20),
  /** Largest accepted request line and headers; larger ones are answered 431. Default 16 KiB. */
  maxHeaderBytes: positiveInt.default(16 << 10),
});

/** Limits as given (every field optional). */
export type ListenerLimitsInput = z.input<typeof ListenerLimitsSchema>;
/** Limits with defaults applied. */
export type ListenerLimits = z.output<typeof ListenerLimitsSchema>;

/**
 * The `node:http` server options that enforce `limits`. Node checks the timeouts on a
 * timer (every 30 s by default), so the check runs often enough for the shortest one.
 */
export function serverOptionsFor(limits: ListenerLimits): ServerOptions {
  const shortest = Math.min(limits.headersTimeoutMs, limits.requestTimeoutMs);
  return {
    headersTimeout: Math.min(limits.headersTimeoutMs, limits.requestTimeoutMs),
    requestTimeout: limits.requestTimeoutMs,
    maxHeaderSize: limits.maxHeaderBytes,
    connectionsCheckingInterval: Math.max(10, Math.min(1_000, Math.floor(shortest / 4))),
  };
}

const STATUS_LINES: Record<number, string> = {
  400: '400 Bad Request',
  408: '408 Request Timeout',
  431: '431 Request Header Fields Too Large',
};

function statusResponse(status: number): string {
  return `HTTP/1.1 ${STATUS_LINES[status]}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`;
}

/** The status that answers a request Node could not read. */
function statusFor(error: NodeJS.ErrnoException): number {
  if (error.code === 'HPE_HEADER_OVERFLOW') return 431;
  if (error.code === 'ERR_HTTP_REQUEST_TIMEOUT') return 408;
  return 400;
}

/**
 * Handles a server's `clientError` (a request Node could not read: headers too large, too
 * slow, malformed). Node's own handler writes the status and destroys the socket at once,
 * and a client still sending its headers then gets a connection reset instead of the
 * answer. This one writes the status, half-closes, and discards what the client still
 * sends, so the client can read the answer; the socket is destroyed when the client
 * closes, or after `graceMs` at the latest. Only the first error of a socket is answered.
 */
export function answerClientErrors(graceMs: number): (error: Error, socket: Duplex) => void {
  const answered = new WeakSet<Duplex>();
  return (error, socket) => {
    if (answered.has(socket)) return;
    answered.add(socket);
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ECONNRESET' || !socket.writable) {
      socket.destroy();
      return;
    }
    const status = statusFor(error as NodeJS.ErrnoException);
    if (status === 408) {
      // A slow client: nothing more is worth reading from it.
      socket.end(statusResponse(status), () => socket.destroy());
      return;
    }
    socket.end(statusResponse(status));
    const timer = setTimeout(() => socket.destroy(), graceMs);
    timer.unref();
    socket.once('close', () => clearTimeout(timer));
    socket.resume();
  };
}
