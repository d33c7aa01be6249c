import type { StateStore } from './state-store.js';

/** A record as stored: its value (JSON text, by convention), its version and when it last changed. */
export interface StoredRecord {
  readonly value: string;
  /** 1 when created; each successful update adds 1. */
  readonly version: number;
  /** RFC 3339 instant of the last write, from the store's clock. */
  readonly updatedAt: string;
}

/** A {@link StoredRecord} with its key, as listed. */
export interface ListedRecord extends StoredRecord {
  readonly key: string;
}

/**
 * Small documents kept durably by namespace and key, created once and changed only by
 * compare-and-set, so that processes sharing the store agree on who did what: a booking's
 * outbox entry, a queued webhook delivery. An optional capability of a {@link StateStore}
 * (see {@link hasRecordStore}); the SQLite, in-memory and PostgreSQL stores have it.
 */
export interface RecordStore {
  /** Creates the record unless the key is taken; true when this call created it. */
  createRecord(namespace: string, key: string, value: string): Promise<boolean>;
  getRecord(namespace: string, key: string): Promise<StoredRecord | undefined>;
  /**
   * Replaces the value if the record is still at `expectedVersion`; true when it was (the
   * version is then one more), false when it changed meanwhile or is gone.
   */
  updateRecord(
    namespace: string,
    key: string,
    value: string,
    expectedVersion: number,
  ): Promise<boolean>;
  /** Removes the record, if there is one. */
  deleteRecord(namespace: string, key: string): Promise<void>;
  /** The namespace's records whose key starts with `prefix` (default all), in key order. */
  listRecords(
    namespace: string,
    options?: { prefix?: string; limit?: number },
  ): Promise<ListedRecord[]>;
  /**
   * Makes deleted and overwritten values unrecoverable from the store's files (a database
   * may keep old versions of a page in a log or free space), once patient data was dropped.
   */
  scrub?(): Promise<void>;
}

const RECORD_METHODS = [
  'createRecord',
  'getRecord',
  'updateRecord',
  'deleteRecord',
  'listRecords',
] as const;

/** Whether a state store keeps records (see {@link RecordStore}). */
export function hasRecordStore(store: StateStore): store is StateStore & RecordStore {
  return RECORD_METHODS.every(
    (method) => typeof (store as unknown as Record<string, unknown>)[method] === 'function',
  );
}
