import { createHash, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  badRequest,
  getStatus,
  normalizeOperationOutcome,
  notFound,
  unauthorized,
} from '@medplum/core';
import { FhirRouter, type FhirRequest, type HttpMethod } from '@medplum/fhir-router';
import type { Bundle, OperationOutcome, Resource } from '@medplum/fhirtypes';
import { isTransactionRequest, runAtomicTransaction } from './atomic-transaction.js';
import { buildCapabilityStatement, type WriteCapabilities } from './capability-statement.js';
import { ensureFhirDefinitionsIndexed } from './fhir-definitions.js';
import { readJsonBody } from './request-body.js';
import { RequestStats, type FhirServerStats } from './request-stats.js';
import { addSearchsetLinks } from './searchset-links.js';
import { FaultSwitch, type FhirServerFault } from './server-fault.js';
import { conditionalUpdateIn } from './write-policy.js';
import { TransactionalMemoryRepository } from './transactional-memory-repository.js';

/** The path under which the server serves FHIR; `baseUrl` ends with it. */
export const FHIR_BASE_PATH = '/fhir/R4';

const FHIR_JSON = 'application/fhir+json; charset=utf-8';
const ROUTED_METHODS: ReadonlySet<string> = new Set(['GET', 'POST', 'PUT', 'PATCH', 'DELETE']);

/** Options of {@link startFhirServer}. */
export interface FhirServerOptions {
  /** TCP port; 0 (the default) picks a free one. */
  port?: number;
  /** Interface to listen on; default `127.0.0.1`. */
  host?: string;
  /**
   * When set, every request except `GET /metadata` must carry `Authorization: Bearer <token>`
   * with exactly this token, or gets 401 with an OperationOutcome.
   */
  bearerToken?: string;
  /**
   * Whether a `PUT` may create a resource with a client-assigned id. Default true. When false,
   * the CapabilityStatement leaves `updateCreate` out (as many servers do) and such a `PUT`,
   * alone or in a bundle, is refused with 400.
   */
  updateCreate?: boolean;
  /**
   * Whether conditional update (`PUT /{type}?identifier=...`) is supported. Default true. When
   * false, the CapabilityStatement says `conditionalUpdate: false` and such a `PUT`, alone or
   * in a bundle, is refused with 400.
   */
  conditionalUpdate?: boolean;
  /** Aborting closes the server, like {@link FhirServer.close}. */
  signal?: AbortSignal;
}

/** A running in-memory FHIR R4 server. */
export interface FhirServer {
  /** e.g. `http://127.0.0.1:41234/fhir/R4`; no trailing slash. */
  readonly baseUrl: string;
  /** Stops accepting connections, ends idle keep-alive ones and resolves once closed. */
  close(): Promise<void>;
  /** Request counters since start or the last {@link FhirServer.resetStats}. */
  stats(): FhirServerStats;
  /** Sets every counter back to zero. */
  resetStats(): void;
  /** Removes every stored resource and its history. */
  clear(): void;
  /**
   * Simulates an outage until called again with `undefined`: requests get `fault.status`
   * (e.g. 503) or a reset connection, after the first `fault.after` ones.
   */
  setFault(fault: FhirServerFault | undefined): void;
}

/**
 * Starts an in-memory FHIR R4 server (`@medplum/fhir-router` over a validating, transactional
 * memory repository) and resolves once it listens. Each server has its own empty store.
 *
 * @example
 * const server = await startFhirServer();
 * await fetch(`${server.baseUrl}/Practitioner`, { method: 'POST', ... });
 * await server.close();
 */
