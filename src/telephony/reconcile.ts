// Settling, in bulk, the sessions a previous process left live (it was killed or crashed): their
// flow state died with it, so each ends `failed`, and a call still up in Asterisk is hung up
// first. One channel list (taken by the caller) against the live sessions: set operations, no
// per-session lookup; hang-ups with bounded concurrency, newest sessions first (they are the
// ones whose callee is most likely still on the line); the endings go out together (each is a
// session unit with its `session.ended` event: orphans.ts), and the store commits them in a few
// grouped transactions instead of one per session. What a session's dial step had made is
// cleaned up as well, recognised by its id (leg-ids.ts): the dialed party is hung up and the
// mixing bridge destroyed (Asterisk keeps a bridge after its channels are gone).
import type { Logger } from '../log.js';
import type { Session } from '../domain/model.js';
import type { TelephonyPort } from './port.js';
import { firstChannelOfBridge, firstChannelOfLeg } from './leg-ids.js';

/** What Asterisk has now, listed once for a whole settlement. */
export interface AriState {
  channels: ReadonlySet<string>;
  bridges: readonly string[];
}

export interface SettleDeps {
  port: Pick<TelephonyPort, 'hangup' | 'destroyBridge'>;
  /** Writes the session's end (`failed` with the reason); resolves once committed. */
  end(session: Session, reason: string): Promise<void>;
  logger: Logger;
  /** Hang-up (and bridge destroy) requests in flight at once (default 32): enough to hide the round trip, few enough not to flood Asterisk. */
  concurrency?: number;
}

export interface OrphanSettlement {
  /** Calls still up in Asterisk, hung up. */
  hungUp: number;
  /** Sessions whose channel was already gone. */
  gone: number;
  /** Writes the store refused (those sessions stay live for the next start). */
  failedWrites: number;
  /** Bridges of the settled sessions' dial steps, destroyed. */
  bridgesDestroyed: number;
}

export const ORPHAN_REASONS = {
  hungUp: 'engine restarted during the call: the call was hung up',
  hangupUnconfirmed: 'engine restarted during the call: hung up, but Asterisk did not confirm it',
  gone: 'engine restarted: the call no longer exists in Asterisk',
} as const;

const DEFAULT_CONCURRENCY = 32;

/** Ends every orphan `failed`, hanging up those whose channel is still there, and cleans up after their dial steps. */
export async function settleOrphans(orphans: readonly Session[], ari: AriState, deps: SettleDeps): Promise<OrphanSettlement> {
  const { port, logger } = deps;
  const present = ari.channels;
  const newestFirst = [...orphans].sort((a, b) => (a.dateCreated < b.dateCreated ? 1 : a.dateCreated > b.dateCreated ? -1 : 0));
  const up = newestFirst.filter((s) => present.has(s.channelId));
  const writes: Array<Promise<void>> = [];
  const fail = (session: Session, reason: string): void => {
    writes.push(deps.end(session, reason));
  };
  for (const session of newestFirst) if (!present.has(session.channelId)) fail(session, ORPHAN_REASONS.gone);

  // The dial steps' leftovers of exactly these sessions (never another engine's): by first channel.
  const strays = new Map<string, Array<{ kind: 'leg' | 'bridge'; id: string }>>();
  const collect = (kind: 'leg' | 'bridge', id: string, first: string | undefined): void => {
    if (first !== undefined) strays.set(first, [...(strays.get(first) ?? []), { kind, id }]);
  };
  for (const id of present) collect('leg', id, firstChannelOfLeg(id));
  for (const id of ari.bridges) collect('bridge', id, firstChannelOfBridge(id));
  const leftovers = newestFirst.flatMap((s) => strays.get(s.channelId) ?? []);
  let bridgesDestroyed = 0;
  let nextStray = 0;
  const cleanUp = async (): Promise<void> => {
    for (let stray = leftovers[nextStray++]; stray; stray = leftovers[nextStray++]) {
      // not-found: gone on its own between the list and the request.
      if (stray.kind === 'leg') {
        const res = await port.hangup(stray.id, 'normal');
        if (!res.ok && res.kind !== 'not-found') logger.warn({ channelId: stray.id, kind: res.kind }, 'could not hang up a dialed party left by a previous run');
      } else {
        const res = await port.destroyBridge(stray.id);
        if (res.ok) bridgesDestroyed += 1;
        else if (res.kind !== 'not-found') logger.warn({ bridgeId: stray.id, kind: res.kind }, 'could not destroy a bridge left by a previous run');
      }
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
  await Promise.all(Array.from({ length: Math.min(concurrency, leftovers.length) }, cleanUp));
  await Promise.all(Array.from({ length: Math.min(concurrency, up.length) }, hangUpNext));

  const results = await Promise.allSettled(writes);
  const rejected = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (rejected.length > 0) logger.error({ err: rejected[0]?.reason, count: rejected.length }, 'cannot record sessions left live by a previous run');
  return { hungUp: up.length, gone: orphans.length - up.length, failedWrites: rejected.length, bridgesDestroyed };
}
