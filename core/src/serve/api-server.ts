import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { Registry } from 'prom-client';
import type { AddressInfo } from 'node:net';
import { z } from 'zod';
import {
  BookingError,
  type BookingFailure,
  type BookingService,
} from '../booking/booking-service.js';
import type { Directory } from '../booking/directory.js';
import type { AppointmentFinder } from '../booking/finder.js';
import { ErrorCategory, isPmsbridgeError } from '../errors/errors.js';
import { metricsResponse } from '../metrics/operations-endpoints.js';
import type { Logger } from '../ports/logger.js';
import type { ApiClient, ApiKeys, ApiScope } from './api-keys.js';
import {
  AvailabilityQuerySchema,
  BookingIdSchema,
  BookingRequestSchema,
  IdempotencyKeySchema,
  ProviderSearchQuerySchema,
} from './api-schemas.js';
import { buildOpenApi } from './openapi.js';
import { invalidRequest, problem, type Problem } from './problem.js';
import type { RateLimiter } from './rate-limiter.js';

/** What the HTTP API serves from. */
export interface ApiServices {
  readonly directory: Directory;
  readonly finder: AppointmentFinder;
  readonly bookings: BookingService;
  readonly keys: ApiKeys;
  readonly limiter: RateLimiter;
  readonly logger: Logger;
  /** Whether the service can take requests (its state store answers). */
  readonly ready: () => Promise<boolean>;
  /** Largest request body accepted, in bytes. */
  readonly maxBodyBytes: number;
  /** Served at `/metrics` (Prometheus text format, no key) when given. */
  readonly metrics?: Registry;
}

/** A running API server. */
export interface ApiServer {
  /** e.g. `http://127.0.0.1:8095`. */
  readonly url: string;
  close(): Promise<void>;
}

interface Reply {
  status: number;
  body: unknown;
  headers?: Record<string, string>;
}

interface RequestContext {
  client: ApiClient;
  params: Record<string, string>;
  query: Record<string, string>;
  headers: IncomingMessage['headers'];
  body(): Promise<unknown>;
  signal: AbortSignal;
}

/** One operation of the API. */
export interface Route {
  readonly method: 'GET' | 'POST' | 'DELETE';
  /** OpenAPI path template, e.g. `/v1/bookings/{id}`. */
  readonly path: string;
  readonly scope: ApiScope;
  readonly handle: (context: RequestContext) => Promise<Reply>;
}

/** A request failure answered as problem+json. */
class ProblemError extends Error {
  constructor(
    readonly problem: Problem,
    readonly headers: Record<string, string> = {},
  ) {
    super(problem.title);
  }
}

/** How long a booking request may take, whatever the client does meanwhile. */
const REQUEST_TIMEOUT_MS = 30_000;

const BOOKING_FAILURES: Record<
  BookingFailure,
  { status: number; title: string; retryAfter?: string }
> = {
  idempotency_key_reused: {
    status: 422,
    title: 'This Idempotency-Key was used for another booking request',
  },
  provider_not_found: { status: 404, title: 'No such provider' },
  slot_not_found: { status: 404, title: 'No such slot' },
  booking_not_found: { status: 404, title: 'No such booking' },
  not_cancellable: { status: 409, title: 'The booking cannot be cancelled' },
  partner_unavailable: {
    status: 503,
    title: 'The booking partner is unavailable',
    retryAfter: '5',
  },
  busy: { status: 503, title: 'Another request for this slot is in progress', retryAfter: '1' },
};

function parsed<T extends z.ZodType>(
  schema: T,
  value: unknown,
  where: 'query' | 'body' | 'header',
): z.output<T> {
  const result = schema.safeParse(value);
  if (!result.success) throw new ProblemError(invalidRequest(result.error, where));
  return result.data;
}

function page<T>(
  result: { page: number; perPage: number; total: number; hasNextPage: boolean },
  items: readonly T[],
) {
  const { page: number, perPage, total, hasNextPage } = result;
  return { items, page: number, perPage, total, hasNextPage };
}