export async function startFhirServer(options: FhirServerOptions = {}): Promise<FhirServer> {
  options.signal?.throwIfAborted();
  ensureFhirDefinitionsIndexed();
  const context = new ServerContext(options.bearerToken, {
    updateCreate: options.updateCreate ?? true,
    conditionalUpdate: options.conditionalUpdate ?? true,
  });
  const server = createServer((request, response) => {
    context.handle(request, response).catch((error: unknown) => {
      sendOutcome(response, 500, normalizeOperationOutcome(error));
    });
  });
  await listen(server, options.port ?? 0, options.host ?? '127.0.0.1');
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  context.baseUrl = `http://${host}:${address.port}${FHIR_BASE_PATH}`;

  let closing: Promise<void> | undefined;
  const close = (): Promise<void> => {
    closing ??= new Promise<void>((resolve, reject) => {
      server.close((error) => (error ? reject(error) : resolve()));
      server.closeIdleConnections();
    });
    return closing;
  };
  options.signal?.addEventListener('abort', () => void close().catch(() => undefined), {
    once: true,
  });

  return {
    baseUrl: context.baseUrl,
    close,
    stats: () => context.stats.snapshot(),
    resetStats: () => context.stats.reset(),
    clear: () => context.repository.clear(),
    setFault: (fault) => context.faults.set(fault),
  };
}

/** Per-server state and the request pipeline: stats → fault → metadata → auth → body → router. */
class ServerContext {
  readonly stats = new RequestStats();
  readonly faults = new FaultSwitch();
  readonly repository: TransactionalMemoryRepository;
  readonly router = new FhirRouter();
  baseUrl = '';
  readonly #startedAt = new Date().toISOString();
  readonly #tokenDigest: Buffer | undefined;
  /** Tail of the queue that runs router calls one at a time (transaction rollback needs it). */
  #queueTail: Promise<unknown> = Promise.resolve();

  constructor(
    bearerToken: string | undefined,
    private readonly writes: WriteCapabilities,
  ) {
    this.#tokenDigest = bearerToken === undefined ? undefined : digest(bearerToken);
    this.repository = new TransactionalMemoryRepository({ updateCreate: writes.updateCreate });
  }

