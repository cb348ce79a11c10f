// Channels going away: far-end and app hangups, leaving Stasis, RTP statistics, restarts.
import { ariTimestamp } from './ari-format.js';
import { type Chan } from './entities.js';
import type { SimAsterisk } from './asterisk.js';
import { life, type Lifecycle } from './lifecycle.js';

export function farEndHangupById(sim: SimAsterisk, channelId: string): boolean {
  const c = sim.channels.get(channelId);
  if (!c || !c.alive) return false;
  farEndHangup(sim, c.owner ?? c);
  return true;
}

export function farEndHangup(sim: SimAsterisk, c: Chan): void {
  if (!c.alive) return;
  if (c.created && c.tech === 'PJSIP' && !c.answered) {
    // A dialed leg the phone declines while ringing: 486 Busy Here (trace m2, B1).
    life.dialFailed(sim, c, 17, 17, 486, false);
    return;
  }
  // A created Local leg hangs up as an originated one does (trace f, below).
  if (c.created && c.tech === 'PJSIP') {
    // A dialed leg the phone hangs up: cause 16 on both events (trace m).
    rtpQos(sim, c);
    sim.hangupRequest(c, 16);
    leaveStasis(sim, c, true);
    sim.destroyedEvent(c, 16);
    remove(sim, c);
    return;
  }
  if (!c.answered) {
    hangupInternal(sim, c, 16, 'app');
    return;
  }
  if (c.tech === 'Local') {
    // Trace f: the ;2 half hangs up (dialplan Hangup(16)).
    const two = c.half2 as Chan;
    sim.hangupRequest(two, 16, true);
    sim.hangupRequest(c, 16);
    sim.destroyedEvent(two, 16);
    sim.channels.delete(two.id);
    two.alive = false;
    leaveStasis(sim, c, true);
    sim.destroyedEvent(c, 16);
    remove(sim, c);
  } else {
    // Trace i2: BYE from the phone; no cause on the request, cause 0 on ChannelDestroyed.
    rtpQos(sim, c);
    sim.hangupRequest(c);
    leaveStasis(sim, c, true);
    sim.destroyedEvent(c, 0);
    remove(sim, c);
  }
}

export function rtpQos(sim: SimAsterisk, c: Chan): void {
  const n = (x: number) => x.toFixed(6).padStart(10, '0');
  // In a two-party bridge each statistic is copied to the peer as <name>BRIDGED (trace m).
  const others = c.bridge?.channels.filter((x) => x !== c) ?? [];
  const peer = others.length === 1 ? others[0] : undefined;
  const set = (name: string, value: string) => {
    sim.varset(c, name, value);
    if (peer) sim.varset(peer, `${name}BRIDGED`, value);
  };
  set('RTPAUDIOQOS', `ssrc=${(Math.random() * 2 ** 31) | 0};themssrc=${(Math.random() * 2 ** 31) | 0};lp=0;rxjitter=0.000000;rxcount=0;txjitter=0.000000;txcount=0;rlp=0;rtt=0.000000;rxmes=0.000000;txmes=0.000000`);
  set('RTPAUDIOQOSJITTER', `minrxjitter=${n(0)};maxrxjitter=${n(0)};avgrxjitter=${n(0)};stdevrxjitter=${n(0)};mintxjitter=${n(0)};maxtxjitter=${n(0)};avgtxjitter=${n(0)};stdevtxjitter=${n(0)};`);
  set('RTPAUDIOQOSLOSS', `  minrxlost=${n(0)};  maxrxlost=${n(0)};  avgrxlost=${n(0)};  stdevrxlost=${n(0)};  mintxlost=${n(0)};  maxtxlost=${n(0)};  avgtxlost=${n(0)};  stdevtxlost=${n(0)};`);
  set('RTPAUDIOQOSRTT', `     minrtt=${n(0)};     maxrtt=${n(0)};     avgrtt=${n(0)};     stdevrtt=${n(0)};`);
  set('RTPAUDIOQOSMES', `   minrxmes=${n(0)};   maxrxmes=${n(0)};   avgrxmes=${n(0)};   stdevrxmes=${n(0)};   mintxmes=${n(0)};   maxtxmes=${n(0)};   avgtxmes=${n(0)};   stdevtxmes=${n(0)};`);
}

/** Leaves the bridge, ends playbacks/recording, StasisEnd and STASISSTATUS, as Asterisk does on hangup. */
export function leaveStasis(sim: SimAsterisk, c: Chan, byHangup = false): void {
  life.failPlayer(sim, c.player);
  if (c.bridge) life.removeFromBridge(sim, c.bridge, c, byHangup);
  // Recordings still queued behind the current one never start.
  for (const rec of c.recordQueue.splice(0)) sim.liveRecordings.delete(rec.name);
  if (c.recording) life.finishRecording(sim, c.recording, 'done');
  if (c.inStasis) {
    c.inStasis = false;
    sim.chanEvent(c, 'StasisEnd');
    // An inbound channel is only watched while in Stasis (trace l): nothing follows StasisEnd.
    if (c.inbound) c.apps.clear();
    c.dialplan = { ...c.dialplan, app_name: 'AppDial2', app_data: '(Outgoing Line)' };
    sim.varset(c, 'STASISSTATUS', 'SUCCESS');
  } else if (c.leftStasis) {
    c.leftStasis = false;
    sim.varset(c, 'STASISSTATUS', 'SUCCESS');
  }
}

