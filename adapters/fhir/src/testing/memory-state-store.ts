import type { Checkpoint, DeadLetter, DeadLetterInput, StateStore } from '@pmsbridge/core';

/** Test double: an in-memory {@link StateStore} (only what the sinks use is meaningful). */
export class MemoryStateStore implements StateStore {
  readonly hashes = new Map<string, Map<string, string>>();
  private readonly checkpoints = new Map<string, Checkpoint>();
  private readonly seen = new Set<string>();

  async getCheckpoint(pipeline: string, stream: string): Promise<Checkpoint | undefined> {
    return this.checkpoints.get(`${pipeline}\0${stream}`);
  }
  async saveCheckpoint(pipeline: string, stream: string, checkpoint: Checkpoint): Promise<void> {
    this.checkpoints.set(`${pipeline}\0${stream}`, checkpoint);
  }
  async clearCheckpoint(pipeline: string, stream: string): Promise<void> {
    this.checkpoints.delete(`${pipeline}\0${stream}`);
  }
  async addDeadLetter(_input: DeadLetterInput): Promise<void> {}
  async listDeadLetters(): Promise<DeadLetter[]> {
    return [];
  }
  async purgeDeadLetters(): Promise<number> {
    return 0;
  }
  async markSeen(namespace: string, id: string): Promise<boolean> {
    const key = `${namespace}\0${id}`;
    if (this.seen.has(key)) return false;
    this.seen.add(key);
    return true;
  }
  private ns(namespace: string): Map<string, string> {
    let map = this.hashes.get(namespace);
    if (map === undefined) this.hashes.set(namespace, (map = new Map()));
    return map;
  }
  async getHashes(namespace: string, keys: readonly string[]): Promise<Map<string, string>> {
    const map = this.ns(namespace);
    const out = new Map<string, string>();
    for (const key of keys) {
      const value = map.get(key);
      if (value !== undefined) out.set(key, value);
    }
    return out;
  }
  async setHashes(
    namespace: string,
    entries: ReadonlyArray<readonly [string, string]>,
  ): Promise<void> {
    const map = this.ns(namespace);
    for (const [key, value] of entries) map.set(key, value);
  }
  async deleteHashes(namespace: string, keys: readonly string[]): Promise<void> {
    const map = this.ns(namespace);
    for (const key of keys) map.delete(key);
  }
  async listHashKeys(namespace: string, prefix: string): Promise<string[]> {
    return [...this.ns(namespace).keys()].filter((key) => key.startsWith(prefix)).sort();
  }
  async close(): Promise<void> {}
}
