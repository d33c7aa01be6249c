import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';

/** A lease owner id unique to one holder: host, process id and a random part. */
export function newLeaseOwner(): string {
  return `${hostname()}:${process.pid}:${randomUUID()}`;
}

/**
 * Whether a lease owner (see {@link newLeaseOwner}) is a process of this machine that no
 * longer runs: its lease can be taken over at once rather than after it expires.
 */
export function isDeadLocalOwner(owner: string): boolean {
  const [host, pidText] = owner.split(':');
  const pid = Number(pidText);
  if (host !== hostname() || !Number.isInteger(pid) || pid <= 0 || pid === process.pid)
    return false;
  try {
    process.kill(pid, 0);
    return false;
  } catch (error) {
    // EPERM: it exists under another user; only ESRCH means it is gone.
    return (error as NodeJS.ErrnoException).code === 'ESRCH';
  }
}
