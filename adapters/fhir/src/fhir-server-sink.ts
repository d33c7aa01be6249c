import { createHash } from 'node:crypto';
import {
  ConfigError,
  ContentDiff,
  ErrorCategory,
  describeError,
  hasErrorCategory,
  recordKey,
  type Clock,
  type Logger,
  type RecordOutcome,
  type ResourceCounts,
  type Sink,
  type SinkOpenContext,
  type StateStore,
  type SyncRecord,
  type TrackedItem,
} from '@pmsbridge/core';
import type { BundleEntry, Resource, Slot } from '@medplum/fhirtypes';
import { identityOfKey, type BusinessIdentity } from './business-identity.js';
import type { CircuitBreakerOptions, HttpObserver, Sleep } from '@pmsbridge/core/http';
import { createFhirCircuitBreaker } from './circuit-breaker.js';
import { AuthHeaderProvider, type FhirAuth } from './fhir-auth.js';
import { FhirTransport, isRecordRejection, type FhirRetryOptions } from './fhir-transport.js';
import type { MappingOptions } from '@pmsbridge/fhir-mapping';
import {
  RESOURCE_TYPES,
  mapProviderRecord,
  ownerKey,
  parseResourceKey,
  resourceKey,
  type MappedResource,
  type MappedResourceType,
} from '@pmsbridge/fhir-mapping';
import { fhirIdFor, practitionerId, providerLocationKey } from '@pmsbridge/fhir-mapping';
import { ServerIdDirectory } from './server-assigned-ids.js';

/** Options of {@link FhirServerSink}. */
export interface FhirServerSinkOptions {
  /** Sink name for logs, checkpoints and the state-store namespace. Default `fhir-server`. */
  name?: string;
  baseUrl: string;
  auth: FhirAuth;
  /** Entries per transaction Bundle. Default 50: some servers (Medplum among them) reject transactions with more updates. */
  bundleSize?: number;
  retry?: Partial<FhirRetryOptions>;
  /**
   * Circuit breaker on the server's requests: opens after `failureThreshold` consecutive
   * 5xx/network failures (default 3), probes again after `resetMs` (default 30 s); `false`
   * turns it off.
   */
  circuitBreaker?: Partial<CircuitBreakerOptions> | false;
  mapping: MappingOptions;
}

/** Injected collaborators of {@link FhirServerSink}. */
export interface FhirServerSinkDeps {
  stateStore: StateStore;
  logger: Logger;
  clock: Clock;
  /** Replaces real waiting between retries (tests). */
  sleep?: Sleep;
  /** Told of every request, retry and the circuit's state, for metrics. */
  observer?: HttpObserver;
}

interface PlannedEntry {
  key: string;
  type: MappedResourceType;
  /** The business identifier of the resource (used when the server assigns ids). */
  identity: BusinessIdentity;
  /** As for client-assigned ids: `PUT`/`DELETE <type>/<our id>`. */
  entry: BundleEntry;
  /** The entry already addresses the server's id (a resource read back from the server). */
  isServerAddressed?: boolean;
  /** What to record after success; undefined for deletes (the key is then forgotten). */
  tracked?: TrackedItem;
  /** What the hash store predicts (used for dry runs). */
  predicted: keyof ResourceCounts;
}

interface RecordPlan {
  key: string;
  entries: PlannedEntry[];
  unchanged: Partial<Record<MappedResourceType, number>>;
  /** Hash keys to forget without a server request (e.g. a Location no longer listed). */
  forget: string[];
  /** The references the mappers write (`Schedule/<our id>`) → the target's identity. */
  references: Map<string, BusinessIdentity>;
}

type Outcome = RecordOutcome;

/** Canonical content hash of a resource as this package maps it. */
export function contentHash(resource: Resource): string {
  return createHash('sha256').update(JSON.stringify(resource)).digest('hex');
}

/**
 * The tracked form of a mapped resource: its key, content hash and, for a Slot, its start —
 * a Slot that leaves the window after it started is history, only forgotten.
 */
function trackedOf(key: string, resource: Resource): TrackedItem {
  const hash = contentHash(resource);
  return resource.resourceType === 'Slot'
    ? { key, hash, endsAt: (resource as Slot).start }
    : { key, hash };
}

/** A failure of one record (its data, or the server refusing its content), not of the sink. */
function isAboutTheRecord(error: unknown): boolean {
  return hasErrorCategory(error, ErrorCategory.Validation) || isRecordRejection(error);
}

function counts(): ResourceCounts {
  return { created: 0, updated: 0, unchanged: 0, deleted: 0 };
}

/**
 * Upserts mapped resources into a FHIR R4 server with transaction Bundles of
 * `PUT <type>/<deterministic id>` entries. Unchanged resources (content hash in the
 * state store) are not sent; resources of a provider that are no longer in its data
 * are withdrawn (DELETE); a rejected transaction is bisected so only the bad record fails.
 */
