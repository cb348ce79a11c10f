// Sessions left live by an engine that is gone (SIGKILL, crash, a lost host): once its lease
// expired, or at once when it was a process of this host, the first engine to take the session
// over (compare-and-set on the owner) hangs its channel up if it still exists and ends it
// `failed`, through a recorder, so the session gets its one `session.ended` like any other.
import type { Logger } from '../log.js';
import type { Session } from '../domain/model.js';
import type { Store } from '../store/store.js';
import { initialSnapshot } from '../events/event-model.js';
import type { TelephonyPort } from './port.js';
import { ownerIsGone, type Owner } from './owner.js';
import { SessionRecorder, destinationsOf, type EventsOut } from './session-recorder.js';

export interface OrphanDeps {
  store: Store;
  port: TelephonyPort;
  owner: Owner;
  events: EventsOut;
  logger: Logger;
  /** Sessions without an owner (written before owners existed) count as orphans only if older than this. */
  startedAt: string;
  /** Sessions this process runs (they are never orphans). */
  isOurs(sessionId: string): boolean;
}

/**
 * Ends the orphans among the live sessions of other owners. `channels` lists what ARI has now; it
 * is asked only when there is an orphan (the periodic sweep costs one indexed query otherwise).
 */
export async function endOrphans(deps: OrphanDeps, channels: () => Promise<ReadonlySet<string> | undefined>): Promise<number> {
  const { store, owner, logger } = deps;
  const orphans = (await store.listLiveSessionsNotOwnedBy(owner.id)).filter((s) => !deps.isOurs(s.id)
    && (s.ownerId === null ? s.dateCreated < deps.startedAt : ownerIsGone(s.ownerId, s.leaseExpires)));
  if (orphans.length === 0) return 0;
  const present = await channels();
  if (!present) return 0;
  let ended = 0;
  for (const s of orphans) {
    try {
      if (!(await store.takeOver(s.id, s.ownerId, owner.id, owner.leaseExpires()))) continue;
      const stillThere = present.has(s.channelId);
      if (stillThere) await deps.port.hangup(s.channelId, 'normal');
      await endOne(deps, s, stillThere
        ? 'engine restarted during the call: the call was hung up'
        : s.state === 'queued' ? 'engine restarted before the call was placed' : 'engine restarted: the call no longer exists in Asterisk');
      ended += 1;
    } catch (err) {
      logger.error({ err, sessionId: s.id }, 'cannot end a session left live');
    }
  }
  return ended;
}

async function endOne(deps: OrphanDeps, s: Session, reason: string): Promise<void> {
  const hooks = await deps.store.activeWebhooks(s.accountId);
  const seq = await deps.store.lastSeq(s.id);
  const recorder = new SessionRecorder(s, {
    store: deps.store, out: deps.events, destinations: destinationsOf(s, hooks), log: deps.logger.child({ sessionId: s.id }),
  }, { seq, snapshot: { ...initialSnapshot(s), state: s.state, dateAnswered: s.dateAnswered } });
  recorder.timeline('reconciled', { found: false, previousOwner: s.ownerId });
  recorder.transition('failed', true, { reason });
  await recorder.settled();
}
