import { StateError } from '../errors/errors.js';
import { systemClock, type Clock } from '../ports/clock.js';
import type {
  Checkpoint,
  DeadLetter,
  DeadLetterInput,
  Lease,
  StateStore,
} from '../ports/state-store.js';
import { leaseExpiry } from './lease-expiry.js';
import { compareCodePoints } from './prefix-range.js';
import type { ListedRecord, RecordStore, StoredRecord } from '../ports/record-store.js';
import { checkTtl, PruneSchedule } from './seen-expiry.js';
import { decodeStoredJson, encodeStoredJson } from './stored-json.js';

/** Options of {@link MemoryStateStore}. */
export interface MemoryStateStoreOptions {
  /** The time source for dead-letter timestamps, seen-id and lease expiry. Default: the system clock. */
  clock?: Clock;
}

interface StoredCheckpoint {
  position: string | null;
  sinkStates: string;
  updatedAt: string;
}

interface StoredDeadLetter extends Omit<DeadLetter, 'reason' | 'record'> {
  reason: string;
  record: string | null;
}

/**
 * A {@link StateStore} in process memory, for embedding pmsbridge and for tests. It behaves
 * like {@link SqliteStateStore} (the same contract tests run against both), including
 * storing values as JSON, so what a caller gets back is a copy and a value that SQLite could
 * not store is rejected here too. Nothing survives the process.
 */
export class MemoryStateStore implements StateStore, RecordStore {
  readonly #checkpoints = new Map<string, StoredCheckpoint>();
  readonly #deadLetters = new Map<string, StoredDeadLetter>();
  readonly #seen = new Map<string, number>();
  readonly #hashes = new Map<string, Map<string, string>>();
  readonly #leases = new Map<string, { owner: string; expiresAtMs: number }>();
  readonly #records = new Map<string, Map<string, StoredRecord>>();
  readonly #pruneSchedule = new PruneSchedule();
  readonly #clock: Clock;
  #nextDeadLetterId = 1;
  #isClosed = false;

  constructor(options: MemoryStateStoreOptions = {}) {
    this.#clock = options.clock ?? systemClock;
  }

  async getCheckpoint(pipeline: string, stream: string): Promise<Checkpoint | undefined> {
    this.#checkOpen();
    const stored = this.#checkpoints.get(compositeKey(pipeline, stream));
    if (stored === undefined) return undefined;
    const what = `the checkpoint of pipeline "${pipeline}" stream "${stream}"`;
    return {
      position: decodeStoredJson(stored.position, `${what} (position)`),
      sinkStates: decodeStoredJson(stored.sinkStates, `${what} (sink states)`) as Record<
        string,
        unknown
      >,
      updatedAt: stored.updatedAt,
    };
  }

