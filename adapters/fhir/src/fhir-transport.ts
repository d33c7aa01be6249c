import { Client } from 'fhir-kit-client';
import {
  CancelledError,
  ErrorCode,
  RemoteError,
  isPmsbridgeError,
  type Logger,
} from '@pmsbridge/core';
import {
  RequestPipeline,
  RetryPolicy,
  sleep as realSleep,
  type AttemptFailure,
  type CircuitBreaker,
  type HttpObserver,
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

interface HttpFailure {
  response?: { status?: number; data?: unknown };
  config?: { headers?: Headers };
}

function failureOf(error: unknown): HttpFailure {
  return typeof error === 'object' && error !== null ? (error as HttpFailure) : {};
}

/** fhir-kit-client's failures for the retry policy; our own errors are never retried. */
function readFhirFailure(error: unknown): AttemptFailure | undefined {
  if (isPmsbridgeError(error)) return undefined;
  const failure = failureOf(error);
  const status = failure.response?.status;
  return {
    status,
    retryAfter: failure.config?.headers?.get('retry-after') ?? undefined,
    isTransient: status === undefined,
  };
}

/** The status an attempt ended with, for metrics: its response's, or its error's; `undefined` without one. */
function readFhirStatus(outcome: unknown): number | undefined {
  if (typeof outcome !== 'object' || outcome === null) return undefined;
  return (
    failureOf(outcome).response?.status ??
    Client.httpFor(outcome as Parameters<typeof Client.httpFor>[0]).response?.status
  );
}

/**
 * True when `error` is the server refusing one request's content (a 4xx other than 401, 403,
 * 407, 408 and 429): a record-level rejection. Anything else (credentials, rate limits,
 * 5xx after retries, no answer, an open circuit) says the server is unusable for every
 * record, and a sink must fail the run rather than dead-letter its records.
 */
export function isRecordRejection(error: unknown): boolean {
  // By code and status, not instanceof: the error may come from another copy of the package.
  if (!isPmsbridgeError(error) || error.code !== ErrorCode.FhirRejected) return false;
  const status = error.details?.status;
  return (
    typeof status === 'number' &&
    status >= 400 &&
    status < 500 &&
    ![401, 403, 407, 408, 429].includes(status)
  );
}

/**
 * FHIR REST calls over fhir-kit-client, sent through core's `RequestPipeline`: auth
 * headers (one fresh token after a 401), retries (429, 5xx and network failures with
 * backoff and no jitter, honouring Retry-After), an optional circuit breaker (5xx and network failures
 * count; while open, calls fail at once with a `PMS_CIRCUIT_OPEN` error) and errors turned
 * into {@link FhirServerError}s that carry the server's OperationOutcome.
 */
export class FhirTransport {
  private readonly client: Client;
  private readonly pipeline: RequestPipeline;

  constructor(
    readonly baseUrl: string,
    auth: RequestAuth,
    retry: FhirRetryOptions,
    logger: Logger,
    sleep: Sleep = realSleep,
    now: () => number = () => Date.now(),
    breaker?: CircuitBreaker,
    /** Told of every request, retry and the breaker's state, for metrics. */
    observer?: HttpObserver,
  ) {
    this.client = new Client({ baseUrl: baseUrl.replace(/\/+$/, '') });
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
        const status = failureOf(error).response?.status;
        return status === undefined || status >= 500;
      },
      isCredentialRejected: (error) => failureOf(error).response?.status === 401,
      observer,
      readStatus: readFhirStatus,
      onRetry: ({ method, path, attempt, delayMs, error }) =>
        logger.warn('fhir request failed, retrying', {
          method,
          path,
          status: failureOf(error).response?.status,
          attempt,
          delayMs,
        }),
    });
  }

  /** The server's CapabilityStatement. */
  capabilities(signal: AbortSignal): Promise<CapabilityStatement> {
    return this.call('GET', 'metadata', '/metadata', signal, (options) =>
      this.client.capabilityStatement(options),
    ) as Promise<CapabilityStatement>;
  }

  /** POSTs a transaction Bundle; resolves to the transaction-response Bundle. */
  transaction(bundle: Bundle, signal: AbortSignal): Promise<Bundle> {
    return this.call('POST', '', '/', signal, (options) =>
      this.client.transaction({ body: bundle as never, options }),
    ) as Promise<Bundle>;
  }

  /** A search; resolves to the searchset Bundle. */
  search(
    resourceType: string,
    searchParams: Record<string, string>,
    signal: AbortSignal,
  ): Promise<Bundle> {
    return this.call('GET', resourceType, `/${resourceType}`, signal, (options) =>
      this.client.search({ resourceType, searchParams, options }),
    ) as Promise<Bundle>;
  }

  /**
   * Creates a resource; with `ifNoneExist` (a search, e.g. `identifier=sys|v`) the server
   * creates it only when nothing matches, and answers with the match otherwise.
   */
  create<T extends Resource>(
    resource: T,
    signal: AbortSignal,
    options: { ifNoneExist?: string } = {},
  ): Promise<T> {
    const type = resource.resourceType;
    return this.call('POST', type, `/${type}`, signal, ({ headers, ...rest }) =>
      this.client.create({
        resourceType: resource.resourceType,
        body: resource as never,
        options: {
          ...rest,
          headers: {
            ...headers,
            ...(options.ifNoneExist === undefined ? {} : { 'If-None-Exist': options.ifNoneExist }),
          },
        },
      }),
    ) as Promise<T>;
  }

  /** Reads one resource. */
  read<T extends Resource>(resourceType: string, id: string, signal: AbortSignal): Promise<T> {
    return this.call('GET', `${resourceType}/${id}`, `/${resourceType}/{id}`, signal, (options) =>
      this.client.read({ resourceType, id, options }),
    ) as Promise<T>;
  }

  /** Updates a resource by its id. */
  update<T extends Resource & { id: string }>(resource: T, signal: AbortSignal): Promise<T> {
    const { resourceType, id } = resource;
    return this.call('PUT', `${resourceType}/${id}`, `/${resourceType}/{id}`, signal, (options) =>
      this.client.update({
        resourceType: resource.resourceType,
        id: resource.id,
        body: resource as never,
        options,
      }),
    ) as Promise<T>;
  }

  /** `route` is `path` as a template for metrics, the id replaced (`/Practitioner/{id}`). */
  private async call(
    method: string,
    path: string,
    route: string,
    signal: AbortSignal,
    send: (options: { signal: AbortSignal; headers: Record<string, string> }) => Promise<unknown>,
  ): Promise<Resource> {
    try {
      return await this.pipeline.send(
        { method, path, route, isIdempotent: true, signal },
        async (authorization) => {
          const headers: Record<string, string> = { accept: 'application/fhir+json' };
          if (authorization !== undefined) headers.authorization = authorization;
          try {
            return (await send({ signal, headers })) as Resource;
          } catch (error) {
            if (signal.aborted) throw new CancelledError(undefined, error);
            throw error;
          }
        },
      );
    } catch (error) {
      // Our own errors (cancelled, circuit open, token endpoint) already say what happened.
      if (isPmsbridgeError(error)) throw error;
      throw this.toError(error, method, path);
    }
  }

  private toError(error: unknown, method: string, path: string): RemoteError {
    const failure = failureOf(error);
    const status = failure.response?.status;
    const requestId = failure.config?.headers?.get('x-request-id') ?? undefined;
    if (status === undefined) {
      return new RemoteError(
        `Could not reach the FHIR server at ${this.baseUrl}: ${(error as Error).message}`,
        { system: 'fhir', method, path },
        { cause: error, code: ErrorCode.NetUnreachable },
      );
    }
    const issues = parseOperationOutcome(failure.response?.data);
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
