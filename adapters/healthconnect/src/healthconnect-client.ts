import {
  ErrorCategory,
  ScheduleWindowSchema,
  ValidationError,
  hasErrorCategory,
  parseWith,
  raceAbort,
  type Cache,
  type ChangesOptions,
  type ChangesPageRead,
  type InvalidRecord,
  type Location,
  type PmsbridgeError,
  type Provider,
  type ProviderChange,
  type ProviderField,
  type ProviderPageRead,
  type ScheduleWindow,
  type Slot,
} from '@pmsbridge/core';
import * as wire from '@pmsbridge/healthconnect-contract';
import { throwIfAborted } from '@pmsbridge/core/http';
import { z } from 'zod';
import type { HttpClient } from './http-client.js';
import { changeSchemaFor, providerSchemaFor } from './provider-fields-schema.js';
import {
  changeFromWire,
  locationFromWire,
  providerFromWire,
  slotFromWire,
  wireProviderFields,
} from './to-domain.js';
import { isHealthConnectError } from './remote-errors.js';
import { splitScheduleWindow } from './schedule-chunks.js';
import { wellFormedSlot } from './slot-guard.js';

/** A load shared by concurrent identical lookups, and how many callers still wait for it. */
interface SharedLoad {
  promise: Promise<unknown>;
  controller: AbortController;
  waiters: number;
}

/** Search filters of `GET /providers`; all optional, combined with AND. */
export interface ProviderSearchFilters {
  specialty?: string;
  /** "City, ST", e.g. "New York, NY". */
  location?: string;
  acceptingNewPatients?: boolean;
  insurance?: string;
  /** Substring of the first or last name. */
  name?: string;
  npi?: string;
}

/** How to page a search. */
export interface SearchOptions {
  signal?: AbortSignal;
  /** Page size (1–100); defaults to the client's `perPage`. */
  perPage?: number;
  /** First page to fetch (1-based). Default 1. */
  startPage?: number;
  /**
   * Top-level fields to request (`id` always comes back); defaults to the client's
   * `fields`. Providers then hold only these fields and are validated for them alone.
   */
  fields?: readonly ProviderField[];
  /** Whether pages may come from (and go into) the 5-minute search cache. Default true. */
  useCache?: boolean;
}

/** One page of search results: the valid providers, the invalid records, and paging facts. */
export interface ProviderSearchPage extends ProviderPageRead {
  page: number;
  perPage: number;
  total: number;
  hasNextPage: boolean;
}

/** A new webhook subscription. */
export interface WebhookSubscriptionRequest {
  url: string;
  events: wire.WebhookEventType[];
  /** Only this provider's events; all providers when absent. */
  providerId?: string;
}

/** How the client caches. */
export interface ClientCacheOptions {
  cache: Cache;
  /** Provider details; default 1 h. */
  providerTtlMs?: number;
  /** Search pages; default 5 min. */
  searchTtlMs?: number;
}

const LocationsResponseSchema = z.object({ locations: z.array(wire.LocationSchema) });
const WebhookListSchema = z.object({ webhooks: z.array(wire.WebhookSubscriptionSchema) });

/**
 * The HealthConnect Provider API v2, one method per operation. Every response is parsed
 * with the wire contract's schemas and mapped to pmsbridge's domain: records that fail come
 * back as {@link InvalidRecord}s, never unvalidated. Provider details are cached for an hour, searches for five minutes,
 * schedules never; concurrent identical lookups share one request.
 */
export class HealthConnectClient {
  readonly #inFlight = new Map<string, SharedLoad>();
  readonly #providerTtlMs: number;
  readonly #searchTtlMs: number;

  constructor(
    private readonly http: HttpClient,
    private readonly settings: {
      perPage: number;
      fields?: readonly ProviderField[];
      close?: () => Promise<void>;
    },
    private readonly caching: ClientCacheOptions,
  ) {
    this.#providerTtlMs = caching.providerTtlMs ?? 3_600_000;
    this.#searchTtlMs = caching.searchTtlMs ?? 300_000;
  }

  /** Fields the client requests by default (`undefined`: all). */
  get fields(): readonly ProviderField[] | undefined {
    return this.settings.fields;
  }

  /** Pages of providers matching `filters`, fetched one at a time as the caller iterates. */
  async *searchProviders(
    filters: ProviderSearchFilters = {},
    options: SearchOptions = {},
  ): AsyncGenerator<ProviderSearchPage> {
    for (let page = options.startPage ?? 1; ; page += 1) {
      const result = await this.searchPage(filters, page, options);
      yield result;
      if (!result.hasNextPage) return;
    }
  }

