import type { SyncRecord } from '../domain/sync-record.js';
import { createToken } from './token.js';

/** Passed to each stage call. */
export interface StageContext {
  signal: AbortSignal;
  mode: 'full' | 'incremental';
}

/**
 * One pipeline step (validate, normalise, filter, enrich, map). Returns the record to pass
 * on, possibly changed, or `null` to drop it. Throwing dead-letters the record.
 */
export interface Stage {
  readonly name: string;
  process(
    record: SyncRecord,
    context: StageContext,
  ): Promise<SyncRecord | null> | SyncRecord | null;
}

/** Service identifier of {@link Stage}. */
export const StageToken = createToken<Stage>('Stage');