/**
 * Hangup requested through ARI (cause from reason/reason_code), or internal teardown.
 * `mode`: 'app' = DELETE /channels (traces a, h, i, j), 'restart' = core restart (trace k), 'silent' = no events.
 */
export function hangupInternal(sim: SimAsterisk, c: Chan, cause: number, mode: 'app' | 'restart' | 'silent'): void {
  if (!c.alive) return;
  if (mode === 'silent') {
    remove(sim, c);
    return;
  }
  if (c.owner) {
    // DELETE on a ;2 half that entered an application from the dialplan (local-stasis.ts)…
    if (c.inStasis) life.hangupHalf2(sim, c, cause);
    // …or on one running a callee: the far side of the Local pair hangs up.
    else farEndHangup(sim, c.owner);
    return;
  }
  const two = c.half2;
  if (mode === 'restart') {
    sim.hangupRequest(c, 4, true);
    life.failPlayer(sim, c.player);
    if (two) {
      sim.hangupRequest(two, 4, true);
      sim.hangupRequest(two, 16, true);
    }
    if (c.bridge) life.removeFromBridge(sim, c.bridge, c, true);
    if (c.recording) life.finishRecording(sim, c.recording, 'done');
    if (c.inStasis) {
      c.inStasis = false;
      sim.chanEvent(c, 'StasisEnd');
      sim.hangupRequest(c, 0);
      c.dialplan = { ...c.dialplan, app_name: 'AppDial2', app_data: '(Outgoing Line)' };
      sim.varset(c, 'STASISSTATUS', 'SUCCESS');
    }
    sim.destroyedEvent(c, 0);
    if (two) sim.destroyedEvent(two, 0);
    remove(sim, c);
    return;
  }
  if (!c.answered) {
    // Hangup while still ringing: the dial is cancelled.
    sim.hangupRequest(c, 32, true);
    sim.dial(c, 'CANCEL');
    sim.destroyedEvent(c, cause);
    if (two) {
      sim.hangupRequest(two, 16, true);
      sim.destroyedEvent(two, cause);
    }
    remove(sim, c);
    return;
  }
  // RTP statistics exist once media flowed: not for a call hung up while still ringing in (trace q).
  if (c.tech === 'PJSIP' && c.state === 'Up') rtpQos(sim, c);
  sim.hangupRequest(c, 32, true);
  leaveStasis(sim, c, true);
  if (two) {
    sim.hangupRequest(two, cause);
    sim.destroyedEvent(c, cause);
    sim.hangupRequest(two, 16, true);
    sim.destroyedEvent(two, cause);
  } else {
    sim.destroyedEvent(c, cause);
  }
  remove(sim, c);
}

export function remove(sim: SimAsterisk, c: Chan): void {
  life.endSnoopsOf(sim, c);
  for (const half of [c, c.half2]) {
    if (!half) continue;
    half.alive = false;
    for (const t of half.tasks) sim.clock.cancel(t);
    half.tasks = [];
    sim.channels.delete(half.id);
    for (const pb of [half.player.current, ...half.player.queue]) if (pb) sim.playbacks.delete(pb.id);
    half.player.queue = [];
    half.player.current = undefined;
  }
  if (sim.channels.size === 0 && sim.idleWaiters.length > 0) {
    const waiters = sim.idleWaiters;
    sim.idleWaiters = [];
    for (const w of waiters) w();
  }
}

/** Core restart: every call is torn down with cause 4 (trace k). */
export function restartHangups(sim: SimAsterisk): void {
  for (const c of [...sim.channels.values()]) if (!c.owner && c.alive) hangupInternal(sim, c, 0, 'restart');
}

/** After a restart or a fresh start: nothing survives except stored recordings and scripts. */
export function reset(sim: SimAsterisk): void {
  for (const c of sim.channels.values()) for (const t of c.tasks) sim.clock.cancel(t);
  sim.channels.clear();
  sim.playbacks.clear();
  sim.bridges.clear();
  sim.liveRecordings.clear();
  sim.globals.clear();
  sim.httpMedia.clear();
  sim.mediaSockets.clear();
  sim.stopping = false;
  sim.startupTime = ariTimestamp();
}

/** What this module does for the others (lifecycle.ts). */
export const lifecycle = { leaveStasis, remove, farEndHangup, hangupInternal } satisfies Partial<Lifecycle>;
