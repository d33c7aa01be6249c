import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { TLSSocket } from 'node:tls';
import { isPmsbridgeError } from '@pmsbridge/core';
import { WebhookEventTypeSchema, type Provider } from '@pmsbridge/healthconnect-contract';
import type { FaultDecision, FaultPlan, FaultRoute } from './fault-plan.js';
import { formatInstant, providerNumberOf } from './provider-generator.js';
import {
  UnknownProviderError,
  type ProviderDirectory,
  type ProviderFilters,
} from './provider-directory.js';
import type { RateDecision, RateLimiter } from './rate-limiter.js';
import { UnknownSlotError, type SandboxAdmin } from './sandbox-admin.js';
import { dayNumberOf, type SlotGenerator } from './slot-generator.js';
import { ALL_SCOPES, type Principal, type TokenIssuer } from './token-issuer.js';
import type { WebhookHub } from './webhook-hub.js';

/** Everything the request handler serves from. */
export interface ApiParts {
  directory: ProviderDirectory;
  slots: SlotGenerator;
  tokens: TokenIssuer;
  webhooks: WebhookHub;
  admin: SandboxAdmin;
  limiter: RateLimiter | undefined;
  faults: FaultPlan | undefined;
  openapi: unknown;
  now: () => Date;
  /** Registers a timer so that close() can clear it. */
  trackTimer(timer: NodeJS.Timeout): void;
}

type Status = number;
interface Reply {
  status: Status;
  /** A JSON value, a pre-serialised JSON string, or nothing (204). */
  body?: unknown;
  headers?: Record<string, string>;
}

const ERROR_CODES: Record<number, string> = {
  400: 'bad_request',
  401: 'unauthorized',
  403: 'forbidden',
  404: 'not_found',
  405: 'bad_request',
  429: 'rate_limited',
  500: 'internal',
  502: 'internal',
  503: 'unavailable',
};
const MAX_BODY_BYTES = 1_000_000;
const CHANGES_PAGE = 500;
const NOMINAL_LIMIT = 1000;

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

interface Ctx {
  req: IncomingMessage;
  method: string;
  segments: string[];
  query: URLSearchParams;
  principal: Principal | undefined;
}

