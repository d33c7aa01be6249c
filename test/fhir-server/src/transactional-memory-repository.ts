import {
  badRequest,
  conflict,
  isCreated,
  parseSearchRequest,
  normalizeOperationOutcome,
  OperationOutcomeError,
  validateResource,
  type SearchRequest,
  type WithId,
} from '@medplum/core';
import {
  MemoryRepository,
  type CreateResourceOptions,
  type DeleteResourceOptions,
  type UpdateResourceOptions,
} from '@medplum/fhir-router';
import type { Appointment, Bundle, OperationOutcome, Resource } from '@medplum/fhirtypes';

/**
 * `@medplum/core`'s `getStatus` maps an OperationOutcome with this id to 422 Unprocessable
 * Entity, both for plain requests and for batch entry responses, which is the status FHIR
 * gives a resource that violates the specification.
 */
const UNPROCESSABLE_OUTCOME_ID = 'business-rule';

/** Appointment statuses that hold their slot (all but cancelled, noshow, entered-in-error). */
const ACTIVE_APPOINTMENT: ReadonlySet<string> = new Set([
  'proposed',
  'pending',
  'booked',
  'arrived',
  'fulfilled',
  'checked-in',
  'waitlist',
]);

/** The state of one resource before the running transaction first touched it. */
interface PriorState {
  resourceType: string;
  id: string;
  /** The current version before the transaction; undefined when the resource did not exist. */
  prior: WithId<Resource> | undefined;
}

/**
 * A {@link MemoryRepository} that behaves more like a real FHIR server:
 *
 * - every create and update is validated against the R4 StructureDefinitions, and an invalid
 *   resource is rejected with a 422 OperationOutcome instead of being stored;
 * - `withTransaction` is atomic: when the callback fails (a transaction bundle entry fails),
 *   every resource it created, updated or deleted is put back as it was. (Medplum's memory
 *   repository applies entries one by one and keeps whatever succeeded.) A restored resource
 *   keeps its version id; its history gains one entry for the restore.
 *
 * Rollback assumes nothing else writes while a transaction runs; the server serialises
 * requests to guarantee that.
 */
export class TransactionalMemoryRepository extends MemoryRepository {
  #undoLog: Map<string, PriorState> | undefined;
  #isRestoring = false;
  readonly #updateCreate: boolean;

  /**
   * @param options.updateCreate - whether an update may create a resource with the id the
   *   client chose (default true); when false such an update is refused with 400.
   */
  constructor(options: { updateCreate?: boolean } = {}) {
    super();
    this.#updateCreate = options.updateCreate ?? true;
  }

  override async updateResource<T extends Resource>(
    resource: T,
    options?: UpdateResourceOptions,
  ): Promise<WithId<T>> {
    if (!this.#updateCreate && resource.id && !(await this.#exists(resource))) {
      throw new OperationOutcomeError(
        badRequest(
          `${resource.resourceType}/${resource.id} does not exist and this server does not let clients assign ids`,
          `${resource.resourceType}.id`,
        ),
      );
    }
    await this.#assertSlotFree(resource);
    return super.updateResource(resource, options);
  }

  override async createResource<T extends Resource>(
    resource: T,
    options?: CreateResourceOptions,
    update = false,
  ): Promise<WithId<T>> {
    if (this.#isRestoring) {
      return super.createResource(resource, options, update);
    }
    assertValid(resource);
    await this.#assertSlotFree(resource);
    if (resource.id) {
      await this.#remember(resource.resourceType, resource.id);
    }
    const stored = await super.createResource(resource, options, update);
    this.#rememberCreated(stored);
    return stored;
  }

  override async conditionalCreate<T extends Resource>(
    resource: T,
    search: SearchRequest<T>,
    options?: CreateResourceOptions,
  ): Promise<{ resource: WithId<T>; outcome: OperationOutcome }> {
    assertValid(resource);
    // A repeat of a create that matched is answered with what exists; only a new one is checked.
    if ((await this.searchResources({ ...search, count: 1 })).length === 0) {
      await this.#assertSlotFree(resource);
    }
    const result = await super.conditionalCreate(resource, search, options);
    if (isCreated(result.outcome)) {
      this.#rememberCreated(result.resource);
    }
    return result;
  }

