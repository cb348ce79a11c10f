// Who runs a live session: an engine process names itself `host:pid:nonce` and holds a lease on
// its sessions (and its delivery claims), renewed while it runs. Another engine may take a session
// over once the lease expired, or at once when the owner is a process of this host that is gone.
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';

/** Owners alive in this process (several engines may run in one process, e.g. in tests). */
const LOCAL_OWNERS = new Set<string>();

export interface Owner {
  readonly id: string;
  leaseExpires(): string;
  release(): void;
}

export function newOwner(leaseMs: number): Owner {
  const id = `${hostname()}:${process.pid}:${randomBytes(4).toString('hex')}`;
  LOCAL_OWNERS.add(id);
  return {
    id,
    leaseExpires: () => new Date(Date.now() + leaseMs).toISOString(),
    release: () => LOCAL_OWNERS.delete(id),
  };
}

/** True when the owner can no longer run its sessions: lease expired, or a process of this host that is gone. */
export function ownerIsGone(ownerId: string, leaseExpires: string | null, now = Date.now()): boolean {
  if (leaseExpires !== null && Date.parse(leaseExpires) < now) return true;
  const m = /^(.*):(\d+):([0-9a-f]+)$/.exec(ownerId);
  if (!m || m[1] !== hostname()) return false;
  const pid = Number(m[2]);
  if (pid === process.pid) return !LOCAL_OWNERS.has(ownerId);
  try {
    process.kill(pid, 0);
    return false;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'ESRCH';
  }
}
