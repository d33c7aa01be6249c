import { createToken } from './token.js';

/** A key-value cache with per-entry time to live. */
export interface Cache {
  get<T>(key: string): T | undefined;
  set<T>(key: string, value: T, ttlMs: number): void;
  delete(key: string): void;
}

/** Service identifier of {@link Cache}. */
export const CacheToken = createToken<Cache>('Cache');
