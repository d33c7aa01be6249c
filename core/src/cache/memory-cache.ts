import { LRUCache } from 'lru-cache';
import type { Cache } from '../ports/cache.js';

/** The default {@link Cache}: an in-process LRU with per-entry time to live. */
export class MemoryCache implements Cache {
  readonly #entries: LRUCache<string, { value: unknown }>;

  constructor(options: { maxEntries?: number } = {}) {
    this.#entries = new LRUCache({ max: options.maxEntries ?? 1000 });
  }

  get<T>(key: string): T | undefined {
    return this.#entries.get(key)?.value as T | undefined;
  }

  set<T>(key: string, value: T, ttlMs: number): void {
    this.#entries.set(key, { value }, { ttl: ttlMs });
  }

  delete(key: string): void {
    this.#entries.delete(key);
  }
}