export class FhirServerSink implements Sink {
  readonly name: string;
  /** Sends nothing during a dry run; compares content hashes to report what would change. */
  readonly supportsDryRun = true;
  /**
   * Writes are per provider and idempotent, planned from content hashes in the shared state
   * store: the shards of a distributed full run may be written by several processes at once.
   */
  readonly shardable = true;
  private readonly diff: ContentDiff;
  private readonly transport: FhirTransport;
  private readonly bundleSize: number;
  private dryRun = false;
  /** Set at `open` when the server assigns ids itself (no update-as-create). */
  private serverIds: ServerIdDirectory | undefined;

  constructor(
    private readonly options: FhirServerSinkOptions,
    private readonly deps: FhirServerSinkDeps,
  ) {
    this.name = options.name ?? 'fhir-server';
    this.diff = new ContentDiff(deps.stateStore, `fhir-server:${this.name}`, deps.clock);
    this.bundleSize = options.bundleSize ?? 50;
    if (!Number.isInteger(this.bundleSize) || this.bundleSize < 1) {
      throw new ConfigError(
        `${this.name}: bundleSize must be a positive integer, got ${String(options.bundleSize)}`,
      );
    }
    const retry: FhirRetryOptions = {
      maxRetries: 4,
      baseDelayMs: 500,
      maxDelayMs: 60_000,
      ...options.retry,
    };
    const logger = deps.logger.child({ component: 'fhir-server-sink', sink: this.name });
    this.transport = new FhirTransport(
      options.baseUrl,
      new AuthHeaderProvider(options.auth, deps.clock, undefined, logger),
      retry,
      logger,
      deps.sleep,
      () => deps.clock.now().getTime(),
      options.circuitBreaker === false
        ? undefined
        : createFhirCircuitBreaker(
            { failureThreshold: 3, resetMs: 30_000, ...options.circuitBreaker },
            deps.clock,
            options.baseUrl,
          ),
      deps.observer,
    );
  }

  /**
   * Reads the CapabilityStatement and chooses how to write: with our ids (`PUT <type>/<id>`)
   * when every type declares `updateCreate: true`, else by conditional update on the
   * business identifier when every type declares `conditionalUpdate: true`; else it fails
   * with a {@link ConfigError} naming the server settings to turn on.
   */
  async open(context: SinkOpenContext): Promise<void> {
    this.dryRun = context.dryRun;
    const capabilities = await this.transport.capabilities(context.signal);
    const resources =
      capabilities.rest?.find((r) => r.mode === 'server')?.resource ??
      capabilities.rest?.[0]?.resource ??
      [];
    const declared = RESOURCE_TYPES.map((type) => {
      const found = resources.find((r) => r.type === type);
      if (found === undefined) {
        throw new ConfigError(
          `${this.name}: the FHIR server at ${this.options.baseUrl} does not support ${type}`,
          { code: 'PMS_FHIR_CAPABILITY_MISSING' },
        );
      }
      return found;
    });
    if (declared.every((r) => r.updateCreate === true)) {
      this.serverIds = undefined;
    } else if (declared.every((r) => r.conditionalUpdate === true)) {
      this.serverIds = new ServerIdDirectory((type, params, signal) =>
        this.transport.search(type, params, signal),
      );
      this.deps.logger.info('fhir server assigns ids: writing by conditional update', {
        sink: this.name,
      });
    } else {
      const lacking = declared.filter((r) => r.updateCreate !== true).map((r) => r.type);
      throw new ConfigError(
        `${this.name}: the FHIR server at ${this.options.baseUrl} lets clients neither assign ids (updateCreate is not true for ${lacking.join(', ')}) nor update by identifier (conditionalUpdate is not true). Turn on one of them on the server (its CapabilityStatement must declare updateCreate: true or conditionalUpdate: true for ${RESOURCE_TYPES.join(', ')}; on HAPI FHIR, client_id_strategy: ANY allows client-assigned ids)`,
        { code: 'PMS_FHIR_CAPABILITY_MISSING' },
      );
    }
  }

  /** Ends the run: logs the run's count of specialties mapped as text only. */
  async close(): Promise<void> {
    this.options.mapping.unmappedSpecialties?.endRun?.();
  }

  async write(batch: readonly SyncRecord[], signal: AbortSignal): Promise<RecordOutcome[]> {
    const outcomes = new Map<string, Outcome>();
    const plans: RecordPlan[] = [];
    for (const record of batch) {
      const key = recordKey(record);
      try {
        plans.push(
          record.kind === 'provider'
            ? await this.planProvider(record)
            : await this.planDeactivation(record.providerId, signal),
        );
      } catch (error) {
        if (signal.aborted || !isAboutTheRecord(error)) throw error;
        outcomes.set(key, { key, ok: false, error: describeError(error) });
      }
    }
    if (this.dryRun) {
      for (const plan of plans) outcomes.set(plan.key, this.predict(plan));
    } else {
      for (const outcome of await this.send(plans, signal)) outcomes.set(outcome.key, outcome);
    }
    return batch.map(
      (record) =>
        outcomes.get(recordKey(record)) ?? { key: recordKey(record), ok: true, counts: {} },
    );
  }

