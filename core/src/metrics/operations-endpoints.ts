import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Registry } from 'prom-client';
import { describeError } from '../errors/errors.js';
import type { Logger } from '../ports/logger.js';

/** An answer to `GET /metrics`, for any HTTP server. */
export interface MetricsResponse {
  status: 200;
  /** The text exposition format's, e.g. `text/plain; version=0.0.4; charset=utf-8`. */
  contentType: string;
  body: string;
}

/** The registry's metrics in the Prometheus text exposition format, with its content type. */
export async function metricsResponse(registry: Registry): Promise<MetricsResponse> {
  return { status: 200, contentType: registry.contentType, body: await registry.metrics() };
}

/** What {@link answerOperationsRequest} answers from. */
export interface OperationsEndpoints {
  /** Served at `/metrics`; without it, `/metrics` is not answered. */
  registry?: Registry;
  /** Whether the process takes work now (`/readyz`); false while it shuts down. */
  isReady: () => boolean;
  /** Told when the metrics could not be collected (answered 500). */
  logger?: Logger;
}

function answerJson(response: ServerResponse, status: number, body: object, isHead: boolean): void {
  response.writeHead(status, {
    'content-type': 'application/json',
    'cache-control': 'no-store',
  });
  response.end(isHead ? undefined : JSON.stringify(body));
}

/**
 * Answers `GET`/`HEAD` of `/healthz` (200 while the process runs), `/readyz` (200 when
 * `isReady`, else 503) and `/metrics` (the registry, when given); returns false, answering
 * nothing, for any other request. For `node:http` servers: call it first in the handler.
 */
export function answerOperationsRequest(
  request: IncomingMessage,
  response: ServerResponse,
  endpoints: OperationsEndpoints,
): boolean {
  if (request.method !== 'GET' && request.method !== 'HEAD') return false;
  const isHead = request.method === 'HEAD';
  const path = (request.url ?? '').split('?')[0];
  if (path === '/healthz') {
    answerJson(response, 200, { status: 'ok' }, isHead);
    return true;
  }
  if (path === '/readyz') {
    const isReady = endpoints.isReady();
    answerJson(response, isReady ? 200 : 503, { status: isReady ? 'ready' : 'not ready' }, isHead);
    return true;
  }
  const { registry } = endpoints;
  if (path !== '/metrics' || registry === undefined) return false;
  metricsResponse(registry).then(
    ({ status, contentType, body }) => {
      response.writeHead(status, { 'content-type': contentType, 'cache-control': 'no-store' });
      response.end(isHead ? undefined : body);
    },
    (error: unknown) => {
      endpoints.logger?.error('metrics could not be collected', { error: describeError(error) });
      answerJson(response, 500, { error: 'metrics could not be collected' }, isHead);
    },
  );
  return true;
}
