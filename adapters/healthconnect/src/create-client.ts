import type { Dispatcher } from 'undici';
import {
  ConfigError,
  MemoryCache,
  parseWith,
  silentLogger,
  systemClock,
  type Cache,
  type Clock,
  type Logger,
} from '@pmsbridge/core';
import { CircuitBreaker } from './circuit-breaker.js';
import { ConcurrencyLimit } from './concurrency-limit.js';
import { createDispatcher, loadMtlsFiles } from './dispatcher.js';
import { HealthConnectClient } from './healthconnect-client.js';
import { HttpClient } from './http-client.js';
import { HealthConnectOptionsSchema, type HealthConnectOptionsInput } from './options.js';
import { RateGate } from './rate-gate.js';
import { RetryPolicy } from './retry-policy.js';
import { sleep as realSleep, type Sleep } from './sleep.js';
import { TokenProvider } from './token-provider.js';

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
  const http = new HttpClient({
    baseUrl: options.baseUrl,
    dispatcher,
    tokens: createTokens(options, clock, logger, dispatcher),
    gate: new RateGate(clock, sleep, options.requestsPerSecond, options.retry.maxRetryAfterMs),
    retry: new RetryPolicy(options.retry, clock, deps.random),
    limit: new ConcurrencyLimit(options.concurrency),
    breaker: options.circuitBreaker.enabled
      ? new CircuitBreaker(options.circuitBreaker, clock)
      : undefined,
    clock,
    sleep,
    logger,
    requestTimeoutMs: options.timeouts.requestMs,
  });
  return new HealthConnectClient(
    http,
    { perPage: options.perPage, fields: options.fields, close: async () => ownDispatcher?.close() },
    { cache: deps.cache ?? new MemoryCache({ maxEntries: 1000 }) },
  );
}

function createTokens(
  options: ReturnType<typeof HealthConnectOptionsSchema.parse>,
  clock: Clock,
  logger: Logger,
  dispatcher: Dispatcher | undefined,
): TokenProvider | undefined {
  if (options.mtls !== undefined) return undefined;
  if (options.clientId === undefined || options.clientSecret === undefined) {
    throw new ConfigError(
      'HealthConnect options: give clientId and clientSecret, or mtls {cert, key}',
    );
  }
  return new TokenProvider({
    tokenUrl: options.tokenUrl,
    clientId: options.clientId,
    clientSecret: options.clientSecret,
    scopes: options.scopes,
    clock,
    logger,
    dispatcher,
    timeoutMs: options.timeouts.requestMs,
  });
}