  private predict(plan: RecordPlan): Outcome {
    const result = this.baseCounts(plan);
    for (const entry of plan.entries) (result[entry.type] ??= counts())[entry.predicted]++;
    return { key: plan.key, ok: true, counts: result };
  }

  private baseCounts(plan: RecordPlan): Record<string, ResourceCounts> {
    const result: Record<string, ResourceCounts> = {};
    for (const [type, n] of Object.entries(plan.unchanged))
      (result[type] ??= counts()).unchanged += n ?? 0;
    return result;
  }

  private async planProvider(
    record: Extract<SyncRecord, { kind: 'provider' }>,
  ): Promise<RecordPlan> {
    const mapped = mapProviderRecord(record, this.options.mapping);
    const plan = this.emptyPlan(mapped.providerId);
    const byKey = new Map(mapped.resources.map((r) => [r.key, r]));
    for (const { key, type, resource } of mapped.resources) {
      plan.references.set(`${type}/${resource.id ?? ''}`, identityOfKey(key));
    }
    const diff = await this.diff.compare(
      ownerKey(mapped.providerId),
      mapped.resources.map((r) => trackedOf(r.key, r.resource)),
    );
    for (const { key } of diff.unchanged) {
      const { type } = byKey.get(key) as MappedResource;
      plan.unchanged[type] = (plan.unchanged[type] ?? 0) + 1;
    }
    for (const [tracked, predicted] of [
      ...diff.created.map((t) => [t, 'created'] as const),
      ...diff.updated.map((t) => [t, 'updated'] as const),
    ]) {
      const { type, resource } = byKey.get(tracked.key) as MappedResource;
      plan.entries.push({
        key: tracked.key,
        type,
        identity: identityOfKey(tracked.key),
        tracked,
        predicted,
        entry: { resource, request: { method: 'PUT', url: `${type}/${resource.id ?? ''}` } },
      });
    }
    // A past Slot is history (an Appointment may reference it): only forget it.
    plan.forget.push(...diff.expired);
    for (const key of diff.withdrawn) {
      const { type, sourceKey } = parseResourceKey(key);
      // A Location may still be used by other providers: only forget that this one wrote it.
      if (type === 'Location') plan.forget.push(key);
      else
        plan.entries.push(
          this.deleteEntry(key, type, this.idFor(mapped.providerId, type, sourceKey)),
        );
    }
    return plan;
  }

  private idFor(providerId: string, type: MappedResourceType, sourceKey: string): string {
    if (type === 'Practitioner') return practitionerId(providerId);
    if (type === 'PractitionerRole' || type === 'Schedule')
      return providerLocationKey(providerId, sourceKey);
    return fhirIdFor(sourceKey);
  }

  private emptyPlan(key: string): RecordPlan {
    return { key, entries: [], unchanged: {}, forget: [], references: new Map() };
  }

  private deleteEntry(key: string, type: MappedResourceType, id: string): PlannedEntry {
    return {
      key,
      type,
      identity: identityOfKey(key),
      predicted: 'deleted',
      entry: { request: { method: 'DELETE', url: `${type}/${id}` } },
    };
  }

  /**
   * A deactivated provider: Practitioner, PractitionerRoles and Schedules are read back
   * and re-written with `active: false`; its future Slots are deleted, its past ones only
   * forgotten.
   */
  private async planDeactivation(providerId: string, signal: AbortSignal): Promise<RecordPlan> {
    const plan = this.emptyPlan(providerId);
    const { withdrawn, expired } = await this.diff.leave(ownerKey(providerId));
    const keys = [...withdrawn, ...expired];
    const pastSlots = new Set(expired);
    const practitionerKey = resourceKey(providerId, 'Practitioner', providerId);
    for (const key of keys.includes(practitionerKey) ? keys : [practitionerKey, ...keys]) {
      const { type, sourceKey } = parseResourceKey(key);
      const id = this.idFor(providerId, type, sourceKey);
      if (type === 'Slot') {
        if (pastSlots.has(key)) plan.forget.push(key);
        else plan.entries.push(this.deleteEntry(key, type, id));
        continue;
      }
      if (type === 'Location') continue;
      const identity = identityOfKey(key);
      const query: Record<string, string> =
        this.serverIds === undefined
          ? { _id: id }
          : { identifier: `${identity.system}|${identity.value}` };
      const found = await this.transport.search(type, query, signal);
      const resource = found.entry?.[0]?.resource as (Resource & { active?: boolean }) | undefined;
      if (resource === undefined || resource.active === false) continue;
      // The server's meta (versionId, lastUpdated) is its own; the profile claim stays.
      const { meta, ...rest } = resource;
      const profile = meta?.profile === undefined ? {} : { meta: { profile: meta.profile } };
      const body = { ...rest, ...profile, active: false } as Resource;
      plan.entries.push({
        key,
        type,
        identity,
        isServerAddressed: true,
        tracked: trackedOf(key, body),
        predicted: 'updated',
        entry: { resource: body, request: { method: 'PUT', url: `${type}/${resource.id ?? id}` } },
      });
    }
    return plan;
  }

