// Channel ids of the legs a session dials: derived from the session's first channel, so that a
// process that restarts after a crash can tell, from Asterisk's channel list alone, which
// channels belong to the sessions it settles (reconcile.ts) and hang up a dialed party too.
import { randomUUID } from 'node:crypto';

const MARK = '-leg-';

export function dialedLegId(firstChannelId: string): string {
  return `${firstChannelId}${MARK}${randomUUID().slice(0, 8)}`;
}

/** The first channel of the session that dialed `channelId`, or undefined for a session's first channel. */
export function firstChannelOfLeg(channelId: string): string | undefined {
  const at = channelId.lastIndexOf(MARK);
  return at > 0 ? channelId.slice(0, at) : undefined;
}