/** The API's operations. */
export function apiRoutes(services: ApiServices): Route[] {
  const { directory, finder, bookings } = services;
  return [
    {
      method: 'GET',
      path: '/v1/providers',
      scope: 'read',
      async handle({ query, signal }) {
        const {
          page: number,
          perPage,
          ...criteria
        } = parsed(ProviderSearchQuerySchema, query, 'query');
        const found = await directory.search(criteria, { page: number, perPage }, signal);
        return { status: 200, body: page(found, found.entries) };
      },
    },
    {
      method: 'GET',
      path: '/v1/providers/{id}',
      scope: 'read',
      async handle({ params, signal }) {
        const entry = await directory.provider(params.id ?? '', signal);
        if (entry === undefined)
          throw new ProblemError(problem('not_found', 404, 'No such provider'));
        return { status: 200, body: entry };
      },
    },
    {
      method: 'GET',
      path: '/v1/availability',
      scope: 'read',
      async handle({ query, signal }) {
        const {
          page: number,
          perPage,
          ...criteria
        } = parsed(AvailabilityQuerySchema, query, 'query');
        const found = await finder.find(criteria, { page: number, perPage }, signal);
        return { status: 200, body: page(found, found.slots) };
      },
    },
    {
      method: 'POST',
      path: '/v1/bookings',
      scope: 'book',
      async handle({ client, headers, body, signal }) {
        const key = parsed(IdempotencyKeySchema, headers['idempotency-key'], 'header');
        const request = parsed(BookingRequestSchema, await body(), 'body');
        const { booking, replayed } = await bookings.book(client.id, key, request, signal);
        const replay: Record<string, string> = replayed ? { 'Idempotent-Replayed': 'true' } : {};
        if (booking.status === 'refused') {
          const code = booking.refusal?.code ?? 'rejected';
          throw new ProblemError(
            problem(
              code,
              code === 'slot_unavailable' ? 409 : 422,
              booking.refusal?.message ?? 'Refused by the partner',
              {
                booking,
              },
            ),
            replay,
          );
        }
        return {
          status: replayed ? 200 : 201,
          body: booking,
          headers: { Location: `/v1/bookings/${booking.id}`, ...replay },
        };
      },
    },
    {
      method: 'GET',
      path: '/v1/bookings/{id}',
      scope: 'read',
      async handle({ params }) {
        const booking = await bookings.get(parsed(BookingIdSchema, params.id, 'query'));
        if (booking === undefined)
          throw new ProblemError(problem('not_found', 404, 'No such booking'));
        return { status: 200, body: booking };
      },
    },
    {
      method: 'DELETE',
      path: '/v1/bookings/{id}',
      scope: 'book',
      async handle({ params, signal }) {
        const id = parsed(BookingIdSchema, params.id, 'query');
        return { status: 200, body: await bookings.cancel(id, signal) };
      },
    },
  ];
}

/** `/v1/bookings/{id}` → a pattern capturing `id`. */
function patternOf(path: string): RegExp {
  const source = path.replace(/[.*+?^$()|[\]\\]/g, '\\$&').replace(/\{(\w+)\}/g, '(?<$1>[^/]+)');
  return new RegExp(`^${source}$`);
}

function send(response: ServerResponse, reply: Reply, type = 'application/json'): void {
  const payload = JSON.stringify(reply.body);
  response.writeHead(reply.status, {
    'Content-Type': `${type}; charset=utf-8`,
    'Content-Length': Buffer.byteLength(payload),
    'Cache-Control': 'no-store',
    ...reply.headers,
  });
  response.end(payload);
}

function sendProblem(
  response: ServerResponse,
  failure: Problem,
  headers: Record<string, string> = {},
): void {
  send(response, { status: failure.status, body: failure, headers }, 'application/problem+json');
}

/** The JSON body, at most `limit` bytes; a problem for anything else. */
async function readJson(request: IncomingMessage, limit: number): Promise<unknown> {
  const type = request.headers['content-type'] ?? '';
  if (!/^application\/(?:[\w.+-]+\+)?json\s*(?:;|$)/i.test(type)) {
    throw new ProblemError(
      problem('unsupported_media_type', 415, 'Send the body as application/json'),
    );
  }
  const declared = Number(request.headers['content-length'] ?? 0);
  const tooLarge = () =>
    new ProblemError(
      problem('payload_too_large', 413, 'The request body is too large', {
        detail: `at most ${limit} bytes`,
      }),
      { Connection: 'close' },
    );
  if (declared > limit) throw tooLarge();
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    size += (chunk as Buffer).length;
    if (size > limit) throw tooLarge();
    chunks.push(chunk as Buffer);
  }
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8')) as unknown;
  } catch {
    throw new ProblemError(
      problem('invalid_request', 400, 'The body is not valid JSON', {
        errors: [{ field: 'body', message: 'not valid JSON' }],
      }),
    );
  }
}

/** The problem an error thrown by a handler is answered with. */
function problemOf(
  error: unknown,
  logger: Logger,
  route: string,
): { failure: Problem; headers: Record<string, string> } {
  if (error instanceof ProblemError) return { failure: error.problem, headers: error.headers };
  if (error instanceof BookingError) {
    const { status, title, retryAfter } = BOOKING_FAILURES[error.failure];
    return {
      failure: problem(error.failure, status, title, { detail: error.message }),
      headers: retryAfter === undefined ? {} : { 'Retry-After': retryAfter },
    };
  }
  if (isPmsbridgeError(error) && error.category !== ErrorCategory.Unexpected) {
    // The source (the directory's data) failed: say so, without its details.
    logger.warn('api request failed upstream', { route, code: error.code });
    return {
      failure: problem('upstream_unavailable', 503, 'The provider directory is unavailable', {
        detail: error.code,
      }),
      headers: { 'Retry-After': '5' },
    };
  }
  logger.error('api request failed', {
    route,
    error: error instanceof Error ? error.name : 'unknown',
  });
  return { failure: problem('internal_error', 500, 'Internal error'), headers: {} };
}

