// Settling, in bulk, the sessions a previous process left live (it was killed or crashed): their
// flow state died with it, so each ends `failed`, and a call still up in Asterisk is hung up
// first. One channel list (taken by the caller) against the live sessions: set operations, no
// per-session lookup; hang-ups with bounded concurrency, newest sessions first (they are the
// ones whose callee is most likely still on the line); the endings go out together (each is a
// session unit with its `session.ended` event: orphans.ts), and the store commits them in a few
// grouped transactions instead of one per session. A party a session had dialed (a second leg,
// recognised by its channel id: leg-ids.ts) is hung up as well.
import type { Logger } from '../log.js';
import type { Session } from '../domain/model.js';
import type { TelephonyPort } from './port.js';
import { firstChannelOfLeg } from './leg-ids.js';

export interface SettleDeps {
  port: Pick<TelephonyPort, 'hangup'>;
  /** Writes the session's end (`failed` with the reason); resolves once committed. */
  end(session: Session, reason: string): Promise<void>;
  logger: Logger;
  /** Hang-up requests in flight at once (default 32): enough to hide the round trip, few enough not to flood Asterisk. */
  concurrency?: number;
}

export interface OrphanSettlement {
  /** Calls still up in Asterisk, hung up. */
  hungUp: number;
  /** Sessions whose channel was already gone. */
  gone: number;
  /** Writes the store refused (those sessions stay live for the next start). */
  failedWrites: number;
}

export const ORPHAN_REASONS = {
  hungUp: 'engine restarted during the call: the call was hung up',
  hangupUnconfirmed: 'engine restarted during the call: hung up, but Asterisk did not confirm it',
  gone: 'engine restarted: the call no longer exists in Asterisk',
} as const;

const DEFAULT_CONCURRENCY = 32;

/** Ends every orphan `failed`, hanging up those whose channel is in `present`. */
export async function settleOrphans(orphans: readonly Session[], present: ReadonlySet<string>, deps: SettleDeps): Promise<OrphanSettlement> {
  const { port, logger } = deps;
  const newestFirst = [...orphans].sort((a, b) => (a.dateCreated < b.dateCreated ? 1 : a.dateCreated > b.dateCreated ? -1 : 0));
  const up = newestFirst.filter((s) => present.has(s.channelId));
  const writes: Array<Promise<void>> = [];
  const fail = (session: Session, reason: string): void => {
    writes.push(deps.end(session, reason));
  };
  for (const session of newestFirst) if (!present.has(session.channelId)) fail(session, ORPHAN_REASONS.gone);

  const legsOf = new Map<string, string[]>();
  for (const id of present) {
    const first = firstChannelOfLeg(id);
    if (first !== undefined) legsOf.set(first, [...(legsOf.get(first) ?? []), id]);
  }
  const strayLegs = newestFirst.flatMap((s) => legsOf.get(s.channelId) ?? []);
  let nextLeg = 0;
  const hangUpLegs = async (): Promise<void> => {
    for (let leg = strayLegs[nextLeg++]; leg; leg = strayLegs[nextLeg++]) {
      const res = await port.hangup(leg, 'normal');
      if (!res.ok && res.kind !== 'not-found') logger.warn({ channelId: leg, kind: res.kind }, 'could not hang up a dialed party left by a previous run');
    }
  };

  let next = 0;
  const hangUpNext = async (): Promise<void> => {
    for (let session = up[next++]; session; session = up[next++]) {
      const res = await port.hangup(session.channelId, 'normal');
      // not-found: the call ended on its own between the list and the hang-up.
      const confirmed = res.ok || res.kind === 'not-found';
      if (!confirmed) logger.warn({ sessionId: session.id, kind: res.kind }, 'could not hang up a call left by a previous run');
      fail(session, confirmed ? ORPHAN_REASONS.hungUp : ORPHAN_REASONS.hangupUnconfirmed);
    }
  };
  const concurrency = Math.max(1, deps.concurrency ?? DEFAULT_CONCURRENCY);
  await Promise.all(Array.from({ length: Math.min(concurrency, strayLegs.length) }, hangUpLegs));
  await Promise.all(Array.from({ length: Math.min(concurrency, up.length) }, hangUpNext));

  const results = await Promise.allSettled(writes);
  const rejected = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (rejected.length > 0) logger.error({ err: rejected[0]?.reason, count: rejected.length }, 'cannot record sessions left live by a previous run');
  return { hungUp: up.length, gone: orphans.length - up.length, failedWrites: rejected.length };
}
