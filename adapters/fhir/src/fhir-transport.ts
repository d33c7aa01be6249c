import { Client } from 'fhir-kit-client';
import { CancelledError, RemoteError, type Logger } from '@pmsbridge/core';
import type { Bundle, CapabilityStatement, Resource } from '@medplum/fhirtypes';
import type { CircuitBreaker } from './circuit-breaker.js';
import type { AuthHeaderProvider } from './fhir-auth.js';
import { FhirServerError, parseOperationOutcome } from './operation-outcome.js';

/** Waits `ms`, or rejects when `signal` aborts. Injected so tests need not wait. */
export type Sleep = (ms: number, signal: AbortSignal) => Promise<void>;

/** The real {@link Sleep}. */
export const realSleep: Sleep = (ms, signal) =>
  new Promise((resolve, reject) => {
    if (signal.aborted) return reject(new CancelledError());
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(new CancelledError());
    };
    signal.addEventListener('abort', onAbort, { once: true });
  });

/** Retry policy for 429, 5xx and network failures. */
export interface RetryPolicy {
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

/** Seconds or an HTTP date → milliseconds from `now`; undefined when absent or unreadable. */
export function retryAfterMs(value: string | null | undefined, now: number): number | undefined {
  if (value === null || value === undefined || value.trim() === '') return undefined;
  if (/^\d+$/.test(value.trim())) return Number(value.trim()) * 1000;
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

/**
 * FHIR REST calls over fhir-kit-client with auth headers, retries (429 and 5xx with
 * backoff, honouring Retry-After), an optional circuit breaker (5xx and network failures
 * count; while open, calls fail at once with a `PMS_CIRCUIT_OPEN` error) and errors turned
 * into {@link FhirServerError}s that carry the server's OperationOutcome.
 */
export class FhirTransport {
  private readonly client: Client;

  constructor(
    readonly baseUrl: string,
    private readonly auth: AuthHeaderProvider,
    private readonly retry: RetryPolicy,
    private readonly logger: Logger,
    private readonly sleep: Sleep = realSleep,
    private readonly now: () => number = () => Date.now(),
    private readonly breaker?: CircuitBreaker,
  ) {
    this.client = new Client({ baseUrl: baseUrl.replace(/\/+$/, '') });
  }

  /** The server's CapabilityStatement. */
  capabilities(signal: AbortSignal): Promise<CapabilityStatement> {
    return this.call('GET', 'metadata', signal, (options) =>
      this.client.capabilityStatement(options),
    ) as Promise<CapabilityStatement>;
  }

  /** POSTs a transaction Bundle; resolves to the transaction-response Bundle. */
  transaction(bundle: Bundle, signal: AbortSignal): Promise<Bundle> {
    return this.call('POST', '', signal, (options) =>
      this.client.transaction({ body: bundle as never, options }),
    ) as Promise<Bundle>;
  }

  /** A search; resolves to the searchset Bundle. */
  search(
    resourceType: string,
    searchParams: Record<string, string>,
    signal: AbortSignal,
  ): Promise<Bundle> {
    return this.call('GET', resourceType, signal, (options) =>
      this.client.search({ resourceType, searchParams, options }),
    ) as Promise<Bundle>;
  }

  private async call(
    method: string,
    path: string,
    signal: AbortSignal,
    send: (options: { signal: AbortSignal; headers: Record<string, string> }) => Promise<unknown>,
  ): Promise<Resource> {
    for (let attempt = 0; ; attempt++) {
      signal.throwIfAborted();
      const headers: Record<string, string> = { accept: 'application/fhir+json' };
      const authorization = await this.auth.header(signal);
      if (authorization !== undefined) headers.authorization = authorization;
      this.breaker?.admit();
      try {
        const result = (await send({ signal, headers })) as Resource;
        this.breaker?.recordSuccess();
        return result;
      } catch (error) {
        if (signal.aborted) {
          this.breaker?.release();
          throw new CancelledError(undefined, error);
        }
        const failure = failureOf(error);
        const status = failure.response?.status;
        if (status === undefined || status >= 500) this.breaker?.recordFailure();
        else this.breaker?.recordSuccess();
        if (status === 401 && attempt === 0) {
          this.auth.invalidate();
          continue;
        }
        const retryable = status === undefined || status === 429 || status >= 500;
        if (!retryable || attempt >= this.retry.maxRetries) throw this.toError(error, method, path);
        // Once the circuit is open, waiting to retry is pointless: fail now.
        this.breaker?.check();
        const hinted = retryAfterMs(failure.config?.headers?.get('retry-after'), this.now());
        const delay = Math.min(
          this.retry.maxDelayMs,
          hinted ?? this.retry.baseDelayMs * 2 ** attempt,
        );
        this.logger.warn('fhir request failed, retrying', {
          method,
          path,
          status,
          attempt: attempt + 1,
          delayMs: delay,
        });
        await this.sleep(delay, signal);
      }
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
        { cause: error },
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
