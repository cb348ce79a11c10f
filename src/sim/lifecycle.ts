// How the simulator's resource modules act on each other's objects without importing each other.
// A hangup fails the channel's playbacks, finishes its recordings and takes it out of its bridge;
// a started playback may release a callee's scripted digits; a Local channel's halves follow each
// other. Imported directly, those calls made eight modules (channel-create, channel-dial,
// channel-hangup, channels, local-stasis, playbacks, recordings, bridges) one import cycle.
// Instead each exports its `lifecycle` part, the composition (server.ts) registers them all here
// once (the compiler checks that none is missing), and a module calls another's through `life`.
// Modules import only this file, the state (asterisk.ts) and the shared entities and formats.
import type { CallerId } from './ari-format.js';
import type { SimAsterisk } from './asterisk.js';
import type { Bridge, Chan, LiveRec, Player } from './entities.js';
import type { Args } from './rest.js';
import type { CalleeScript } from './types.js';

export interface Lifecycle {
  // channel-dial.ts: a channel placed, ringing, entering the application
  allocate(sim: SimAsterisk, args: Args, ep: string, channelId: string | undefined, caller: CallerId, timeoutSec: number): Chan;
  outcomeDelay(sim: SimAsterisk, c: Chan): number;
  /** The ring time of a channel in ms (Infinity without one). */
  timeoutMs(sim: SimAsterisk, c: Chan): number;
  /** A Local channel's ;2 half running its callee's dialplan (the script's result). */
  runCalleeDialplan(sim: SimAsterisk, two: Chan, result: string): void;
  scheduleScript(sim: SimAsterisk, c: Chan): void;
  enterStasis(sim: SimAsterisk, c: Chan): void;
  checkDtmfTriggers(sim: SimAsterisk, c: Chan): void;
  // channel-create.ts: a created channel whose dial failed
  dialFailed(sim: SimAsterisk, c: Chan, requestCause: number, cause: number, sip: number, soft: boolean): void;
  // channel-hangup.ts: a channel leaving the application, hung up, removed
  leaveStasis(sim: SimAsterisk, c: Chan, byHangup?: boolean): void;
  remove(sim: SimAsterisk, c: Chan): void;
  farEndHangup(sim: SimAsterisk, c: Chan): void;
  hangupInternal(sim: SimAsterisk, c: Chan, cause: number, mode: 'app' | 'restart' | 'silent'): void;
  // channels.ts
  applyVar(sim: SimAsterisk, c: Chan, name: string, value: string): void;
  stasisChan(sim: SimAsterisk, id: string | undefined): Chan;
  // local-stasis.ts: the halves of a Local channel whose ;2 enters the application
  enterFromDialplan(sim: SimAsterisk, c: Chan, stasis: NonNullable<CalleeScript['stasis']>, caller: CallerId): void;
  answeredHalf2(sim: SimAsterisk, two: Chan): void;
  hangupHalf2(sim: SimAsterisk, two: Chan, cause: number): void;
  // playbacks.ts
  failPlayer(sim: SimAsterisk, player: Player): void;
  // recordings.ts
  finishRecording(sim: SimAsterisk, rec: LiveRec, state: 'done' | 'canceled'): void;
  // bridges.ts
  removeFromBridge(sim: SimAsterisk, b: Bridge, c: Chan, byHangup?: boolean): void;
  findBridge(sim: SimAsterisk, id: string | undefined): Bridge;
  announcerJoins(sim: SimAsterisk, b: Bridge): void;
  announcerLeaves(sim: SimAsterisk, b: Bridge): void;
  // external-media.ts: the snoops of a channel that is gone
  endSnoopsOf(sim: SimAsterisk, target: Chan): void;
}

/** Filled by `registerLifecycle` before any simulator runs; the functions are stateless (the state is `sim`). */
export const life = {} as Lifecycle;

export function registerLifecycle(parts: Lifecycle): void {
  Object.assign(life, parts);
}
