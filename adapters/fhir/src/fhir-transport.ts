import { RemoteError, isPmsbridgeError, type Logger } from '@pmsbridge/core';
import {
  RequestPipeline,
  RetryPolicy,
  exchange,
  sleep as realSleep,
  type AttemptFailure,
  type CircuitBreaker,
  type RequestAuth,
  type Sleep,
} from '@pmsbridge/core/http';
import type { Bundle, CapabilityStatement, Resource } from '@medplum/fhirtypes';
import { FhirServerError, parseOperationOutcome } from './operation-outcome.js';

/** Retries of 429, 5xx and network failures. */
export interface FhirRetryOptions {
  /** Retries after the first attempt. Default 4. */
  maxRetries: number;
  /** First backoff; doubles each retry. Default 500 ms. */
  baseDelayMs: number;
  /** Upper bound of any wait, Retry-After included. Default 60 s. */
  maxDelayMs: number;
}

/**
 * One attempt's failure before it becomes the caller's error: the server's status and
 * body (an error status, or a 2xx whose body is not JSON), or no status when no answer came.
 */
class FhirHttpFailure extends Error {
  constructor(
    readonly status: number | undefined,
    readonly data: unknown,
    readonly retryAfter: string | undefined,
    readonly requestId: string | undefined,
    cause?: unknown,
  ) {
    super(status === undefined ? 'no answer' : `HTTP ${status}`, { cause });
  }
}

function statusOf(error: unknown): number | undefined {
  return error instanceof FhirHttpFailure ? error.status : undefined;
}

/** An attempt's failure for the retry policy; our own errors are never retried. */
function readFhirFailure(error: unknown): AttemptFailure | undefined {
  if (!(error instanceof FhirHttpFailure)) return undefined;
  return {
    status: error.status,
    retryAfter: error.retryAfter,
    isTransient: error.status === undefined,
  };
}

/**
 * True when `error` is the server refusing one request's content (a 4xx other than 401, 403,
 * 407, 408 and 429): a record-level rejection. Anything else (credentials, rate limits,
 * 5xx after retries, no answer, an open circuit) says the server is unusable for every
 * record, and a sink must fail the run rather than dead-letter its records.
 */
export function isRecordRejection(error: unknown): boolean {
  if (!(error instanceof FhirServerError) || error.status === undefined) return false;
  return (
    error.status >= 400 && error.status < 500 && ![401, 403, 407, 408, 429].includes(error.status)
  );
}

/**
 * FHIR REST calls over undici, sent through core's `RequestPipeline`: auth
 * headers (one fresh token after a 401), retries (429, 5xx and network failures with
 * backoff and no jitter, honouring Retry-After), an optional circuit breaker (5xx and network failures
 * count; while open, calls fail at once with a `PMS_CIRCUIT_OPEN` error) and errors turned
 * into {@link FhirServerError}s that carry the server's OperationOutcome.
 */
export class FhirTransport {
  private readonly base: string;
  private readonly pipeline: RequestPipeline;

  constructor(
    readonly baseUrl: string,
    auth: RequestAuth,
    retry: FhirRetryOptions,
    logger: Logger,
    sleep: Sleep = realSleep,
    now: () => number = () => Date.now(),
    breaker?: CircuitBreaker,
  ) {
    this.base = baseUrl.replace(/\/+$/, '');
    this.pipeline = new RequestPipeline({
      retry: new RetryPolicy(
        {
          maxAttempts: retry.maxRetries + 1,
          baseDelayMs: retry.baseDelayMs,
          maxDelayMs: retry.maxDelayMs,
          maxRetryAfterMs: retry.maxDelayMs,
          jitter: 'none',
          rateLimitWaitMs: 'backoff',
          isRetryableStatus: (status) => status >= 500,
        },
        { now: () => new Date(now()) },
        readFhirFailure,
      ),
      sleep,
      auth,
      breaker,
      isSignOfTrouble: (error) => {
        if (!(error instanceof FhirHttpFailure)) return false;
        return error.status === undefined || error.status >= 500;
      },
      isCredentialRejected: (error) => statusOf(error) === 401,
      onRetry: ({ method, path, attempt, delayMs, error }) =>
        logger.warn('fhir request failed, retrying', {
          method,
          path,
          status: statusOf(error),
          attempt,
          delayMs,
        }),
    });
  }

