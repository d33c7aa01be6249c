import { createToken } from './token.js';

/** Where a pipeline stream stands. Saved only after the sinks acknowledged everything before it. */
export interface Checkpoint {
  /** The source position after the last acknowledged record (opaque to the store). */
  position: unknown;
  /** Each sink's `checkpointState()`, by sink name. */
  sinkStates: Record<string, unknown>;
  updatedAt: string;
}

/** A record that could not be processed. */
export interface DeadLetter {
  id: number;
  pipeline: string;
  key: string;
  stage: string;
  reason: { code: string; message: string; details?: unknown };
  record: unknown;
  attempts: number;
  firstSeenAt: string;
  lastSeenAt: string;
}

/** The new dead letter; a repeat for the same pipeline, key and stage bumps `attempts`. */
export interface DeadLetterInput {
  pipeline: string;
  key: string;
  stage: string;
  reason: DeadLetter['reason'];
  record: unknown;
}

/**
 * A held lease: the right, until `expiresAt`, to run the work `name` stands for (e.g. one
 * pipeline). {@link StateStore.renewLease} extends it, {@link StateStore.releaseLease} gives
 * it up.
 */
export interface Lease {
  /** What the lease guards, e.g. a pipeline name. */
  readonly name: string;
  /** Who holds it: an id unique to one run (e.g. host, process id and a random part). */
  readonly owner: string;
  /** When it lapses unless renewed (ISO 8601, from the store's clock). */
  readonly expiresAt: string;
}

/**
 * Persistent state of pipelines: checkpoints, dead letters, seen ids, content hashes, and
 * leases that keep two runs of one pipeline from overlapping.
 */
export interface StateStore {
  getCheckpoint(pipeline: string, stream: string): Promise<Checkpoint | undefined>;
  saveCheckpoint(pipeline: string, stream: string, checkpoint: Checkpoint): Promise<void>;
  clearCheckpoint(pipeline: string, stream: string): Promise<void>;

  addDeadLetter(input: DeadLetterInput): Promise<void>;
  listDeadLetters(pipeline: string, options?: { limit?: number }): Promise<DeadLetter[]>;
  /** Removes the given dead letters (after a successful replay), or all of the pipeline's. */
  purgeDeadLetters(pipeline: string, ids?: readonly number[]): Promise<number>;

  /** Records `id` as seen for `ttlMs`; returns false when it was already seen and not expired. */
  markSeen(namespace: string, id: string, ttlMs: number): Promise<boolean>;

  /** Content hashes by output key, for skipping unchanged writes. */
  getHashes(namespace: string, keys: readonly string[]): Promise<Map<string, string>>;
  setHashes(namespace: string, entries: ReadonlyArray<readonly [string, string]>): Promise<void>;
  deleteHashes(namespace: string, keys: readonly string[]): Promise<void>;
  /** Keys stored under a prefix (e.g. every slot of one schedule). */
  listHashKeys(namespace: string, prefix: string): Promise<string[]>;

  /**
   * Takes the lease `name` for `owner` until the store's clock reads `now + ttlMs`. Succeeds
   * when nobody holds it, when the holder's lease has expired (a takeover), or when `owner`
   * already holds it (which renews it). Atomic across processes sharing the store: of
   * several callers, one wins.
   * @returns the lease, or `undefined` when another owner holds an unexpired lease.
   * @throws StateError when `ttlMs` is not a positive, finite number.
   */
  acquireLease(name: string, owner: string, ttlMs: number): Promise<Lease | undefined>;
  /**
   * Extends `owner`'s lease to `now + ttlMs`. A lease that expired but that nobody took over
   * is still the owner's and is renewed.
   * @returns false when the lease was lost: taken over by another owner after it expired,
   *   released, or never acquired. The caller should stop the work it guards.
   * @throws StateError when `ttlMs` is not a positive, finite number.
   */
  renewLease(name: string, owner: string, ttlMs: number): Promise<boolean>;
  /**
   * Gives up `owner`'s lease so another owner can acquire it at once; a no-op when `owner`
   * does not hold it.
   */
  releaseLease(name: string, owner: string): Promise<void>;
  /** The lease on `name` as stored (possibly expired), or `undefined` when none is. */
  readLease(name: string): Promise<Lease | undefined>;

  close(): Promise<void>;
}

/** Service identifier of {@link StateStore}. */
export const StateStoreToken = createToken<StateStore>('StateStore');
