import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  answerOperationsRequest,
  describeError,
  parseWith,
  prepareGracefulClose,
  silentLogger,
  type Logger,
  type Metrics,
  type StateStore,
} from '@pmsbridge/core';
import type { WebhookEvent } from '@pmsbridge/healthconnect-contract';
import {
  ListenerLimitsSchema,
  answerClientErrors,
  serverOptionsFor,
  type ListenerLimitsInput,
} from './listener-limits.js';
import { receiveWebhook } from './webhook-receiver.js';
import type { WebhookQueue } from './webhook-queue.js';
import { WebhookVerificationError, verifyWebhook } from './webhook-verifier.js';

/**
 * Options of {@link startWebhookListener}. The limits (`headersTimeoutMs` 10 s,
 * `requestTimeoutMs` 30 s, `maxBodyBytes` 1 MiB, `maxHeaderBytes` 16 KiB) are those of
 * {@link ListenerLimitsSchema}.
 */
export interface WebhookListenerOptions extends ListenerLimitsInput {
  /** Default 0: a free port. */
  port?: number;
  /** Default `127.0.0.1`; put a TLS-terminating proxy in front for the public endpoint. */
  host?: string;
  /** Path deliveries are posted to. Default `/hooks/healthconnect`. */
  path?: string;
  /** The `whsec_…` signing secret of a subscription of every delivery. */
  secret?: string;
  /**
   * The secret of the subscription of one provider (see `ScheduleSubscriptions`), looked up
   * for the provider a delivery names. A delivery is accepted when signed with it or with
   * `secret`; one that names a provider without a subscription needs `secret`.
   */
  secretOf?: (providerId: string) => Promise<string | undefined>;
  /**
   * Where delivered `webhook-id`s are remembered, so redeliveries are not acted on twice;
   * used when there is no `queue`.
   */
  seen: Pick<StateStore, 'markSeen'>;
  /**
   * The durable queue: a delivery is answered 2xx only once queued there, is marked handled
   * once `onEvents` succeeded for it, and what a crash left queued is handed over at start.
   */
  queue?: WebhookQueue;
  /**
   * Acts on new events, e.g. re-reads the providers they name. Calls never overlap: events
   * that arrive during a call are handed over together in the next one. With a queue, a
   * call that throws leaves its events queued for the next start.
   */
  onEvents: (events: WebhookEvent[]) => Promise<void>;
  logger?: Logger;
  /**
   * Served at `GET /metrics`, with the events not yet acted on as
   * `pmsbridge_queue_depth{queue="healthconnect-webhooks"}`. `/healthz` and `/readyz` are
   * answered either way.
   */
  metrics?: Metrics;
}

/** A running listener. */
export interface WebhookListener {
  /** The URL to subscribe, e.g. `http://127.0.0.1:8090/hooks/healthconnect`. */
  url: string;
  /** Resolves once no `onEvents` call is running or waiting. */
  idle(): Promise<void>;
  /**
   * Stops accepting deliveries (`/readyz` answers 503 from now on), lets the requests under
   * way finish, and waits until every event received has been handed to `onEvents`.
   */
  close(): Promise<void>;
}

class BodyTooLargeError extends Error {}

/** The body length the request announces (0 when it announces none). */
function declaredLength(request: IncomingMessage): number {
  const length = Number(request.headers['content-length'] ?? 0);
  return Number.isFinite(length) ? length : 0;
}

/**
 * Reads the body, or fails with {@link BodyTooLargeError} once it has all arrived when it
 * is over `limit` bytes. The excess is discarded as it comes rather than kept or cut off:
 * a connection destroyed mid-upload reaches the client as a reset, not as the 413 it
 * should read. The listener's request timeout bounds how long that can take.
 */
function readBody(request: IncomingMessage, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let isTooLarge = declaredLength(request) > limit;
    request.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) isTooLarge = true;
      if (!isTooLarge) chunks.push(chunk);
    });
    request.on('end', () =>
      isTooLarge ? reject(new BodyTooLargeError()) : resolve(Buffer.concat(chunks)),
    );
    request.on('error', reject);
  });
}

/** The provider a delivery names, read before it is verified, only to pick its secret. */
function namedProvider(rawBody: Buffer): string | undefined {
  try {
    const body = JSON.parse(rawBody.toString('utf8')) as { data?: { provider_id?: unknown } };
    const id = body.data?.provider_id;
    return typeof id === 'string' ? id : undefined;
  } catch {
    return undefined;
  }
}

function answer(response: ServerResponse, status: number, body: Record<string, unknown>): void {
  response.writeHead(status, { 'content-type': 'application/json' });
  response.end(JSON.stringify(body));
}

/**
 * Receives HealthConnect webhook deliveries over HTTP: verifies each (400 when the
 * signature, timestamp or body is wrong), answers redeliveries of a known `webhook-id` with
 * 200 without acting on them, and answers new events with 202 as soon as they are recorded
 * (with a `queue`, durably) — acting on them happens after the answer, so HealthConnect's
 * 10-second delivery timeout never depends on a sync. New events are handed to `onEvents`
 * in batches that never overlap; with a queue, what a crash left unhandled is handed over
 * at start.
 */
