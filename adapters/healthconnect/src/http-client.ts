import type { Dispatcher } from 'undici';
import { ErrorCode, isPmsbridgeError, type Clock, type Logger } from '@pmsbridge/core';
import {
  exchange,
  type ExchangeResponse,
  type RateGate,
  type RequestPipeline,
} from '@pmsbridge/core/http';
import { HealthConnectError, InsufficientScopeError, networkFailureCode } from './remote-errors.js';

/** One API call. `path` is relative to the base URL, e.g. `/providers/PRV0000000001`. */
export interface HttpRequest {
  method: 'GET' | 'POST' | 'DELETE';
  path: string;
  /** The path as a template for metrics (`/providers/{id}`); default `path`, digits-bearing segments replaced. */
  route?: string;
  query?: Record<string, string | number | boolean | undefined>;
  body?: unknown;
  signal?: AbortSignal;
}

/** A successful answer: status and parsed JSON body (`undefined` when empty). */
export interface HttpResponse {
  status: number;
  body: unknown;
  requestId?: string;
}

/** What an {@link HttpClient} sends through. */
export interface HttpClientParts {
  baseUrl: string;
  dispatcher?: Dispatcher;
  /**
   * Core's pipeline: retry, token (absent with mutual TLS), circuit breaker, concurrency
   * limit and rate gate, composed for HealthConnect by `createHealthConnectClient`.
   */
  pipeline: RequestPipeline;
  /** The pipeline's gate, told of the `X-RateLimit-*` headers of every response. */
  gate: RateGate;
  clock: Clock;
  logger: Logger;
  /** Longest one attempt may take, from sending to the last body byte. */
  requestTimeoutMs: number;
}

const IDEMPOTENT = new Set(['GET', 'DELETE']);

/**
 * Sends HealthConnect API calls through core's {@link RequestPipeline} (retry → auth →
 * circuit breaker → concurrency limit → rate gate) over undici. Throws
 * {@link HealthConnectError}s carrying status, `X-Request-Id` and the remote error code.
 */
export class HttpClient {
  readonly #base: string;

  constructor(private readonly parts: HttpClientParts) {
    this.#base = parts.baseUrl.replace(/\/+$/, '');
  }

  /** Sends `req`, retrying what may be retried. */
  send(req: HttpRequest): Promise<HttpResponse> {
    return this.parts.pipeline.send(
      {
        method: req.method,
        path: req.path,
        route: req.route,
        isIdempotent: IDEMPOTENT.has(req.method),
        signal: req.signal,
      },
      (authorization) => this.#exchange(req, authorization),
    );
  }

  async #exchange(req: HttpRequest, authorization: string | undefined): Promise<HttpResponse> {
    const { clock, logger } = this.parts;
    const url = this.#url(req);
    const started = clock.now().getTime();
    const headers: Record<string, string> = { accept: 'application/json' };
    if (authorization !== undefined) headers.authorization = authorization;
    if (req.body !== undefined) headers['content-type'] = 'application/json';
    let response: ExchangeResponse;
    try {
      response = await exchange({
        url,
        method: req.method,
        headers,
        body: req.body === undefined ? undefined : JSON.stringify(req.body),
        dispatcher: this.parts.dispatcher,
        signal: req.signal,
        timeoutMs: this.parts.requestTimeoutMs,
      });
    } catch (error) {
      if (isPmsbridgeError(error)) throw error; // cancelled by the caller
      logger.debug('request failed', {
        method: req.method,
        path: req.path,
        durationMs: clock.now().getTime() - started,
        error: (error as Error).message,
      });
      throw networkError(req, error);
    }
    const { status, text } = response;
    const requestId = response.header('x-request-id');
    logger.debug('request', {
      method: req.method,
      path: req.path,
      status,
      durationMs: clock.now().getTime() - started,
      requestId,
    });
    this.parts.gate.observe(
      numberHeader(response, 'x-ratelimit-remaining'),
      epochMs(numberHeader(response, 'x-ratelimit-reset')),
      numberHeader(response, 'x-ratelimit-limit'),
    );
    if (status >= 200 && status < 300)
      return { status, body: parseBody(req, status, text, requestId), requestId };
    throw statusError(req, status, text, response, requestId);
  }

  #url(req: HttpRequest): string {
    const url = new URL(this.#base + req.path);
    for (const [key, value] of Object.entries(req.query ?? {})) {
      if (value !== undefined) url.searchParams.set(key, String(value));
    }
    return url.toString();
  }
}

