import { setTimeout as sleep } from 'node:timers/promises';
import { CancelledError, StateError } from '../errors/errors.js';
import type { Logger } from '../ports/logger.js';
import type { StateStore } from '../ports/state-store.js';
import { isDeadLocalOwner, newLeaseOwner } from '../state/lease-owner.js';

/** How long a run's lease lasts without renewal; it is renewed at a third of that. */
export const PIPELINE_LEASE_TTL_MS = 60_000;

/**
 * Runs `body` while holding the pipeline's lease, so two runs of one pipeline never
 * interleave their checkpoints (overlapping cron jobs, a second operator). The lease is
 * renewed while the run lasts and released at its end; a run whose lease was lost (its
 * process stalled past the lease and another run took over) is cancelled. A crashed run's
 * lease expires after `ttlMs`.
 */
export async function withPipelineLease<T>(
  state: StateStore,
  pipeline: string,
  logger: Logger,
  signal: AbortSignal | undefined,
  body: (signal: AbortSignal) => Promise<T>,
  ttlMs = PIPELINE_LEASE_TTL_MS,
): Promise<T> {
  const name = `pipeline:${pipeline}`;
  const owner = newLeaseOwner();
  let lease = await state.acquireLease(name, owner, ttlMs);
  if (lease === undefined) {
    // A run killed on this machine leaves its lease behind: take it over at once rather
    // than make the restart wait for it to expire.
    const holder = await state.readLease(name);
    if (holder !== undefined && isDeadLocalOwner(holder.owner)) {
      logger.warn('taking over the lease of a run that is no longer alive', {
        pipeline,
        owner: holder.owner,
      });
      await state.releaseLease(name, holder.owner);
      lease = await state.acquireLease(name, owner, ttlMs);
    }
  }
  if (lease === undefined) {
    throw new StateError(
      `Pipeline "${pipeline}" is already running (another run holds its lease); wait for it to finish, or for its lease to expire if it crashed`,
      undefined,
      'PMS_STATE_LEASE_HELD',
    );
  }
  const controller = new AbortController();
  const forwardAbort = (): void => controller.abort(signal?.reason);
  signal?.addEventListener('abort', forwardAbort, { once: true });
  if (signal?.aborted === true) forwardAbort();
  let renewing = Promise.resolve();
  const timer = setInterval(() => {
    renewing = renewing
      .then(() => state.renewLease(name, owner, ttlMs))
      .then((isHeld) => {
        if (isHeld) return;
        logger.error('pipeline lease lost: stopping the run', { pipeline });
        controller.abort(
          new CancelledError(`Pipeline "${pipeline}" lost its lease to another run`),
        );
      })
      .catch((error: unknown) => logger.warn('pipeline lease renewal failed', { pipeline, error }));
  }, ttlMs / 3);
  timer.unref();
  try {
    return await body(controller.signal);
  } finally {
    clearInterval(timer);
    signal?.removeEventListener('abort', forwardAbort);
    await renewing;
    await releaseSoon(state, name, owner, logger);
  }
}

/**
 * Releases the lease, trying again for a few seconds when the store does not answer (a
 * database restarting): a lease left behind blocks the pipeline until it expires.
 */
async function releaseSoon(
  state: StateStore,
  name: string,
  owner: string,
  logger: Logger,
): Promise<void> {
  for (let attempt = 1; ; attempt += 1) {
    try {
      await state.releaseLease(name, owner);
      return;
    } catch (error) {
      if (attempt >= 10) throw error;
      logger.warn('lease release failed: trying again', { lease: name, attempt });
      await sleep(1_000);
    }
  }
}