  /** Sends plans in transaction Bundles of at most `bundleSize` entries. */
  private async send(plans: readonly RecordPlan[], signal: AbortSignal): Promise<Outcome[]> {
    const outcomes: Outcome[] = [];
    let group: RecordPlan[] = [];
    let size = 0;
    const flush = async () => {
      if (group.length > 0) outcomes.push(...(await this.sendGroup(group, signal)));
      group = [];
      size = 0;
    };
    for (const plan of plans) {
      if (plan.entries.length === 0) {
        await this.diff.record([], plan.forget);
        outcomes.push({ key: plan.key, ok: true, counts: this.baseCounts(plan) });
        continue;
      }
      if (size + plan.entries.length > this.bundleSize) await flush();
      group.push(plan);
      size += plan.entries.length;
    }
    await flush();
    return outcomes;
  }

  /** One transaction for the group; on a 4xx rejection, bisects until the bad record is alone. */
  private async sendGroup(group: RecordPlan[], signal: AbortSignal): Promise<Outcome[]> {
    const entries = group.flatMap((plan) => plan.entries);
    try {
      const responses: Array<BundleEntry | undefined> = [];
      for (let i = 0; i < entries.length; i += this.bundleSize) {
        const chunk = entries.slice(i, i + this.bundleSize);
        responses.push(...(await this.sendChunk(chunk, group, signal)));
      }
      await this.remember(group);
      let index = 0;
      return group.map((plan) => {
        const result = this.baseCounts(plan);
        for (const entry of plan.entries) {
          const status = responses[index++]?.response?.status;
          (result[entry.type] ??= counts())[
            status?.startsWith('201') ? 'created' : entry.predicted
          ]++;
        }
        return { key: plan.key, ok: true, counts: result };
      });
    } catch (error) {
      // Credentials refused, 5xx after retries, no answer, an open circuit: no record of
      // this batch can be written now. Throwing stops the run before the checkpoint moves
      // past these records, so the next run writes them; dead-lettering them would lose them.
      if (signal.aborted || !isAboutTheRecord(error)) throw error;
      if (group.length > 1) {
        const middle = Math.ceil(group.length / 2);
        return [
          ...(await this.sendGroup(group.slice(0, middle), signal)),
          ...(await this.sendGroup(group.slice(middle), signal)),
        ];
      }
      const reason = describeError(error);
      this.deps.logger.warn('fhir transaction failed', {
        sink: this.name,
        records: group.map((p) => p.key),
        code: reason.code,
        message: reason.message,
      });
      return group.map((plan) => ({ key: plan.key, ok: false, error: reason }));
    }
  }

  /** One transaction; resolves to the response entry of each planned entry, in order. */
  private async sendChunk(
    chunk: readonly PlannedEntry[],
    group: readonly RecordPlan[],
    signal: AbortSignal,
  ): Promise<Array<BundleEntry | undefined>> {
    if (this.serverIds === undefined) {
      const response = await this.transport.transaction(
        { resourceType: 'Bundle', type: 'transaction', entry: chunk.map((e) => e.entry) },
        signal,
      );
      return chunk.map((_, index) => response.entry?.[index]);
    }
    const references = new Map(group.flatMap((plan) => [...plan.references]));
    const built = await this.serverIds.toBundle(chunk, references, signal);
    if ((built.bundle.entry ?? []).length === 0) return chunk.map(() => undefined);
    const response = await this.transport.transaction(built.bundle, signal);
    this.serverIds.learn(built, response);
    return built.positions.map((at) => (at === undefined ? undefined : response.entry?.[at]));
  }

  /** Records what the server acknowledged for the group: hashes of writes, no trace of deletes. */
  private async remember(group: readonly RecordPlan[]): Promise<void> {
    const written: TrackedItem[] = [];
    const gone: string[] = [];
    for (const plan of group) {
      gone.push(...plan.forget);
      for (const entry of plan.entries) {
        if (entry.tracked === undefined) gone.push(entry.key);
        else written.push(entry.tracked);
      }
    }
    await this.diff.record(written, gone);
  }
}