  /** The server's CapabilityStatement. */
  capabilities(signal: AbortSignal): Promise<CapabilityStatement> {
    return this.call('GET', 'metadata', signal) as Promise<CapabilityStatement>;
  }

  /** POSTs a transaction Bundle; resolves to the transaction-response Bundle. */
  transaction(bundle: Bundle, signal: AbortSignal): Promise<Bundle> {
    return this.call('POST', '', signal, bundle) as Promise<Bundle>;
  }

  /** A search; resolves to the searchset Bundle. */
  search(
    resourceType: string,
    searchParams: Record<string, string>,
    signal: AbortSignal,
  ): Promise<Bundle> {
    const query = new URLSearchParams(searchParams).toString();
    return this.call(
      'GET',
      query === '' ? resourceType : `${resourceType}?${query}`,
      signal,
    ) as Promise<Bundle>;
  }

  private async call(
    method: string,
    path: string,
    signal: AbortSignal,
    body?: Resource,
  ): Promise<Resource> {
    try {
      return await this.pipeline.send(
        { method, path: path.split('?', 1)[0] ?? path, isIdempotent: true, signal },
        (authorization) => this.attempt(method, path, signal, body, authorization),
      );
    } catch (error) {
      // Our own errors (cancelled, circuit open, token endpoint) already say what happened.
      if (isPmsbridgeError(error)) throw error;
      throw this.toError(error, method, path.split('?', 1)[0] ?? path);
    }
  }

  private async attempt(
    method: string,
    path: string,
    signal: AbortSignal,
    body: Resource | undefined,
    authorization: string | undefined,
  ): Promise<Resource> {
    const headers: Record<string, string> = { accept: 'application/fhir+json' };
    if (authorization !== undefined) headers.authorization = authorization;
    if (body !== undefined) headers['content-type'] = 'application/fhir+json';
    let response: Awaited<ReturnType<typeof exchange>>;
    try {
      response = await exchange({
        url: `${this.base}/${path}`,
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
        signal,
      });
    } catch (error) {
      if (isPmsbridgeError(error)) throw error;
      throw new FhirHttpFailure(undefined, undefined, undefined, undefined, error);
    }
    const { status, text } = response;
    let data: unknown = {};
    let isJson = true;
    if (text.length > 0) {
      try {
        data = JSON.parse(text) as unknown;
      } catch {
        data = text;
        isJson = false;
      }
    }
    if (status >= 200 && status < 300 && isJson) return data as Resource;
    throw new FhirHttpFailure(
      status,
      data,
      response.header('retry-after'),
      response.header('x-request-id'),
    );
  }

  private toError(error: unknown, method: string, path: string): RemoteError {
    if (!(error instanceof FhirHttpFailure) || error.status === undefined) {
      const cause = error instanceof FhirHttpFailure ? error.cause : error;
      return new RemoteError(
        `Could not reach the FHIR server at ${this.baseUrl}: ${(cause as Error).message}`,
        { system: 'fhir', method, path },
        { cause },
      );
    }
    const { status, requestId } = error;
    const issues = parseOperationOutcome(error.data);
    const hint =
      status === 401 || status === 403
        ? " (the server refused the credentials: check the sink's auth option, its token or client credentials and their scopes)"
        : '';
    return new FhirServerError(
      `FHIR server answered ${method} ${path || '/'} with HTTP ${status}${hint}`,
      { status, method, path, requestId },
      issues,
      error,
    );
  }
}
