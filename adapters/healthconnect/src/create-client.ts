import type { Dispatcher } from 'undici';
import {
  ConfigError,
  MemoryCache,
  parseWith,
  silentLogger,
  systemClock,
  type Cache,
  type Clock,
  type HttpObserver,
  type Logger,
} from '@pmsbridge/core';
import {
  CircuitBreaker,
  ConcurrencyLimit,
  RateGate,
  RequestPipeline,
  RetryPolicy,
  TokenProvider,
  bearerAuth,
  createDispatcher,
  loadMtlsFiles,
  sleep as realSleep,
  type RequestAuth,
  type Sleep,
} from '@pmsbridge/core/http';
import { HealthConnectClient } from './healthconnect-client.js';
import { HttpClient, readHealthConnectStatus } from './http-client.js';
import { HealthConnectOptionsSchema, type HealthConnectOptionsInput } from './options.js';
import {
  CircuitOpenError,
  healthConnectTokenErrors,
  isHealthConnectError,
  isSignOfTrouble,
  isTokenRejected,
  readHealthConnectFailure,
} from './remote-errors.js';

/** What a client gets from its surroundings; every field has a default. */
export interface ClientDependencies {
  logger?: Logger;
  /** Default: a `MemoryCache` of 1 000 entries. */
  cache?: Cache;
  clock?: Clock;
  /** Directory that relative `mtls` paths are resolved against. Default: the working directory. */
  baseDir?: string;
  /** Injected in tests so that no test waits for real. */
  sleep?: Sleep;
  /** Source of jitter, in [0, 1). */
  random?: () => number;
  /** Replaces the undici `Agent` the client would build (tests, proxies). */
  dispatcher?: Dispatcher;
  /** Told of every request, retry and the circuit's state, for metrics. */
  observer?: HttpObserver;
}

/**
 * Builds a {@link HealthConnectClient} from options (validated, defaults applied): OAuth 2.0
 * client credentials or mutual TLS, rate gate, retry policy, circuit breaker, bounded
 * concurrency and timeouts. Close it with `client.close()`.
 */
export function createHealthConnectClient(
  input: HealthConnectOptionsInput,
  deps: ClientDependencies = {},
): HealthConnectClient {
  const options = parseWith(HealthConnectOptionsSchema, input, 'HealthConnect options');
  const logger = (deps.logger ?? silentLogger).child({ component: 'healthconnect-client' });
  const clock = deps.clock ?? systemClock;
  const sleep = deps.sleep ?? realSleep;
  const ownDispatcher =
    deps.dispatcher === undefined
      ? createDispatcher({
          connectTimeoutMs: options.timeouts.connectMs,
          headersTimeoutMs: options.timeouts.headersMs,
          bodyTimeoutMs: options.timeouts.bodyMs,
          connections: options.concurrency,
          tls:
            options.mtls === undefined
              ? undefined
              : loadMtlsFiles(options.mtls, deps.baseDir ?? process.cwd()),
        })
      : undefined;
  const dispatcher = deps.dispatcher ?? ownDispatcher;
  // Closes before the window's last requests, so those in flight do not meet a 429.
  const gate = new RateGate(
    clock,
    sleep,
    options.requestsPerSecond,
    options.retry.maxRetryAfterMs,
    options.concurrency,
  );
  const pipeline = new RequestPipeline({
    retry: new RetryPolicy(options.retry, clock, readHealthConnectFailure, deps.random),
    sleep,
    auth: createAuth(options, clock, logger, dispatcher),
    gate,
    limit: new ConcurrencyLimit(options.concurrency),
    breaker: options.circuitBreaker.enabled
      ? new CircuitBreaker(
          options.circuitBreaker,
          clock,
          (retryInMs) => new CircuitOpenError(retryInMs),
        )
      : undefined,
    isSignOfTrouble,
    isCredentialRejected: isTokenRejected,
    onRetry: ({ method, path, attempt, delayMs, error }) =>
      logger.debug('retrying', {
        method,
        path,
        attempt,
        delayMs,
        status: isHealthConnectError(error) ? error.status : undefined,
      }),
    observer: deps.observer,
    readStatus: readHealthConnectStatus,
  });
  const http = new HttpClient({
    baseUrl: options.baseUrl,
    dispatcher,
    pipeline,
    gate,
    clock,
    logger,
    requestTimeoutMs: options.timeouts.requestMs,
  });
  return new HealthConnectClient(
    http,
    { perPage: options.perPage, fields: options.fields, close: async () => ownDispatcher?.close() },
    { cache: deps.cache ?? new MemoryCache({ maxEntries: 1000 }) },
  );
}

function createAuth(
  options: ReturnType<typeof HealthConnectOptionsSchema.parse>,
  clock: Clock,
  logger: Logger,
  dispatcher: Dispatcher | undefined,
): RequestAuth | undefined {
  if (options.mtls !== undefined) return undefined;
  if (options.clientId === undefined || options.clientSecret === undefined) {
    throw new ConfigError(
      'HealthConnect options: give clientId and clientSecret, or mtls {cert, key}',
    );
  }
  const tokens = new TokenProvider({
    tokenUrl: options.tokenUrl,
    clientId: options.clientId,
    clientSecret: options.clientSecret,
    scopes: options.scopes,
    clock,
    logger,
    dispatcher,
    errors: healthConnectTokenErrors(options.tokenUrl),
    timeoutMs: options.timeouts.requestMs,
  });
  return bearerAuth(tokens);
}
