import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { createServer as createHttpServer, type Server } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { ConfigError } from '@pmsbridge/core';
import { createApiHandler } from './api-handler.js';
import { CERTIFICATE_FILE_NAMES } from './certificates.js';
import { FaultPlan, parseFaultSpec, type FaultSpec } from './fault-plan.js';
import { buildOpenApiDocument } from './openapi.js';
import { ProviderDirectory } from './provider-directory.js';
import { ProviderGenerator } from './provider-generator.js';
import { RateLimiter, type RateLimitOptions } from './rate-limiter.js';
import { createSandboxAdmin, type SandboxAdmin } from './sandbox-admin.js';
import { SlotGenerator } from './slot-generator.js';
import { ALL_SCOPES, TokenIssuer, type SandboxClient } from './token-issuer.js';
import { WebhookHub } from './webhook-hub.js';

/** Options of {@link startSandbox}. */
export interface SandboxOptions {
  /** Port to listen on; default 0 = a free port. */
  port?: number;
  /** Interface to listen on; default `127.0.0.1`. */
  host?: string;
  /** Generated population size (including the two fixed test providers); default 1000. */
  providers?: number;
  /** Data seed; default 42. */
  seed?: number;
  /** Registered clients; default one client with all four scopes and random credentials. */
  clients?: SandboxClient[];
  /** Lifetime of issued access tokens; default 3600. */
  tokenTtlSeconds?: number;
  /** Token-bucket rate limit per client; off by default. */
  rateLimit?: RateLimitOptions;
  /** Fault injection (object or CLI string form); off by default. */
  faults?: FaultSpec | string;
  /** Serve HTTPS from `certDir` (`ca.crt`, `server.crt`, `server.key`); require client certificates when `requireClientCert`. */
  tls?: { certDir: string; requireClientCert?: boolean };
  /** Clock, for tests. */
  now?: () => Date;
  /** Delays between webhook delivery attempts; default [5000, 300000, 1800000, 7200000]. */
  webhookRetryDelaysMs?: number[];
}

/** A running sandbox. */
export interface Sandbox {
  /** Origin, e.g. `http://127.0.0.1:40123`. */
  url: string;
  /** `url + '/provider/v2'`. */
  baseUrl: string;
  /** `url + '/token'`. */
  tokenUrl: string;
  /** Credentials of the first registered client. */
  clientId: string;
  clientSecret: string;
  /** Data mutations, the same operations as the admin HTTP API. */
  admin: SandboxAdmin;
  /** Every request received so far (method and path, no query), oldest first. */
  requests(): ReadonlyArray<{ method: string; path: string }>;
  /** Stops listening, cancels webhook retries and closes connections. */
  close(): Promise<void>;
}

const DEFAULT_RETRY_DELAYS_MS = [5_000, 300_000, 1_800_000, 7_200_000];

/** Starts a HealthConnect Provider API v2 emulator. */
export async function startSandbox(options: SandboxOptions = {}): Promise<Sandbox> {
  const now = options.now ?? (() => new Date());
  const seed = options.seed ?? 42;
  const count = Math.max(2, Math.floor(options.providers ?? 1000));
  if (options.rateLimit && !(options.rateLimit.requestsPerSecond > 0))
    throw new ConfigError('rateLimit.requestsPerSecond must be greater than 0');
  const clients = options.clients ?? [
    {
      clientId: `sandbox-${randomBytes(6).toString('hex')}`,
      clientSecret: randomBytes(24).toString('base64url'),
      scopes: [...ALL_SCOPES],
    },
  ];
  const first = clients[0];
  if (!first) throw new ConfigError('clients must list at least one client');
  const faultSpec =
    typeof options.faults === 'string' ? parseFaultSpec(options.faults) : options.faults;
  const faults = faultSpec ? new FaultPlan(faultSpec) : undefined;

  const directory = new ProviderDirectory(new ProviderGenerator(seed, count), now);
  const availability = new Map<string, boolean>();
  const slots = new SlotGenerator(seed, availability);
  const webhooks = new WebhookHub(options.webhookRetryDelaysMs ?? DEFAULT_RETRY_DELAYS_MS, now);
  const admin = createSandboxAdmin({ directory, slots, availability, webhooks, faults });
  const timers = new Set<NodeJS.Timeout>();
  const handler = createApiHandler({
    directory,
    slots,
    tokens: new TokenIssuer(clients, options.tokenTtlSeconds ?? 3600, now),
    webhooks,
    admin,
    limiter: options.rateLimit ? new RateLimiter(options.rateLimit, now) : undefined,
    faults,
    openapi: buildOpenApiDocument(),
    now,
    trackTimer(timer) {
      timers.add(timer);
      timer.unref();
    },
  });

  const received: Array<{ method: string; path: string }> = [];
  const recorded: typeof handler = (request, response) => {
    received.push({
      method: request.method ?? 'GET',
      path: new URL(request.url ?? '/', 'http://sandbox').pathname,
    });
    return handler(request, response);
  };

  let server: Server;
  if (options.tls) {
    const dir = options.tls.certDir;
    const [ca, cert, key] = await Promise.all(
      [
        CERTIFICATE_FILE_NAMES.caCert,
        CERTIFICATE_FILE_NAMES.serverCert,
        CERTIFICATE_FILE_NAMES.serverKey,
      ].map((name) => readFile(join(dir, name))),
    );
    server = createHttpsServer(
      {
        ca,
        cert,
        key,
        requestCert: true,
        rejectUnauthorized: options.tls.requireClientCert ?? false,
      },
      recorded,
    );
  } else {
    server = createHttpServer({ keepAliveTimeout: 30_000 }, recorded);
  }
  const host = options.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  const url = `${options.tls ? 'https' : 'http'}://${host.includes(':') ? `[${host}]` : host}:${port}`;
  let closing: Promise<void> | undefined;
  return {
    url,
    baseUrl: `${url}/provider/v2`,
    tokenUrl: `${url}/token`,
    clientId: first.clientId,
    clientSecret: first.clientSecret,
    admin,
    requests: () => [...received],
    close() {
      closing ??= (async () => {
        for (const timer of timers) clearTimeout(timer);
        timers.clear();
        const stopped = new Promise<void>((resolve) => server.close(() => resolve()));
        server.closeAllConnections();
        await Promise.all([stopped, webhooks.close()]);
      })();
      return closing;
    },
  };
}
