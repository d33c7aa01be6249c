import type { IncomingMessage, Server, ServerResponse } from 'node:http';

/**
 * Prepares `server` (a `node:http` server, right after it is created) for a graceful close
 * and returns the function that closes it: it stops accepting connections, closes the idle
 * ones at once, lets the requests under way finish and closes each connection after its
 * last answer (`Connection: close`), rather than waiting for keep-alive timeouts; it
 * resolves once every connection is gone. Calling it again returns the same promise.
 */
export function prepareGracefulClose(server: Server): () => Promise<void> {
  const active = new Set<ServerResponse>();
  let isClosing = false;
  const track = (_request: IncomingMessage, response: ServerResponse): void => {
    if (isClosing && !response.headersSent) response.setHeader('connection', 'close');
    active.add(response);
    response.on('close', () => {
      active.delete(response);
      // The connection just went idle: nothing more will come over it.
      if (isClosing) server.closeIdleConnections();
    });
  };
  server.on('request', track);
  // Requests that ask `Expect: 100-continue` come through this event instead, when handled.
  server.on('checkContinue', track);
  let closed: Promise<void> | undefined;
  return () =>
    (closed ??= new Promise<void>((resolve, reject) => {
      isClosing = true;
      for (const response of active) {
        if (!response.headersSent) response.setHeader('connection', 'close');
      }
      server.close((error) => (error === undefined ? resolve() : reject(error)));
      server.closeIdleConnections();
    }));
}