  /**
   * Refuses (409) an active Appointment for a Slot another active Appointment already
   * holds, as a scheduling server does: one booking per slot.
   */
  async #assertSlotFree(resource: Resource): Promise<void> {
    if (resource.resourceType !== 'Appointment' || !ACTIVE_APPOINTMENT.has(resource.status)) return;
    for (const { reference } of resource.slot ?? []) {
      if (reference === undefined) continue;
      const holders = await this.searchResources<Appointment>(
        parseSearchRequest(`Appointment?slot=${encodeURIComponent(reference)}`),
      );
      if (holders.some((a) => a.id !== resource.id && ACTIVE_APPOINTMENT.has(a.status))) {
        throw new OperationOutcomeError(conflict(`${reference} is already booked`));
      }
    }
  }

  override async deleteResource(
    resourceType: string,
    id: string,
    options?: DeleteResourceOptions,
  ): Promise<void> {
    await this.#remember(resourceType, id);
    await super.deleteResource(resourceType, id, options);
  }

  override async readHistory<T extends Resource>(
    resourceType: string,
    id: string,
  ): Promise<Bundle<T>> {
    const history = await super.readHistory<T>(resourceType, id);
    // MemoryRepository.readHistory reverses its stored version list in place; reading once
    // more puts it back, so every read answers newest first.
    await super.readHistory<T>(resourceType, id);
    return history;
  }

  override async withTransaction<TResult>(
    callback: (repo: this) => Promise<TResult>,
  ): Promise<TResult> {
    if (this.#undoLog) {
      // Nested (a conditional update inside a transaction bundle): the outer one owns rollback.
      return callback(this);
    }
    const undoLog = new Map<string, PriorState>();
    this.#undoLog = undoLog;
    try {
      return await callback(this);
    } catch (error) {
      await this.#rollBack(undoLog);
      throw error;
    } finally {
      this.#undoLog = undefined;
    }
  }

  async #exists(resource: Resource): Promise<boolean> {
    try {
      await this.readResource(resource.resourceType, resource.id ?? '');
      return true;
    } catch {
      return false;
    }
  }

  async #remember(resourceType: string, id: string): Promise<void> {
    const undoLog = this.#undoLog;
    const key = `${resourceType}/${id}`;
    if (!undoLog || undoLog.has(key)) {
      return;
    }
    let prior: WithId<Resource> | undefined;
    try {
      prior = await this.readResource<WithId<Resource>>(resourceType, id);
    } catch {
      // Not found (or deleted): undoing means removing whatever the transaction wrote.
      prior = undefined;
    }
    undoLog.set(key, { resourceType, id, prior });
  }

  #rememberCreated(resource: WithId<Resource>): void {
    const key = `${resource.resourceType}/${resource.id}`;
    if (this.#undoLog && !this.#undoLog.has(key)) {
      this.#undoLog.set(key, {
        resourceType: resource.resourceType,
        id: resource.id,
        prior: undefined,
      });
    }
  }

  async #rollBack(undoLog: Map<string, PriorState>): Promise<void> {
    this.#isRestoring = true;
    try {
      for (const { resourceType, id, prior } of undoLog.values()) {
        if (prior) {
          // Seeding keeps the restored version's meta.versionId and meta.lastUpdated.
          await this.withSeeding(() => this.createResource(prior, undefined, true));
        } else {
          await this.expungeResource(resourceType, id);
        }
      }
    } finally {
      this.#isRestoring = false;
    }
  }
}

/** Throws a 422 OperationOutcomeError listing every issue when the resource is not valid R4. */
function assertValid(resource: Resource): void {
  try {
    validateResource(resource);
  } catch (error) {
    const outcome = normalizeOperationOutcome(error);
    throw new OperationOutcomeError({ ...outcome, id: UNPROCESSABLE_OUTCOME_ID }, { cause: error });
  }
}