/**
 * Starts the HTTP API: the directory (`/v1/providers`), availability (`/v1/availability`)
 * and bookings (`/v1/bookings`), each behind an API key with the scope it needs and the
 * key's rate limit; `/openapi.json` describes them; `/healthz` says the process runs and
 * `/readyz` that it can serve. Errors are RFC 9457 problem+json. Logs name the route, the
 * status and the client, never a request body.
 */
export async function startApiServer(
  services: ApiServices,
  options: { port: number; host: string; signal?: AbortSignal },
): Promise<ApiServer> {
  const routes = apiRoutes(services).map((route) => ({ ...route, pattern: patternOf(route.path) }));
  const openApi = buildOpenApi(routes);
  const lifetime = new AbortController();
  const { logger, keys, limiter } = services;

  const handle = async (request: IncomingMessage, response: ServerResponse): Promise<void> => {
    const url = new URL(request.url ?? '/', 'http://localhost');
    const method = request.method ?? 'GET';
    if (method === 'GET' && url.pathname === '/healthz')
      return send(response, { status: 200, body: { status: 'ok' } });
    if (method === 'GET' && url.pathname === '/readyz') {
      const ready = await services.ready().catch(() => false);
      return send(response, {
        status: ready ? 200 : 503,
        body: { status: ready ? 'ready' : 'unavailable' },
      });
    }
    if (method === 'GET' && url.pathname === '/metrics' && services.metrics !== undefined) {
      const scraped = await metricsResponse(services.metrics);
      response.writeHead(scraped.status, { 'Content-Type': scraped.contentType });
      response.end(scraped.body);
      return;
    }
    if (method === 'GET' && url.pathname === '/openapi.json')
      return send(response, { status: 200, body: openApi });
    const matching = routes.filter((r) => r.pattern.test(url.pathname));
    if (matching.length === 0)
      return sendProblem(response, problem('not_found', 404, 'No such resource'));
    const route = matching.find((r) => r.method === method);
    if (route === undefined) {
      return sendProblem(response, problem('method_not_allowed', 405, 'Method not allowed'), {
        Allow: matching.map((r) => r.method).join(', '),
      });
    }
    const started = Date.now();
    const client = keys.authenticate(request.headers);
    const log = (status: number) =>
      logger.info('api request', {
        method,
        route: route.path,
        status,
        client: client?.id,
        ms: Date.now() - started,
      });
    if (client === undefined) {
      log(401);
      return sendProblem(response, problem('unauthorized', 401, 'A valid API key is required'), {
        'WWW-Authenticate': 'Bearer',
      });
    }
    if (!client.scopes.has(route.scope)) {
      log(403);
      return sendProblem(
        response,
        problem('forbidden', 403, `This API key lacks the ${route.scope} scope`),
      );
    }
    const wait = limiter.take(client.id);
    if (wait !== undefined) {
      log(429);
      return sendProblem(response, problem('rate_limited', 429, 'Too many requests'), {
        'Retry-After': String(wait),
      });
    }
    const params = route.pattern.exec(url.pathname)?.groups ?? {};
    const signal = AbortSignal.any([lifetime.signal, AbortSignal.timeout(REQUEST_TIMEOUT_MS)]);
    try {
      const reply = await route.handle({
        client,
        params: Object.fromEntries(
          Object.entries(params).map(([k, v]) => [k, decodeURIComponent(v)]),
        ),
        query: Object.fromEntries(url.searchParams),
        headers: request.headers,
        body: () => readJson(request, services.maxBodyBytes),
        signal,
      });
      log(reply.status);
      send(response, reply);
    } catch (error) {
      const { failure, headers } = problemOf(error, logger, route.path);
      log(failure.status);
      sendProblem(response, failure, headers);
    }
  };

  const server = createServer((request, response) => {
    handle(request, response).catch(() => {
      if (!response.headersSent)
        sendProblem(response, problem('internal_error', 500, 'Internal error'));
      else response.destroy();
    });
  });
  server.headersTimeout = 10_000;
  server.requestTimeout = REQUEST_TIMEOUT_MS + 5_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  let closing: Promise<void> | undefined;
  const close = (): Promise<void> => {
    closing ??= new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeIdleConnections();
      // Requests in flight finish (a booking is never cut off mid-send by a shutdown).
    }).then(() => lifetime.abort());
    return closing;
  };
  options.signal?.addEventListener('abort', () => void close(), { once: true });
  return { url: `http://${host}:${address.port}`, close };
}
