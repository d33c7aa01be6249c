import { Counter, Histogram, type Registry } from 'prom-client';
import type { CircuitState, HttpObserver } from '../ports/metrics-recorder.js';
import { WatchedGauge } from './watched-gauge.js';

/** Seconds; up to a minute, since a FHIR transaction of a large bundle may take that long. */
const DURATION_BUCKETS = [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];

/** A circuit's state as the gauge's value: the higher, the worse. */
const CIRCUIT_VALUES: Record<CircuitState, number> = { closed: 0, 'half-open': 1, open: 2 };

/** The metrics of outgoing HTTP calls: attempt durations, 429 answers, retries, circuit states. */
export class HttpClientMetrics {
  readonly #duration: Histogram<'system' | 'method' | 'route' | 'status'>;
  readonly #rateLimited: Counter<'system' | 'method' | 'route'>;
  readonly #retries: Counter<'system' | 'method' | 'route'>;
  readonly #circuits: WatchedGauge<'system' | 'client'>;

  constructor(registry: Registry) {
    this.#duration = new Histogram({
      name: 'pmsbridge_http_client_request_duration_seconds',
      help: 'Duration of outgoing HTTP attempts (each retry is one) by remote system, method, route template and status (`none` when no response arrived)',
      labelNames: ['system', 'method', 'route', 'status'],
      buckets: DURATION_BUCKETS,
      registers: [registry],
    });
    this.#rateLimited = new Counter({
      name: 'pmsbridge_http_client_rate_limited_total',
      help: 'Outgoing HTTP attempts answered 429 Too Many Requests',
      labelNames: ['system', 'method', 'route'],
      registers: [registry],
    });
    this.#retries = new Counter({
      name: 'pmsbridge_http_client_retries_total',
      help: 'Outgoing HTTP calls sent again after a failed attempt',
      labelNames: ['system', 'method', 'route'],
      registers: [registry],
    });
    this.#circuits = new WatchedGauge(registry, {
      name: 'pmsbridge_http_client_circuit_state',
      help: 'State of an HTTP client circuit breaker: 0 closed, 1 half-open, 2 open',
      labelNames: ['system', 'client'],
    });
  }

  /** An observer that labels everything it hears with `system` (and its circuit with `client`). */
  observer(system: string, client: string = system): HttpObserver {
    return {
      onAttempt: ({ method, route, status, durationMs }) => {
        const labels = { system, method, route };
        const statusLabel = status === undefined ? 'none' : String(status);
        this.#duration.observe({ ...labels, status: statusLabel }, durationMs / 1000);
        if (status === 429) this.#rateLimited.inc(labels);
      },
      onRetry: ({ method, route }) => this.#retries.inc({ system, method, route }),
      watchCircuit: (read) =>
        this.#circuits.watch({ system, client }, () => CIRCUIT_VALUES[read()]),
    };
  }
}