  async handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const method = request.method ?? 'GET';
    this.stats.recordRequest(method);
    const fault = this.faults.next();
    if (fault !== undefined) {
      if ('reset' in fault) {
        request.socket.destroy();
      } else {
        if (fault.retryAfterSeconds !== undefined) {
          response.setHeader('Retry-After', String(fault.retryAfterSeconds));
        }
        sendOutcome(
          response,
          fault.status,
          serverError(`Simulated outage: HTTP ${fault.status}`, fault.status),
        );
      }
      return;
    }
    const url = new URL(request.url ?? '/', 'http://localhost');
    const path = relativeFhirPath(url.pathname);
    if (path === undefined) {
      sendOutcome(response, 404, notFound);
      return;
    }
    if (path === 'metadata' && method === 'GET') {
      this.stats.recordInteraction('capabilities');
      send(response, 200, buildCapabilityStatement(this.baseUrl, this.#startedAt, this.writes));
      return;
    }
    if (!this.#isAuthorised(request.headers.authorization)) {
      response.setHeader('WWW-Authenticate', 'Bearer error="invalid_token"');
      sendOutcome(response, 401, unauthorized);
      return;
    }
    if (!ROUTED_METHODS.has(method)) {
      response.setHeader('Allow', [...ROUTED_METHODS].join(', '));
      sendOutcome(response, 405, badRequest(`Method ${method} is not supported`));
      return;
    }
    await this.#route(request, response, method as HttpMethod, `${path}${url.search}`);
  }

  async #route(
    request: IncomingMessage,
    response: ServerResponse,
    method: HttpMethod,
    fhirPath: string,
  ): Promise<void> {
    let body: unknown;
    try {
      body = await readJsonBody(request);
    } catch (error) {
      const outcome = normalizeOperationOutcome(error);
      response.setHeader('Connection', 'close');
      sendOutcome(response, getStatus(outcome), outcome);
      return;
    }
    if (!this.writes.conditionalUpdate && conditionalUpdateIn(method, fhirPath, body)) {
      sendOutcome(response, 400, badRequest('Conditional update is not supported by this server'));
      return;
    }
    const interaction = this.#interactionOf(method, fhirPath);
    if (interaction) {
      this.stats.recordInteraction(interaction);
    }
    const fhirRequest: FhirRequest = {
      method,
      url: fhirPath,
      pathname: '',
      body,
      params: {},
      query: {},
      headers: request.headers,
    };
    const [outcome, resource] = await this.#serialised(() =>
      isTransactionRequest(fhirRequest)
        ? runAtomicTransaction(this.router, this.repository, fhirRequest)
        : this.router.handleRequest(fhirRequest, this.repository),
    );
    const status = getStatus(outcome);
    if (!resource) {
      sendOutcome(response, status, outcome);
      return;
    }
    this.#sendResource(response, status, resource, interaction, fhirPath);
  }

  #sendResource(
    response: ServerResponse,
    status: number,
    resource: Resource,
    interaction: string | undefined,
    fhirPath: string,
  ): void {
    const { versionId, lastUpdated } = resource.meta ?? {};
    if (versionId) {
      response.setHeader('ETag', `W/"${versionId}"`);
    }
    if (lastUpdated) {
      response.setHeader('Last-Modified', new Date(lastUpdated).toUTCString());
    }
    if (status === 201 && resource.id) {
      const history = versionId ? `/_history/${versionId}` : '';
      response.setHeader(
        'Location',
        `${this.baseUrl}/${resource.resourceType}/${resource.id}${history}`,
      );
    }
    const isSearch = interaction === 'search-type' || interaction === 'search-system';
    const body =
      isSearch && resource.resourceType === 'Bundle'
        ? addSearchsetLinks(resource as Bundle, this.baseUrl, fhirPath)
        : resource;
    send(response, status, body);
  }

  #interactionOf(method: HttpMethod, fhirPath: string): string | undefined {
    try {
      return this.router.find(method, fhirPath)?.data?.interaction;
    } catch {
      return undefined; // the router reports the same problem (e.g. an over-long query) itself
    }
  }

  #isAuthorised(header: string | undefined): boolean {
    if (!this.#tokenDigest) {
      return true;
    }
    const match = /^Bearer\s+(.+)$/i.exec(header ?? '');
    return match?.[1] !== undefined && timingSafeEqual(digest(match[1].trim()), this.#tokenDigest);
  }

  #serialised<T>(task: () => Promise<T>): Promise<T> {
    const result = this.#queueTail.then(task);
    this.#queueTail = result.catch(() => undefined);
    return result;
  }
}

/** `/fhir/R4/Practitioner/1` → `Practitioner/1`; `/fhir/R4` → ``; outside the base → undefined. */
function relativeFhirPath(pathname: string): string | undefined {
  if (pathname === FHIR_BASE_PATH || pathname === `${FHIR_BASE_PATH}/`) {
    return '';
  }
  return pathname.startsWith(`${FHIR_BASE_PATH}/`)
    ? pathname.slice(FHIR_BASE_PATH.length + 1)
    : undefined;
}

/** Compares fixed-length digests so the token comparison is constant-time at any length. */
function digest(token: string): Buffer {
  return createHash('sha256').update(token).digest();
}

function serverError(text: string, status: number): OperationOutcome {
  return {
    resourceType: 'OperationOutcome',
    issue: [
      {
        severity: 'error',
        code: status >= 500 ? 'transient' : 'processing',
        details: { text },
      },
    ],
  };
}

function sendOutcome(response: ServerResponse, status: number, outcome: OperationOutcome): void {
  send(response, status, outcome);
}

function send(response: ServerResponse, status: number, body: Resource): void {
  if (response.headersSent) {
    response.end();
    return;
  }
  const payload = JSON.stringify(body);
  response.writeHead(status, {
    'Content-Type': FHIR_JSON,
    'Content-Length': Buffer.byteLength(payload),
  });
  response.end(payload);
}

function listen(server: Server, port: number, host: string): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
}
