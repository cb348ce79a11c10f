// Settling, in bulk, the sessions a previous process left live (it was killed or crashed): their
// flow state died with it, so each ends `failed`, and a call still up in Asterisk is hung up
// first. One channel and bridge list (taken by the caller) against the live sessions: set
// operations, no per-session lookup. What a session's dial step had made is cleaned up too,
// recognised by its id (leg-ids.ts): the dialed party is hung up and the mixing bridge destroyed
// (Asterisk keeps a bridge after its channels are gone). The requests form one queue with bounded
// concurrency, session by session, newest first (their callee is the most likely to be still on
// the line). The endings go out together (each is a session unit with its `session.ended` event:
// orphans.ts), and the store commits them in a few grouped transactions instead of one per session.
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
  // The engine that ran the call stopped, restarted, was killed or lost the database; another
  // engine (or its own next run) settled the call. The lost owner is in the row's data.
  hungUp: 'engine lost during the call (restarted, killed or cut off): the call was hung up',
  hangupUnconfirmed: 'engine lost during the call (restarted, killed or cut off): hung up, but Asterisk did not confirm it',
  gone: 'engine lost during the call (restarted, killed or cut off): the call no longer exists in Asterisk',
} as const;

const DEFAULT_CONCURRENCY = 32;

/** One request of a settlement: hang up a session's call or dialed party, or destroy its bridge. */
type Task = { kind: 'call'; session: Session } | { kind: 'leg' | 'bridge'; id: string };

/** Ends every orphan `failed`, hanging up those whose channel is still there, and cleans up after their dial steps. */
export async function settleOrphans(orphans: readonly Session[], ari: AriState, deps: SettleDeps): Promise<OrphanSettlement> {
  const { port, logger } = deps;
  const present = ari.channels;
  const newestFirst = [...orphans].sort((a, b) => (a.dateCreated < b.dateCreated ? 1 : a.dateCreated > b.dateCreated ? -1 : 0));
  const writes: Array<Promise<void>> = [];
  const fail = (session: Session, reason: string): void => {
    writes.push(deps.end(session, reason));
  };
  for (const session of newestFirst) if (!present.has(session.channelId)) fail(session, ORPHAN_REASONS.gone);

  // The dial steps' leftovers of exactly these sessions (never another engine's): by first channel.
  const strays = new Map<string, Task[]>();
  const collect = (task: Task, first: string | undefined): void => {
    if (first !== undefined) strays.set(first, [...(strays.get(first) ?? []), task]);
  };
  for (const id of present) collect({ kind: 'leg', id }, firstChannelOfLeg(id));
  for (const id of ari.bridges) collect({ kind: 'bridge', id }, firstChannelOfBridge(id));
  // One queue, session by session, newest first: the call, then what its dial step had made.
  const tasks: Task[] = newestFirst.flatMap((s): Task[] => [
    ...(present.has(s.channelId) ? [{ kind: 'call' as const, session: s }] : []),
    ...(strays.get(s.channelId) ?? []),
  ]);
  let bridgesDestroyed = 0;
  const run = async (task: Task): Promise<void> => {
    // not-found: gone on its own between the list and the request.
    if (task.kind === 'call') {
      const res = await port.hangup(task.session.channelId, 'normal');
      const confirmed = res.ok || res.kind === 'not-found';
      if (!confirmed) logger.warn({ sessionId: task.session.id, kind: res.kind }, 'could not hang up a call left by a previous run');
      fail(task.session, confirmed ? ORPHAN_REASONS.hungUp : ORPHAN_REASONS.hangupUnconfirmed);
    } else if (task.kind === 'leg') {
      const res = await port.hangup(task.id, 'normal');
      if (!res.ok && res.kind !== 'not-found') logger.warn({ channelId: task.id, kind: res.kind }, 'could not hang up a dialed party left by a previous run');
    } else {
      const res = await port.destroyBridge(task.id);
      if (res.ok) bridgesDestroyed += 1;
      else if (res.kind !== 'not-found') logger.warn({ bridgeId: task.id, kind: res.kind }, 'could not destroy a bridge left by a previous run');
    }
  };
  let next = 0;
  const worker = async (): Promise<void> => {
    for (let task = tasks[next++]; task; task = tasks[next++]) await run(task);
  };
  const concurrency = Math.max(1, deps.concurrency ?? DEFAULT_CONCURRENCY);
  await Promise.all(Array.from({ length: Math.min(concurrency, tasks.length) }, worker));

  const results = await Promise.allSettled(writes);
  const rejected = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (rejected.length > 0) logger.error({ err: rejected[0]?.reason, count: rejected.length }, 'cannot record sessions left live by a previous run');
  const hungUp = newestFirst.filter((s) => present.has(s.channelId)).length;
  return { hungUp, gone: orphans.length - hungUp, failedWrites: rejected.length, bridgesDestroyed };
}