export async function startWebhookListener(
  options: WebhookListenerOptions,
): Promise<WebhookListener> {
  const logger = (options.logger ?? silentLogger).child({ component: 'webhook-listener' });
  const path = options.path ?? '/hooks/healthconnect';
  const limits = parseWith(
    ListenerLimitsSchema,
    {
      headersTimeoutMs: options.headersTimeoutMs,
      requestTimeoutMs: options.requestTimeoutMs,
      maxBodyBytes: options.maxBodyBytes,
      maxHeaderBytes: options.maxHeaderBytes,
    },
    'webhook listener limits',
  );
  let pending: WebhookEvent[] = [];
  let running: Promise<void> | undefined;
  /** Events of the `onEvents` call under way. */
  let handling = 0;
  let isClosing = false;
  options.metrics?.watchQueueDepth('healthconnect-webhooks', () => pending.length + handling);

  const drain = (): Promise<void> => {
    running ??= (async () => {
      while (pending.length > 0) {
        const events = pending;
        pending = [];
        handling = events.length;
        try {
          await options.onEvents(events);
          await options.queue?.handled(events.map((event) => event.id));
        } catch (error) {
          logger.error('acting on webhook events failed', {
            events: events.length,
            error: describeError(error),
          });
        } finally {
          handling = 0;
        }
      }
      running = undefined;
    })();
    return running;
  };

  const operations = {
    registry: options.metrics?.registry,
    isReady: () => !isClosing,
    logger,
  };
  const secretsFor = async (rawBody: Buffer): Promise<string[]> => {
    const providerId = options.secretOf === undefined ? undefined : namedProvider(rawBody);
    const ofProvider = providerId === undefined ? undefined : await options.secretOf?.(providerId);
    return [options.secret, ofProvider].filter(
      (secret): secret is string => secret !== undefined && secret !== '',
    );
  };
  const handle = (request: IncomingMessage, response: ServerResponse): void => {
    if (answerOperationsRequest(request, response, operations)) return;
    if (request.method !== 'POST' || request.url?.split('?')[0] !== path) {
      answer(response, 404, { error: 'not found' });
      return;
    }
    readBody(request, limits.maxBodyBytes)
      .then(async (rawBody) => {
        const secrets = await secretsFor(rawBody);
        const queue = options.queue;
        if (queue === undefined) {
          return receiveWebhook({
            headers: request.headers,
            rawBody,
            secret: secrets,
            seen: options.seen,
          });
        }
        const event = verifyWebhook(request.headers, rawBody, secrets);
        // Answered only once the delivery is in the state store.
        return { event, isDuplicate: !(await queue.enqueue(event)) };
      })
      .then(({ event, isDuplicate }) => {
        if (isDuplicate) {
          logger.debug('webhook redelivery ignored', { id: event.id, type: event.type });
          answer(response, 200, { received: true, duplicate: true });
          return;
        }
        logger.info('webhook received', { id: event.id, type: event.type });
        answer(response, 202, { received: true });
        pending.push(event);
        void drain();
      })
      .catch((error: unknown) => {
        if (error instanceof BodyTooLargeError)
          return answer(response, 413, { error: 'body too large' });
        if (error instanceof WebhookVerificationError) {
          logger.warn('webhook rejected', { reason: error.reason });
          return answer(response, 400, { error: error.reason });
        }
        if (!request.complete && request.socket.destroyed) {
          // Cut off by the request timeout, or the client went away: nobody to answer.
          logger.warn('webhook request ended before its body arrived', {
            error: describeError(error),
          });
          return;
        }
        logger.error('webhook could not be received', { error: describeError(error) });
        answer(response, 500, { error: 'internal' });
      });
  };
  if (options.queue !== undefined) {
    // What a crash left queued is acted on first.
    const left = await options.queue.pending();
    if (left.length > 0) {
      logger.info('webhook deliveries left queued are handled', { events: left.length });
      pending.push(...left);
      void drain();
    }
  }
  const server = createServer(serverOptionsFor(limits), handle);
  const closeServer = prepareGracefulClose(server);
  // A client that waits for `100 Continue` before an announced oversized body is told 413
  // at once and never sends it.
  server.on('checkContinue', (request: IncomingMessage, response: ServerResponse) => {
    if (declaredLength(request) > limits.maxBodyBytes) {
      response.setHeader('connection', 'close');
      answer(response, 413, { error: 'body too large' });
      return;
    }
    response.writeContinue();
    handle(request, response);
  });
  server.on('clientError', answerClientErrors(limits.headersTimeoutMs));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => resolve());
  });
  const { address, port } = server.address() as AddressInfo;
  const host = address.includes(':') ? `[${address}]` : address;
  return {
    url: `http://${host}:${port}${path}`,
    idle: async () => {
      while (running !== undefined) await running;
    },
    close: async () => {
      isClosing = true;
      await closeServer();
      while (running !== undefined) await running;
    },
  };
}