/** Builds the `(req, res)` listener serving the API, the token endpoint and the admin API. */
export function createApiHandler(
  parts: ApiParts,
): (req: IncomingMessage, res: ServerResponse) => void {
  const { directory, slots, tokens, webhooks, admin, limiter, faults, now } = parts;

  const rateHeaders = (decision: RateDecision | undefined): Record<string, string> => {
    if (!decision)
      return {
        'x-ratelimit-limit': String(NOMINAL_LIMIT),
        'x-ratelimit-remaining': String(NOMINAL_LIMIT),
        'x-ratelimit-reset': String(Math.ceil(now().getTime() / 1000)),
      };
    return {
      'x-ratelimit-limit': String(decision.limit),
      'x-ratelimit-remaining': String(decision.remaining),
      'x-ratelimit-reset': String(decision.resetEpochSeconds),
    };
  };

  const send = (
    res: ServerResponse,
    requestId: string,
    reply: Reply,
    rate: RateDecision | undefined,
    fault: FaultDecision['outcome'],
  ): void => {
    const headers: Record<string, string> = {
      'x-request-id': requestId,
      ...rateHeaders(rate),
      ...reply.headers,
    };
    if (reply.body === undefined) {
      res.writeHead(reply.status, headers);
      res.end();
      return;
    }
    let text = typeof reply.body === 'string' ? reply.body : JSON.stringify(reply.body);
    headers['content-type'] = 'application/json';
    if (reply.status === 200 && fault.kind === 'malformedJson')
      text = `${text.slice(0, Math.max(1, text.length >> 1))}<!-- upstream error -->`;
    const length = Buffer.byteLength(text);
    headers['content-length'] = String(length);
    if (reply.status === 200 && fault.kind === 'truncated') {
      res.writeHead(reply.status, headers);
      // Promise the whole body, send half, then drop the connection.
      res.write(text.slice(0, text.length >> 1), () => res.destroy());
      return;
    }
    res.writeHead(reply.status, headers);
    res.end(text);
  };

  const errorReply = (
    status: number,
    message: string,
    requestId: string,
    headers: Record<string, string> = {},
  ): Reply => ({
    status,
    headers,
    body: { error: { code: ERROR_CODES[status] ?? 'internal', message, request_id: requestId } },
  });

  const present = (provider: Provider, fields?: Set<string>): Record<string, unknown> => {
    const shown: Record<string, unknown> = faults?.isCorrupted(provider.id)
      ? { ...provider, npi: 'NOT-AN-NPI' }
      : provider;
    if (!fields) return shown;
    const picked: Record<string, unknown> = { id: provider.id };
    for (const field of fields) if (field in shown) picked[field] = shown[field];
    return picked;
  };

  const requireScope = (ctx: Ctx, scope: string): Principal => {
    const principal = ctx.principal;
    if (!principal)
      throw new HttpError(401, 'Missing, unknown or expired access token', {
        'www-authenticate': 'Bearer error="invalid_token"',
      });
    if (!principal.scopes.includes(scope))
      throw new HttpError(403, `The access token lacks the ${scope} scope`, {
        'www-authenticate': `Bearer error="insufficient_scope", scope="${scope}"`,
      });
    return principal;
  };

  const providerOr404 = (id: string): Provider => {
    const provider = directory.get(id);
    if (!provider) throw new HttpError(404, `No provider ${id}`);
    return provider;
  };

  const searchProviders = (q: URLSearchParams): Reply => {
    const page = intParam(q, 'page', 1, 1, Number.MAX_SAFE_INTEGER);
    const perPage = intParam(q, 'per_page', 20, 1, 100);
    const filters: ProviderFilters = {};
    for (const [key, param] of [
      ['specialty', 'specialty'],
      ['location', 'location'],
      ['insurance', 'insurance'],
      ['name', 'name'],
      ['npi', 'npi'],
    ] as const) {
      const value = q.get(param);
      if (value !== null && value !== '') filters[key] = value;
    }
    const accepting = q.get('accepting_new_patients');
    if (accepting !== null && accepting !== '')
      filters.acceptingNewPatients = boolParam(accepting, 'accepting_new_patients');
    const fields = fieldsParam(q);
    const { providers, total } = directory.search(filters, page, perPage);
    return {
      status: 200,
      body: {
        providers: providers.map((p) => present(p, fields)),
        page,
        per_page: perPage,
        total,
        has_next_page: page * perPage < total,
      },
    };
  };

  const schedule = (id: string, q: URLSearchParams): Reply => {
    const provider = providerOr404(id);
    const start = q.get('start_date') ?? '';
    const end = q.get('end_date') ?? '';
    const startDay = dayNumberOf(start);
    const endDay = dayNumberOf(end);
    if (startDay === undefined || endDay === undefined)
      throw new HttpError(400, 'start_date and end_date are required, as YYYY-MM-DD');
    if (endDay < startDay) throw new HttpError(400, 'end_date must not be before start_date');
    if (endDay - startDay + 1 > 31) throw new HttpError(400, 'At most 31 days per request');
    const number = providerNumberOf(id) ?? 0;
    const list = slots.slotsJson(provider, number, startDay, endDay);
    return {
      status: 200,
      body: `{"provider_id":${JSON.stringify(id)},"start_date":"${start}","end_date":"${end}","schedule":${list}}`,
    };
  };

  const changes = (q: URLSearchParams): Reply => {
    const cursor = q.get('cursor');
    const since = q.get('since');
    let position: number;
    if (cursor) {
      position = decodeCursor(cursor, directory.feedLength);
    } else if (since) {
      const sinceMs = parseInstant(since);
      position = directory.firstPositionAfter(sinceMs);
    } else {
      position = 0;
    }
    const end = Math.min(directory.feedLength, position + CHANGES_PAGE);
    const entries: unknown[] = [];
    for (let p = position; p < end; p++) {
      const entry = directory.feedEntry(p);
      entries.push(entry.provider ? { ...entry, provider: present(entry.provider) } : entry);
    }
    const hasMore = end < directory.feedLength;
    const untilMs = hasMore ? directory.feedTimeMs(end - 1) : directory.watermarkMs();
    return {
      status: 200,
      body: {
        changes: entries,
        has_more: hasMore,
        next_cursor: encodeCursor(end),
        until: formatInstant(untilMs),
      },
    };
  };

  const createWebhook = async (ctx: Ctx): Promise<Reply> => {
    const body = jsonBody(await readBody(ctx.req));
    const url = body.url;
    if (typeof url !== 'string' || !/^https?:\/\//.test(url) || !URL.canParse(url))
      throw new HttpError(400, 'url must be an http(s) URL');
    const events = WebhookEventTypeSchema.array().min(1).safeParse(body.events);
    if (!events.success)
      throw new HttpError(
        400,
        `events must be a non-empty list of ${WebhookEventTypeSchema.options.join(', ')}`,
      );
    const providerId = body.provider_id;
    if (
      providerId !== undefined &&
      (typeof providerId !== 'string' || providerNumberOf(providerId) === undefined)
    )
      throw new HttpError(400, 'provider_id must be a provider id (PRV + 10 digits)');
    const hook = webhooks.add({
      url,
      events: events.data,
      ...(providerId ? { provider_id: providerId } : {}),
    });
    return { status: 201, body: hook, headers: { location: `/provider/v2/webhooks/${hook.id}` } };
  };

  const api = async (ctx: Ctx): Promise<Reply> => {
    const [, , , resource, id, sub, ...rest] = ctx.segments; // '', 'provider', 'v2', ...
    const { method, query } = ctx;
    if (resource === 'providers') {
      if (id === undefined && method === 'GET')
        return requireScope(ctx, 'provider:read') && searchProviders(query);
      if (id === 'changes' && sub === undefined && method === 'GET')
        return requireScope(ctx, 'provider:read') && changes(query);
      if (id !== undefined && rest.length === 0 && method === 'GET') {
        if (sub === undefined) {
          requireScope(ctx, 'provider:read');
          return { status: 200, body: present(providerOr404(id), fieldsParam(query)) };
        }
        if (sub === 'locations') {
          requireScope(ctx, 'provider:read');
          return { status: 200, body: { locations: providerOr404(id).locations ?? [] } };
        }
        if (sub === 'schedule') return requireScope(ctx, 'schedule:read') && schedule(id, query);
      }
    }
    if (resource === 'webhooks' && sub === undefined) {
      if (id === undefined && method === 'POST')
        return requireScope(ctx, 'webhooks:manage') && createWebhook(ctx);
      if (id === undefined && method === 'GET')
        return (
          requireScope(ctx, 'webhooks:manage') && {
            status: 200,
            body: { webhooks: webhooks.list() },
          }
        );
      if (id !== undefined && method === 'DELETE') {
        requireScope(ctx, 'webhooks:manage');
        if (!webhooks.remove(id)) throw new HttpError(404, `No webhook ${id}`);
        return { status: 204 };
      }
    }
    throw new HttpError(404, `No route ${method} ${ctx.segments.join('/')}`);
  };

  const adminApi = async (ctx: Ctx): Promise<Reply> => {
    const [, , resource, id, action, slotId, slotAction] = ctx.segments; // '', '_sandbox', ...
    const { method } = ctx;
    if (resource === 'providers') {
      if (id === undefined && method === 'POST')
        return {
          status: 201,
          body: admin.createProvider(jsonBody(await readBody(ctx.req)) as Partial<Provider>),
        };
      if (id !== undefined && action === undefined && method === 'PATCH')
        return {
          status: 200,
          body: admin.updateProvider(id, jsonBody(await readBody(ctx.req)) as Partial<Provider>),
        };
      if (
        id !== undefined &&
        action === 'deactivate' &&
        slotId === undefined &&
        method === 'POST'
      ) {
        admin.deactivateProvider(id);
        return { status: 204 };
      }
      if (id !== undefined && action === 'slots' && slotId !== undefined && method === 'POST') {
        if (slotAction === 'book') admin.bookSlot(id, slotId);
        else if (slotAction === 'free') admin.freeSlot(id, slotId);
        else throw new HttpError(404, 'Use .../slots/{slotId}/book or .../free');
        return { status: 204 };
      }
    }
    if (resource === 'webhook-deliveries' && id === undefined && method === 'GET')
      return { status: 200, body: { deliveries: admin.webhookDeliveries() } };
    if (resource === 'corrupted-providers' && id === undefined && method === 'GET')
      return { status: 200, body: { provider_ids: admin.corruptedProviderIds() } };
    throw new HttpError(404, `No admin route ${method} ${ctx.segments.join('/')}`);
  };

  const token = async (req: IncomingMessage): Promise<{ reply: Reply; clientKey: string }> => {
    const raw = await readBody(req);
    const type = req.headers['content-type'] ?? '';
    let form: URLSearchParams;
    if (type.includes('application/json')) {
      const json = jsonBody(raw);
      form = new URLSearchParams(
        Object.entries(json).flatMap(([k, v]) =>
          typeof v === 'string' ? [[k, v] as [string, string]] : [],
        ),
      );
    } else {
      form = new URLSearchParams(raw);
    }
    const result = tokens.grant(form, req.headers.authorization);
    const clientKey = form.get('client_id') ?? req.socket.remoteAddress ?? 'anonymous';
    const noStore = { 'cache-control': 'no-store', pragma: 'no-cache' };
    if ('access_token' in result)
      return { reply: { status: 200, body: result, headers: noStore }, clientKey };
    const headers: Record<string, string> = { ...noStore };
    if (result.status === 401 && result.usedBasic)
      headers['www-authenticate'] = 'Basic realm="healthconnect"';
    return {
      reply: {
        status: result.status,
        headers,
        body: { error: result.error, error_description: result.description },
      },
      clientKey,
    };
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const requestId = `req_${randomUUID()}`;
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    const path = q < 0 ? url : url.slice(0, q);
    const query = new URLSearchParams(q < 0 ? '' : url.slice(q + 1));
    const method = req.method ?? 'GET';
    const segments = path.split('/').map(safeDecode);
    if (segments.length > 1 && segments[segments.length - 1] === '') segments.pop();
    const route = faultRouteOf(method, segments);
    const decision: FaultDecision =
      route && faults ? faults.next(route) : { outcome: { kind: 'none' }, delayMs: 0 };
    if (decision.delayMs > 0) {
      await new Promise<void>((resolve) => parts.trackTimer(setTimeout(resolve, decision.delayMs)));
      if (res.destroyed) return;
    }
    const outcome = decision.outcome;
    if (outcome.kind === 'reset') {
      req.socket.destroy();
      return;
    }
    if (outcome.kind === 'status') {
      const retry: Record<string, string> =
        outcome.status === 429 || outcome.status === 503 ? { 'retry-after': '1' } : {};
      const message = outcome.status === 429 ? 'Too many requests' : 'Injected fault';
      send(
        res,
        requestId,
        errorReply(outcome.status, message, requestId, retry),
        undefined,
        outcome,
      );
      return;
    }
    let rate: RateDecision | undefined;
    try {
      if (route === 'token' || (segments[1] === 'token' && segments.length === 2)) {
        if (method !== 'POST') throw new HttpError(405, 'Use POST /token');
        const { reply, clientKey } = await token(req);
        rate = limiter?.take(`token:${clientKey}`);
        if (rate && !rate.allowed) throw rateLimited(rate);
        send(res, requestId, reply, rate, outcome);
        return;
      }
      const ctx: Ctx = { req, method, segments, query, principal: undefined };
      let reply: Reply;
      if (segments[1] === 'provider' && segments[2] === 'v2') {
        ctx.principal = certificatePrincipal(req) ?? tokens.authenticate(req.headers.authorization);
        if (ctx.principal && limiter) {
          rate = limiter.take(ctx.principal.clientId);
          if (!rate.allowed) throw rateLimited(rate);
        }
        reply = await api(ctx);
      } else if (segments[1] === '_sandbox') {
        reply = await adminApi(ctx);
      } else if (path === '/openapi.json' && method === 'GET') {
        reply = { status: 200, body: parts.openapi };
      } else {
        throw new HttpError(404, `No route ${method} ${path}`);
      }
      send(res, requestId, reply, rate, outcome);
    } catch (error) {
      send(res, requestId, errorFor(error, requestId), rate, { kind: 'none' });
    }
  };

  const errorFor = (error: unknown, requestId: string): Reply => {
    if (error instanceof HttpError)
      return errorReply(error.status, error.message, requestId, error.headers);
    if (error instanceof UnknownProviderError || error instanceof UnknownSlotError)
      return errorReply(404, error.message, requestId);
    if (isPmsbridgeError(error)) return errorReply(400, error.message, requestId);
    return errorReply(500, 'Internal sandbox error', requestId);
  };

  return (req, res) => {
    handle(req, res).catch((error: unknown) => {
      if (!res.headersSent) res.writeHead(500).end();
      else res.destroy(error instanceof Error ? error : undefined);
    });
  };
}

function rateLimited(rate: RateDecision): HttpError {
  return new HttpError(429, 'Rate limit exceeded; retry after Retry-After seconds', {
    'retry-after': String(rate.retryAfterSeconds),
  });
}

/** The principal of a connection with a client certificate the CA vouches for. */
function certificatePrincipal(req: IncomingMessage): Principal | undefined {
  const socket = req.socket as Partial<TLSSocket>;
  if (!socket.encrypted || !socket.authorized) return undefined;
  const subject = socket.getPeerCertificate?.().subject;
  const name = subject && typeof subject.CN === 'string' ? subject.CN : 'client';
  return { clientId: `mtls:${name}`, scopes: ALL_SCOPES };
}

function faultRouteOf(method: string, s: string[]): Exclude<FaultRoute, '*'> | undefined {
  if (s[1] === 'token' && s.length === 2) return 'token';
  if (s[1] !== 'provider' || s[2] !== 'v2' || s[3] !== 'providers' || method !== 'GET')
    return undefined;
  if (s.length === 4) return 'providers';
  if (s.length === 5) return s[4] === 'changes' ? 'changes' : 'provider';
  if (s.length === 6 && s[5] === 'schedule') return 'schedule';
  if (s.length === 6 && s[5] === 'locations') return 'provider';
  return undefined;
}

function safeDecode(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

function intParam(
  q: URLSearchParams,
  name: string,
  fallback: number,
  min: number,
  max: number,
): number {
  const raw = q.get(name);
  if (raw === null || raw === '') return fallback;
  const n = /^\d+$/.test(raw) ? Number(raw) : Number.NaN;
  if (!Number.isSafeInteger(n) || n < min || n > max)
    throw new HttpError(400, `${name} must be an integer from ${min} to ${max}`);
  return n;
}

function boolParam(raw: string, name: string): boolean {
  if (raw === 'true' || raw === 'True' || raw === '1') return true;
  if (raw === 'false' || raw === 'False' || raw === '0') return false;
  throw new HttpError(400, `${name} must be true or false`);
}

function fieldsParam(q: URLSearchParams): Set<string> | undefined {
  const raw = q.get('fields');
  if (raw === null || raw.trim() === '') return undefined;
  return new Set(
    raw
      .split(',')
      .map((f) => f.trim())
      .filter((f) => f.length > 0),
  );
}

function parseInstant(raw: string): number {
  const ok = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/i.test(raw);
  const ms = ok ? Date.parse(raw) : Number.NaN;
  if (Number.isNaN(ms))
    throw new HttpError(400, 'since must be an RFC 3339 instant, e.g. 2026-01-01T00:00:00Z');
  return ms;
}

/** Cursors are stateless: they encode the feed position, so any cursor can be fetched again. */
function encodeCursor(position: number): string {
  return Buffer.from(`p:${position}`).toString('base64url');
}

function decodeCursor(cursor: string, length: number): number {
  const m = /^p:(\d+)$/.exec(Buffer.from(cursor, 'base64url').toString('utf8'));
  const position = m ? Number(m[1]) : Number.NaN;
  if (!Number.isSafeInteger(position) || position > length)
    throw new HttpError(400, 'Invalid cursor');
  return position;
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const buffer = chunk as Buffer;
    size += buffer.length;
    if (size > MAX_BODY_BYTES) throw new HttpError(400, 'Request body too large');
    chunks.push(buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function jsonBody(raw: string): Record<string, unknown> {
  if (raw.trim() === '') return {};
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch {
    throw new HttpError(400, 'Request body is not valid JSON');
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw new HttpError(400, 'Request body must be a JSON object');
  return value as Record<string, unknown>;
}
