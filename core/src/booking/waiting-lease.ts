import { setTimeout as sleep } from 'node:timers/promises';
import type { StateStore } from '../ports/state-store.js';
import { isDeadLocalOwner, newLeaseOwner } from '../state/lease-owner.js';

/** The state store's lease operations. */
export type LeaseStore = Pick<StateStore, 'acquireLease' | 'releaseLease' | 'readLease'>;

/** Another holder kept the lease for longer than the caller would wait. */
export class LeaseBusyError extends Error {
  constructor(readonly lease: string) {
    super(`${lease} is held by another request`);
  }
}

/**
 * Runs `body` holding the lease `name`, shared by every process of the state store: waits
 * (polling) up to `waitMs` for a holder to release it, and takes over at once a lease whose
 * holder was a process of this machine that is gone. Throws {@link LeaseBusyError} when the
 * wait runs out. `ttlMs` bounds how long a crashed holder on another machine blocks it.
 */
export async function withWaitingLease<T>(
  leases: LeaseStore,
  name: string,
  { waitMs, ttlMs, signal }: { waitMs: number; ttlMs: number; signal: AbortSignal },
  body: () => Promise<T>,
): Promise<T> {
  const owner = newLeaseOwner();
  const deadline = Date.now() + waitMs;
  for (let pause = 5; ; pause = Math.min(pause * 2, 50)) {
    if ((await leases.acquireLease(name, owner, ttlMs)) !== undefined) break;
    const holder = await leases.readLease(name);
    if (holder !== undefined && isDeadLocalOwner(holder.owner)) {
      await leases.releaseLease(name, holder.owner);
      continue;
    }
    if (Date.now() >= deadline) throw new LeaseBusyError(name);
    await sleep(pause, undefined, { signal });
  }
  try {
    return await body();
  } finally {
    await leases.releaseLease(name, owner);
  }
}
