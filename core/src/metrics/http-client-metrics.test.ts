import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';
import { systemClock } from '../ports/clock.js';
import { CircuitBreaker } from '../http/circuit-breaker.js';
import { exchange, type ExchangeResponse } from '../http/http-exchange.js';
import { RequestPipeline, routeOf } from '../http/request-pipeline.js';
import { RetryPolicy } from '../http/retry-policy.js';
import { Metrics } from './metrics.js';

class StatusError extends Error {
  constructor(
    readonly status: number,
    readonly retryAfter: string | undefined,
  ) {
    super(`answered ${status}`);
  }
}

class CircuitOpen extends Error {}

/** Each `now()` is 250 ms after the one before: every attempt lasts 0.25 s. */
function steppingClock(): () => number {
  let now = 0;
  return () => (now += 250);
}

/** `/limited` answers 429 once then 200; `/broken` always 503; anything else 200. */
function startServer(): Promise<Server> {
  let isLimited = true;
  const server = createServer((request, response) => {
    if (request.url === '/limited' && isLimited) {
      isLimited = false;
      response.writeHead(429, { 'retry-after': '0' }).end();
    } else if (request.url === '/broken') response.writeHead(503).end();
    else response.writeHead(200, { 'content-type': 'application/json' }).end('{}');
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

function clientOf(base: string, metrics: Metrics, breaker?: CircuitBreaker) {
  const pipeline = new RequestPipeline({
    retry: new RetryPolicy(
      { maxAttempts: 2, baseDelayMs: 1, maxDelayMs: 1, maxRetryAfterMs: 1, jitter: 'none' },
      systemClock,
      (error) =>
        error instanceof StatusError
          ? { status: error.status, retryAfter: error.retryAfter }
          : undefined,
    ),
    sleep: async () => undefined,
    breaker,
    isSignOfTrouble: (error) => error instanceof StatusError && error.status >= 500,
    observer: metrics.httpObserver('healthconnect'),
    readStatus: (outcome) =>
      outcome instanceof StatusError ? outcome.status : (outcome as ExchangeResponse).status,
    now: steppingClock(),
  });
  return (path: string, route?: string) =>
    pipeline.send({ method: 'GET', path, route, isIdempotent: true }, async () => {
      const response = await exchange({ url: `${base}${path}`, method: 'GET', headers: {} });
      if (response.status >= 400)
        throw new StatusError(response.status, response.header('retry-after'));
      return response;
    });
}

/** A histogram's series carry the name of what they count (`…_bucket`, `…_count`, `…_sum`). */
const isPart = (value: object, part: string): boolean =>
  (value as { metricName?: string }).metricName?.endsWith(part) === true;

async function seriesOf(registry: Registry, name: string) {
  const metric = registry.getSingleMetric(name);
  if (metric === undefined) throw new Error(`no metric ${name}`);
  return (await metric.get()).values;
}

describe('HTTP client metrics through a RequestPipeline', () => {
  let server: Server;
  let base: string;
  beforeAll(async () => {
    server = await startServer();
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it('observes each attempt by route template and status, counts the 429 and the retry', async () => {
    const metrics = new Metrics({ processMetrics: false });
    const send = clientOf(base, metrics);
    await send('/providers/PRV0000000001');
    await send('/providers/PRV0000000002?fields=name');
    await send('/limited', '/limited');
    const durations = await seriesOf(
      metrics.registry,
      'pmsbridge_http_client_request_duration_seconds',
    );
    const counts = durations
      .filter((value) => isPart(value, '_count'))
      .map(({ labels, value }) => ({ ...labels, value }));
    expect(counts).toEqual(
      expect.arrayContaining([
        {
          system: 'healthconnect',
          method: 'GET',
          route: '/providers/{id}',
          status: '200',
          value: 2,
        },
        { system: 'healthconnect', method: 'GET', route: '/limited', status: '429', value: 1 },
        { system: 'healthconnect', method: 'GET', route: '/limited', status: '200', value: 1 },
      ]),
    );
    expect(counts).toHaveLength(3);
    // Every attempt took 0.25 s on the stepping clock: none in the 0.1 s bucket, all by 0.25 s.
    const bucket = (le: number) =>
      durations.find(
        (value) =>
          isPart(value, '_bucket') &&
          value.labels.route === '/providers/{id}' &&
          value.labels.le === le,
      )?.value;
    expect(bucket(0.1)).toBe(0);
    expect(bucket(0.25)).toBe(2);
    const text = await metrics.registry.metrics();
    expect(text).not.toContain('PRV');
    expect(text).toContain(
      'pmsbridge_http_client_rate_limited_total{system="healthconnect",method="GET",route="/limited"} 1',
    );
    expect(text).toContain(
      'pmsbridge_http_client_retries_total{system="healthconnect",method="GET",route="/limited"} 1',
    );
  });

  it('shows the circuit breaker state when metrics are collected', async () => {
    const metrics = new Metrics({ processMetrics: false });
    const breaker = new CircuitBreaker(
      { failureThreshold: 2, resetMs: 60_000 },
      systemClock,
      () => new CircuitOpen('open'),
    );
    const send = clientOf(base, metrics, breaker);
    const state = async () =>
      (await seriesOf(metrics.registry, 'pmsbridge_http_client_circuit_state')).map(
        ({ labels, value }) => ({ ...labels, value }),
      );
    expect(await state()).toEqual([{ system: 'healthconnect', client: 'healthconnect', value: 0 }]);
    await expect(send('/broken')).rejects.toBeInstanceOf(StatusError);
    expect(await state()).toEqual([{ system: 'healthconnect', client: 'healthconnect', value: 2 }]);
  });
});

describe('routeOf', () => {
  it('replaces the segments that hold a digit and drops the query', () => {
    expect(routeOf('/providers/PRV0000000001/schedule?from=2026-01-01')).toBe(
      '/providers/{id}/schedule',
    );
    expect(routeOf('/providers/changes')).toBe('/providers/changes');
  });
});