  /** One page of a search. */
  async searchPage(
    filters: ProviderSearchFilters,
    page: number,
    options: SearchOptions = {},
  ): Promise<ProviderSearchPage> {
    const perPage = options.perPage ?? this.settings.perPage;
    const fields = options.fields ?? this.settings.fields;
    const query = {
      specialty: filters.specialty,
      location: filters.location,
      accepting_new_patients: filters.acceptingNewPatients,
      insurance: filters.insurance,
      name: filters.name,
      npi: filters.npi,
      page,
      per_page: perPage,
      fields: joinFields(fields),
    };
    const load = async (signal: AbortSignal | undefined): Promise<ProviderSearchPage> => {
      const response = await this.http.send({ method: 'GET', path: '/providers', query, signal });
      return readProviderPage(response.body, page, providerSchemaFor(fields));
    };
    if (options.useCache === false) return load(options.signal);
    return this.#cached(
      `hc:search:${JSON.stringify(query)}`,
      this.#searchTtlMs,
      options.signal,
      load,
    );
  }

  /**
   * One provider, or `undefined` when HealthConnect has no such provider (404). With
   * `fields` (here or the client's), it holds only those fields and is validated for them.
   */
  async getProvider(
    id: string,
    options: { signal?: AbortSignal; fields?: readonly ProviderField[]; useCache?: boolean } = {},
  ): Promise<Provider | undefined> {
    const requested = options.fields ?? this.settings.fields;
    const fields = joinFields(requested);
    const checkedId = wire.ProviderIdSchema.safeParse(id);
    if (!checkedId.success) {
      throw new ValidationError(`Not a HealthConnect provider id: "${id}"`, {
        issues: [{ path: 'id', message: checkedId.error.issues[0]?.message ?? 'invalid' }],
      });
    }
    const load = async (signal: AbortSignal | undefined): Promise<Provider | undefined> => {
      try {
        const response = await this.http.send({
          method: 'GET',
          path: `/providers/${encodeURIComponent(id)}`,
          route: '/providers/{id}',
          query: { fields },
          signal,
        });
        return providerFromWire(
          parseWith(providerSchemaFor(requested), response.body, `provider ${id}`),
        );
      } catch (error) {
        if (isHealthConnectError(error) && error.status === 404) return undefined;
        throw error;
      }
    };
    if (options.useCache === false) return load(options.signal);
    return this.#cached(providerKey(id, fields), this.#providerTtlMs, options.signal, load);
  }

  /** The provider's practice locations. */
  async getLocations(id: string, signal?: AbortSignal): Promise<Location[]> {
    const response = await this.http.send({
      method: 'GET',
      path: `/providers/${encodeURIComponent(id)}/locations`,
      route: '/providers/{id}/locations',
      signal,
    });
    return parseWith(LocationsResponseSchema, response.body, `locations of ${id}`).locations.map(
      locationFromWire,
    );
  }

  /**
   * Every slot of the provider in the inclusive window, whatever its length: windows over
   * 31 days are fetched as several requests and concatenated in date order. Never cached.
   * A slot that fails validation fails the call with a `ValidationError`.
   */
  async getSchedule(id: string, window: ScheduleWindow, signal?: AbortSignal): Promise<Slot[]> {
    const checked = parseWith(ScheduleWindowSchema, window, 'schedule window');
    const chunks = await Promise.all(
      splitScheduleWindow(checked).map((chunk) => this.#scheduleChunk(id, chunk, signal)),
    );
    return chunks.flat();
  }

  /**
   * Changes after `since` (or from `cursor`), oldest first, one page per iteration. With
   * the client's `fields`, each change's provider is narrowed to those fields and validated
   * for them alone, as listings are.
   */
  async *changes(options: ChangesOptions): AsyncGenerator<ChangesPageRead> {
    const changeSchema = changeSchemaFor(this.settings.fields);
    let cursor = options.cursor;
    for (;;) {
      const response = await this.http.send({
        method: 'GET',
        path: '/providers/changes',
        query: { since: options.since, cursor },
        signal: options.signal,
      });
      const raw = parseWith(wire.ChangesPageSchema, response.body, 'changes page');
      const changes: ProviderChange[] = [];
      const invalid: InvalidRecord[] = [];
      raw.changes.forEach((entry, index) => {
        const result = tryParse(
          changeSchema,
          entry,
          `change #${index} of page ${cursor ?? '(first)'}`,
        );
        if ('error' in result) {
          invalid.push(
            invalidRecord(
              entry,
              `changes ${cursor ?? '(first)'} #${index}`,
              'provider_id',
              result.error,
            ),
          );
        } else {
          changes.push(changeFromWire(result.data));
          this.#forgetProvider(result.data.provider_id);
        }
      });
      yield { changes, invalid, cursor, until: raw.until };
      if (!raw.has_more || raw.next_cursor === undefined || raw.next_cursor === null) return;
      cursor = raw.next_cursor;
    }
  }

  /** Closes the client's connections. */
  async close(): Promise<void> {
    await this.settings.close?.();
  }

  /** Subscribes a URL to events; the answer holds the signing `secret` (only this once). */
  async subscribeWebhook(
    request: WebhookSubscriptionRequest,
    signal?: AbortSignal,
  ): Promise<wire.WebhookSubscription> {
    const response = await this.http.send({
      method: 'POST',
      path: '/webhooks',
      body: { url: request.url, events: request.events, provider_id: request.providerId },
      signal,
    });
    return parseWith(wire.WebhookSubscriptionSchema, response.body, 'webhook subscription');
  }

  /** Removes a subscription. */
  async unsubscribeWebhook(id: string, signal?: AbortSignal): Promise<void> {
    await this.http.send({
      method: 'DELETE',
      path: `/webhooks/${encodeURIComponent(id)}`,
      route: '/webhooks/{id}',
      signal,
    });
  }

  /** The client's subscriptions (without secrets). */
  async listWebhooks(signal?: AbortSignal): Promise<wire.WebhookSubscription[]> {
    const response = await this.http.send({ method: 'GET', path: '/webhooks', signal });
    return parseWith(WebhookListSchema, response.body, 'webhook list').webhooks;
  }

  async #scheduleChunk(id: string, chunk: ScheduleWindow, signal?: AbortSignal): Promise<Slot[]> {
    const response = await this.http.send({
      method: 'GET',
      path: `/providers/${encodeURIComponent(id)}/schedule`,
      route: '/providers/{id}/schedule',
      query: { start_date: chunk.startDate, end_date: chunk.endDate },
      signal,
    });
    const schedule = parseWith(wire.ScheduleSchema, response.body, `schedule of ${id}`);
    return schedule.schedule.map((slot, index) =>
      slotFromWire(
        wellFormedSlot(slot) ??
          parseWith(
            wire.SlotSchema,
            slot,
            `slot #${index} of ${id} ${chunk.startDate}..${chunk.endDate}`,
          ),
      ),
    );
  }

  /**
   * Serves `key` from the cache, else loads it once however many callers ask at the same
   * time. The shared load runs under its own signal, not any caller's: each caller races
   * its own `signal`, and the load is cancelled only when every caller waiting for it has
   * given up (then nothing is cached and the next caller starts afresh).
   */
  async #cached<T>(
    key: string,
    ttlMs: number,
    signal: AbortSignal | undefined,
    load: (signal: AbortSignal) => Promise<T>,
  ): Promise<T> {
    const hit = this.caching.cache.get<T>(key);
    if (hit !== undefined) return hit;
    throwIfAborted(signal);
    let shared = this.#inFlight.get(key);
    if (shared === undefined) {
      const controller = new AbortController();
      const entry: SharedLoad = { promise: Promise.resolve(), controller, waiters: 0 };
      entry.promise = load(controller.signal)
        .then((value) => {
          if (value !== undefined) this.caching.cache.set(key, value, ttlMs);
          return value;
        })
        .finally(() => {
          if (this.#inFlight.get(key) === entry) this.#inFlight.delete(key);
        });
      this.#inFlight.set(key, entry);
      shared = entry;
    }
    const entry = shared;
    entry.waiters += 1;
    try {
      return (await raceAbort(entry.promise, signal)) as T;
    } catch (error) {
      if (signal?.aborted === true) {
        entry.waiters -= 1;
        if (entry.waiters === 0) {
          if (this.#inFlight.get(key) === entry) this.#inFlight.delete(key);
          entry.controller.abort(signal.reason);
        }
      }
      throw error;
    }
  }

  #forgetProvider(id: string): void {
    this.caching.cache.delete(providerKey(id, joinFields(this.settings.fields)));
    this.caching.cache.delete(providerKey(id, undefined));
  }
}

