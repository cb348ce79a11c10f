// Sessions left live by an engine that is gone (SIGKILL, crash, a lost host): once its lease
// expired, or at once when it was a process of this host, this engine takes them over (one
// compare-and-set on the owner for all of them, so two engines never both settle one) and settles
// them in bulk (reconcile.ts), freeing their webhook claims: a call still up is hung up (with what its dial step had made: the
// dialed party and the bridge), and each session ends `failed` through
// a recorder, so it gets its one `session.ended` event like any other session.
import type { Logger } from '../log.js';
import type { Session } from '../domain/model.js';
import type { OwnershipStore } from '../store/store.js';
import { initialSnapshot } from '../events/event-model.js';
import type { TelephonyPort } from './port.js';
import { ownerIsGone, type Owner } from './owner.js';
import { settleOrphans, type AriState, type OrphanSettlement } from './reconcile.js';
import { SessionRecorder, type Destinations, type EventsOut } from './session-recorder.js';

export interface OrphanDeps {
  store: OwnershipStore;
  port: TelephonyPort;
  owner: Owner;
  events: EventsOut;
  logger: Logger;
  /** Sessions without an owner (written before owners existed) count as orphans only if older than this. */
  startedAt: string;
  /** Sessions this process runs (they are never orphans). */
  isOurs(sessionId: string): boolean;
  destinationsFor(session: Session): Promise<Destinations>;
  /**
   * Whether an owner whose lease expired still answers (several engines: over the cluster bus).
   * After the database was out of reach for longer than the lease, every engine's lease has
   * lapsed: an engine that answers keeps its calls.
   */
  ownerAnswers?(ownerId: string): Promise<boolean>;
}

export interface OrphanSweep extends OrphanSettlement {
  /** Orphans this engine took over (and settled). */
  taken: number;
  /** Every orphan found was settled (false: a list or a write failed; the sweep is retried). */
  complete: boolean;
}

/**
 * Ends the orphans among the live sessions of other owners. `ari` lists what ARI has now (channels
 * and bridges); it is asked only when there is an orphan (the periodic sweep costs one indexed
 * query otherwise), and before the takeover, so that a failed list leaves the orphans for a retry.
 */
export async function endOrphans(deps: OrphanDeps, ari: () => Promise<AriState | undefined>): Promise<OrphanSweep> {
  const { store, owner } = deps;
  const none: OrphanSweep = { hungUp: 0, gone: 0, failedWrites: 0, bridgesDestroyed: 0, taken: 0, complete: true };
  const placement = deps.port.placement;
  const down = new Set(placement?.servers().filter((x) => !x.up).map((x) => x.name));
  const expired = (await store.listLiveSessionsNotOwnedBy(owner.id)).filter((s) => !deps.isOurs(s.id)
    && (s.ownerId === null ? s.dateCreated < deps.startedAt : ownerIsGone(s.ownerId, s.leaseExpires))
    // A call on a server that is down now is settled once it is back (its channel may still be up there).
    && !(s.asteriskServer !== undefined && down.has(s.asteriskServer)));
  const candidates = await withoutLiveOwners(expired, deps);
  if (candidates.length === 0) return none;
  const present = await ari();
  if (!present) return { ...none, complete: false };
  const taken = new Set(await store.takeOver(candidates.map((s) => ({ id: s.id, previousOwner: s.ownerId })), owner.id, owner.leaseExpires()));
  const orphans = candidates.filter((s) => taken.has(s.id));
  if (orphans.length === 0) return none;
  // The gone owners' webhook claims (worker id = owner id) would hold each session's chain, its
  // `session.ended` included, until the claim lease ran out: freed now.
  await store.releaseClaims([...new Set(orphans.flatMap((s) => (s.ownerId === null ? [] : [s.ownerId])))]);
  // The server the store names is where its channels (and what its dial step made) are hung up.
  for (const s of orphans) if (s.asteriskServer !== undefined) placement?.pin(s.asteriskServer, s.channelId);
  const seqs = await store.lastSeqs(orphans.map((s) => s.id));
  const settled = await settleOrphans(orphans, present, {
    port: deps.port,
    logger: deps.logger,
    end: (s, reason) => endOne(deps, s, seqs.get(s.id) ?? 0, reason),
  });
  return { ...settled, taken: orphans.length, complete: settled.failedWrites === 0 };
}

/** Leaves out the sessions of owners that still answer (only a lease expired, not a dead process of this host). */
async function withoutLiveOwners(sessions: Session[], deps: OrphanDeps): Promise<Session[]> {
  const ask = deps.ownerAnswers;
  if (!ask) return sessions;
  const owners = [...new Set(sessions.flatMap((s) => (s.ownerId !== null && !ownerIsGone(s.ownerId, null) ? [s.ownerId] : [])))];
  const alive = new Set((await Promise.all(owners.map(async (o) => ((await ask(o)) ? [o] : [])))).flat());
  if (alive.size > 0) deps.logger.info({ owners: [...alive] }, 'lease expired but the engine answers: its sessions are left to it');
  return sessions.filter((s) => s.ownerId === null || !alive.has(s.ownerId));
}

async function endOne(deps: OrphanDeps, s: Session, seq: number, reason: string): Promise<void> {
  let failed: unknown;
  const recorder = new SessionRecorder(s, {
    store: deps.store, out: deps.events, destinations: await deps.destinationsFor(s),
    log: deps.logger.child({ sessionId: s.id }),
    onWriteFailed: (err) => { failed ??= err; },
  }, { seq, snapshot: { ...initialSnapshot(s), state: s.state, dateAnswered: s.dateAnswered } });
  recorder.transition('failed', true, { reason, previousOwner: s.ownerId });
  await recorder.settled();
  if (failed !== undefined) throw failed instanceof Error ? failed : new Error(String(failed));
}
