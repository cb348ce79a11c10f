// Ids of what a session's dial step creates in Asterisk — the dialed leg's channel and the mixing
// bridge — derived from the session's first channel, so that a process that restarts after a
// crash can tell, from Asterisk's channel and bridge lists alone, which belong to the sessions it
// settles (reconcile.ts): it hangs up a dialed party and destroys the bridge too (a bridge
// outlives its channels, and nothing subscribes the application to an empty one).
import { randomUUID } from 'node:crypto';
import { callChannelOfStreamResource } from '../streams/stream-ids.js';

const LEG_MARK = '-leg-';
const BRIDGE_MARK = '-bridge-';

const derived = (firstChannelId: string, mark: string): string => `${firstChannelId}${mark}${randomUUID().slice(0, 8)}`;

function firstChannelOf(id: string, mark: string): string | undefined {
  const at = id.lastIndexOf(mark);
  return at > 0 ? id.slice(0, at) : undefined;
}

export function dialedLegId(firstChannelId: string): string {
  return derived(firstChannelId, LEG_MARK);
}

/** The first channel of the session that dialed `channelId`, or undefined for a session's first channel. */
export function firstChannelOfLeg(channelId: string): string | undefined {
  return firstChannelOf(channelId, LEG_MARK);
}

export function dialBridgeId(firstChannelId: string): string {
  return derived(firstChannelId, BRIDGE_MARK);
}

/** The first channel of the session whose dial made bridge `bridgeId`, or undefined for a bridge not made so. */
export function firstChannelOfBridge(bridgeId: string): string | undefined {
  return firstChannelOf(bridgeId, BRIDGE_MARK);
}

/** The first channel of the call an id of the engine's derives from (a dialed leg, a bridge, a stream's channel); itself for a first channel. */
export function callChannelOf(id: string): string {
  return firstChannelOfLeg(id) ?? firstChannelOfBridge(id) ?? callChannelOfStreamResource(id) ?? id;
}