function providerKey(id: string, fields: string | undefined): string {
  return `hc:provider:${id}:${fields ?? '*'}`;
}

function joinFields(fields: readonly ProviderField[] | undefined): string | undefined {
  return fields === undefined || fields.length === 0
    ? undefined
    : wireProviderFields(fields).join(',');
}

function readProviderPage(
  body: unknown,
  page: number,
  schema: z.ZodType<wire.Provider>,
): ProviderSearchPage {
  const raw = parseWith(wire.ProviderPageSchema, body, `provider page ${page}`);
  const providers: Provider[] = [];
  const invalid: InvalidRecord[] = [];
  raw.providers.forEach((entry, index) => {
    const result = tryParse(schema, entry, `provider #${index} of page ${page}`);
    if ('error' in result)
      invalid.push(invalidRecord(entry, `page ${page} #${index}`, 'id', result.error));
    else providers.push(providerFromWire(result.data));
  });
  return {
    providers,
    invalid,
    total: raw.total,
    page: raw.page,
    perPage: raw.per_page,
    hasNextPage: raw.has_next_page,
  };
}

/** Parses like `parseWith`, returning the validation error instead of throwing it. */
function tryParse<S extends z.ZodType>(
  schema: S,
  value: unknown,
  what: string,
): { data: z.infer<S> } | { error: PmsbridgeError } {
  try {
    return { data: parseWith(schema, value, what) };
  } catch (error) {
    if (hasErrorCategory(error, ErrorCategory.Validation)) return { error };
    throw error;
  }
}

/** An {@link InvalidRecord} keyed by the record's id when it has a readable one, else by its position. */
function invalidRecord(
  raw: unknown,
  position: string,
  idField: string,
  error: PmsbridgeError,
): InvalidRecord {
  const id =
    typeof raw === 'object' && raw !== null ? (raw as Record<string, unknown>)[idField] : undefined;
  return { key: typeof id === 'string' && id.length > 0 ? id : position, raw, error };
}