  async saveCheckpoint(pipeline: string, stream: string, checkpoint: Checkpoint): Promise<void> {
    this.#checkOpen();
    const what = `the checkpoint of pipeline "${pipeline}" stream "${stream}"`;
    const sinkStates = encodeStoredJson(checkpoint.sinkStates, `the sink states of ${what}`);
    this.#checkpoints.set(compositeKey(pipeline, stream), {
      position: encodeStoredJson(checkpoint.position, `the position of ${what}`),
      sinkStates: sinkStates ?? '{}',
      updatedAt: checkpoint.updatedAt,
    });
  }

  async clearCheckpoint(pipeline: string, stream: string): Promise<void> {
    this.#checkOpen();
    this.#checkpoints.delete(compositeKey(pipeline, stream));
  }

  async addDeadLetter(input: DeadLetterInput): Promise<void> {
    this.#checkOpen();
    const what = `the dead letter of pipeline "${input.pipeline}" key "${input.key}" stage "${input.stage}"`;
    const reason = encodeStoredJson(input.reason, `the reason of ${what}`) ?? 'null';
    const record = encodeStoredJson(input.record, `the record of ${what}`);
    const now = this.#clock.now().toISOString();
    const key = compositeKey(input.pipeline, input.key, input.stage);
    const existing = this.#deadLetters.get(key);
    if (existing !== undefined) {
      existing.attempts += 1;
      existing.reason = reason;
      existing.record = record;
      existing.lastSeenAt = now;
      return;
    }
    this.#deadLetters.set(key, {
      id: this.#nextDeadLetterId++,
      pipeline: input.pipeline,
      key: input.key,
      stage: input.stage,
      reason,
      record,
      attempts: 1,
      firstSeenAt: now,
      lastSeenAt: now,
    });
  }

  async listDeadLetters(pipeline: string, options: { limit?: number } = {}): Promise<DeadLetter[]> {
    this.#checkOpen();
    const { limit } = options;
    if (limit !== undefined && !(Number.isInteger(limit) && limit > 0)) {
      throw new StateError(`The dead-letter limit must be a positive integer, got ${limit}`);
    }
    // Map iteration follows insertion, which is id order: oldest first, like the SQLite store.
    const letters = [...this.#deadLetters.values()].filter((l) => l.pipeline === pipeline);
    return letters.slice(0, limit).map((stored) => ({
      ...stored,
      reason: decodeStoredJson(stored.reason, `dead letter ${stored.id}`) as DeadLetter['reason'],
      record: decodeStoredJson(stored.record, `dead letter ${stored.id}`),
    }));
  }

  async purgeDeadLetters(pipeline: string, ids?: readonly number[]): Promise<number> {
    this.#checkOpen();
    const wanted = ids === undefined ? undefined : new Set(ids);
    let removed = 0;
    for (const [key, letter] of this.#deadLetters) {
      if (letter.pipeline !== pipeline) continue;
      if (wanted !== undefined && !wanted.has(letter.id)) continue;
      this.#deadLetters.delete(key);
      removed += 1;
    }
    return removed;
  }

  async markSeen(namespace: string, id: string, ttlMs: number): Promise<boolean> {
    this.#checkOpen();
    checkTtl(ttlMs);
    const nowMs = this.#clock.now().getTime();
    if (this.#pruneSchedule.isDue(nowMs)) {
      for (const [key, expiresAt] of this.#seen) if (expiresAt <= nowMs) this.#seen.delete(key);
    }
    const key = compositeKey(namespace, id);
    const expiresAt = this.#seen.get(key);
    if (expiresAt !== undefined && expiresAt > nowMs) return false;
    this.#seen.set(key, nowMs + Math.ceil(ttlMs));
    return true;
  }

  async getHashes(namespace: string, keys: readonly string[]): Promise<Map<string, string>> {
    this.#checkOpen();
    const stored = this.#hashes.get(namespace);
    const found = new Map<string, string>();
    for (const key of keys) {
      const hash = stored?.get(key);
      if (hash !== undefined) found.set(key, hash);
    }
    return found;
  }

  async setHashes(
    namespace: string,
    entries: ReadonlyArray<readonly [string, string]>,
  ): Promise<void> {
    this.#checkOpen();
    if (entries.length === 0) return;
    const stored = this.#hashes.get(namespace) ?? new Map<string, string>();
    for (const [key, hash] of entries) stored.set(key, hash);
    this.#hashes.set(namespace, stored);
  }

  async deleteHashes(namespace: string, keys: readonly string[]): Promise<void> {
    this.#checkOpen();
    const stored = this.#hashes.get(namespace);
    for (const key of keys) stored?.delete(key);
  }

  async listHashKeys(namespace: string, prefix: string): Promise<string[]> {
    this.#checkOpen();
    const keys = [...(this.#hashes.get(namespace)?.keys() ?? [])];
    return keys.filter((key) => key.startsWith(prefix)).sort(compareCodePoints);
  }

  async acquireLease(name: string, owner: string, ttlMs: number): Promise<Lease | undefined> {
    this.#checkOpen();
    const now = this.#clock.now();
    const { expiresAtMs, expiresAt } = leaseExpiry(now, ttlMs, 'acquireLease');
    const held = this.#leases.get(name);
    if (held !== undefined && held.owner !== owner && held.expiresAtMs > now.getTime()) {
      return undefined;
    }
    this.#leases.set(name, { owner, expiresAtMs });
    return { name, owner, expiresAt };
  }

  async renewLease(name: string, owner: string, ttlMs: number): Promise<boolean> {
    this.#checkOpen();
    const { expiresAtMs } = leaseExpiry(this.#clock.now(), ttlMs, 'renewLease');
    const held = this.#leases.get(name);
    if (held?.owner !== owner) return false;
    held.expiresAtMs = expiresAtMs;
    return true;
  }

  async releaseLease(name: string, owner: string): Promise<void> {
    this.#checkOpen();
    if (this.#leases.get(name)?.owner === owner) this.#leases.delete(name);
  }

  async readLease(name: string): Promise<Lease | undefined> {
    this.#checkOpen();
    const held = this.#leases.get(name);
    if (held === undefined) return undefined;
    return { name, owner: held.owner, expiresAt: new Date(held.expiresAtMs).toISOString() };
  }

  /** Marks the store closed; later calls fail with a {@link StateError}. */
  async createRecord(namespace: string, key: string, value: string): Promise<boolean> {
    this.#checkOpen();
    const records = this.#recordsOf(namespace);
    if (records.has(key)) return false;
    records.set(key, { value, version: 1, updatedAt: this.#clock.now().toISOString() });
    return true;
  }

  async getRecord(namespace: string, key: string): Promise<StoredRecord | undefined> {
    this.#checkOpen();
    return this.#records.get(namespace)?.get(key);
  }

  async updateRecord(
    namespace: string,
    key: string,
    value: string,
    expectedVersion: number,
  ): Promise<boolean> {
    this.#checkOpen();
    const records = this.#recordsOf(namespace);
    const current = records.get(key);
    if (current?.version !== expectedVersion) return false;
    records.set(key, {
      value,
      version: expectedVersion + 1,
      updatedAt: this.#clock.now().toISOString(),
    });
    return true;
  }

  async deleteRecord(namespace: string, key: string): Promise<void> {
    this.#checkOpen();
    this.#records.get(namespace)?.delete(key);
  }

  async listRecords(
    namespace: string,
    options: { prefix?: string; limit?: number } = {},
  ): Promise<ListedRecord[]> {
    this.#checkOpen();
    const prefix = options.prefix ?? '';
    return [...(this.#records.get(namespace) ?? new Map<string, StoredRecord>())]
      .filter(([key]) => key.startsWith(prefix))
      .sort(([a], [b]) => compareCodePoints(a, b))
      .slice(0, options.limit ?? Number.POSITIVE_INFINITY)
      .map(([key, record]) => ({ key, ...record }));
  }

  /** Nothing to do: nothing is kept outside the process. */
  async scrub(): Promise<void> {
    this.#checkOpen();
  }

  #recordsOf(namespace: string): Map<string, StoredRecord> {
    let records = this.#records.get(namespace);
    if (records === undefined) {
      records = new Map();
      this.#records.set(namespace, records);
    }
    return records;
  }

  async close(): Promise<void> {
    this.#isClosed = true;
  }

  #checkOpen(): void {
    if (this.#isClosed) {
      throw new StateError('The state store is closed', undefined, 'PMS_STATE_CLOSED');
    }
  }
}

/** One map key from several parts; JSON keeps parts that contain separators apart. */
function compositeKey(...parts: string[]): string {
  return JSON.stringify(parts);
}
