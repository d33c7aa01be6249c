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

/** Persistent state of pipelines: checkpoints, dead letters, seen ids and content hashes. */
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

  close(): Promise<void>;
}

/** Service identifier of {@link StateStore}. */
export const StateStoreToken = createToken<StateStore>('StateStore');