/**
 * The status an attempt ended with, for metrics: an {@link HttpResponse}'s or a
 * {@link HealthConnectError}'s; `undefined` when no response arrived.
 */
export function readHealthConnectStatus(outcome: unknown): number | undefined {
  const status = (outcome as { status?: unknown } | null | undefined)?.status;
  return typeof status === 'number' ? status : undefined;
}

function networkError(req: HttpRequest, error: unknown): HealthConnectError {
  const cause = error as { code?: string; message?: string };
  return new HealthConnectError(
    `${req.method} ${req.path} failed without a usable response (${cause.code ?? (error as Error).name}): ${cause.message ?? ''}`.trim(),
    { method: req.method, path: req.path, isNetworkError: true },
    { cause: error, code: networkFailureCode(error) },
  );
}

function parseBody(
  req: HttpRequest,
  status: number,
  text: string,
  requestId: string | undefined,
): unknown {
  if (text.length === 0) return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw new HealthConnectError(
      `${req.method} ${req.path} answered ${status} with a body that is not valid JSON (${text.length} bytes)`,
      { method: req.method, path: req.path, status, requestId, remoteCode: 'invalid_json' },
      { cause: error },
    );
  }
}

function statusError(
  req: HttpRequest,
  status: number,
  text: string,
  response: ExchangeResponse,
  requestId: string | undefined,
): Error {
  const remote = readErrorBody(text);
  const challenge = response.header('www-authenticate') ?? '';
  if (status === 403 && /insufficient_scope/.test(challenge)) {
    const scope = /scope="([^"]*)"/.exec(challenge)?.[1];
    return new InsufficientScopeError(req.path, requestId ?? remote.requestId, scope);
  }
  const code = statusCode(status);
  return new HealthConnectError(
    `${req.method} ${req.path} answered ${status}${remote.code === undefined ? '' : ` (${remote.code})`}${remote.message === undefined ? '' : `: ${remote.message}`}`,
    {
      method: req.method,
      path: req.path,
      status,
      requestId: requestId ?? remote.requestId,
      remoteCode: remote.code,
      retryAfter: response.header('retry-after'),
      authError: bearerError(challenge),
    },
    { code },
  );
}

/** The precise code of an error status; each keeps the category its coarse code had. */
function statusCode(status: number): ErrorCode {
  if (status === 429) return ErrorCode.HcRateLimited;
  if (status === 401) return ErrorCode.HcAuthRefused;
  if (status >= 500) return ErrorCode.HcUnavailable;
  return ErrorCode.HcRejected;
}

/** The `error` parameter of a `Bearer` challenge (`Bearer error="invalid_token"` → `invalid_token`). */
function bearerError(challenge: string): string | undefined {
  if (!/^\s*Bearer\b/i.test(challenge)) return undefined;
  return /\berror="([^"]*)"/i.exec(challenge)?.[1] ?? /\berror=([^\s,"]+)/i.exec(challenge)?.[1];
}

function readErrorBody(text: string): { code?: string; message?: string; requestId?: string } {
  try {
    const body = JSON.parse(text) as {
      error?: { code?: unknown; message?: unknown; request_id?: unknown };
    };
    const error = body.error;
    if (typeof error !== 'object' || error === null) return {};
    return {
      code: typeof error.code === 'string' ? error.code : undefined,
      message: typeof error.message === 'string' ? error.message.slice(0, 200) : undefined,
      requestId: typeof error.request_id === 'string' ? error.request_id : undefined,
    };
  } catch {
    return {};
  }
}

function numberHeader(response: ExchangeResponse, name: string): number | undefined {
  const value = response.header(name);
  if (value === undefined || !/^\d+$/.test(value.trim())) return undefined;
  return Number(value);
}

function epochMs(seconds: number | undefined): number | undefined {
  return seconds === undefined ? undefined : seconds * 1000;
}
