// Bridges: create, add/remove channels, destroy.
import { randomUUID } from 'node:crypto';
import { ariTimestamp, type CallerId } from './ari-format.js';
import { fail, type Reply, Args } from './rest.js';
import { type Chan, type Bridge } from './entities.js';
import type { SimAsterisk } from './asterisk.js';
import { life, type Lifecycle } from './lifecycle.js';

export function bridgeJson(sim: SimAsterisk, b: Bridge): Record<string, unknown> {
  return {
    id: b.id,
    technology: b.technology,
    bridge_type: b.bridgeType,
    bridge_class: 'stasis',
    creator: 'Stasis',
    name: b.name,
    // Asterisk keeps a bridge's channels sorted by id (traces m, r).
    channels: b.channels.map((c) => c.id).sort(),
    creationtime: b.creationtime,
    video_mode: 'talker',
  };
}

export function findBridge(sim: SimAsterisk, id: string | undefined): Bridge {
  const b = id ? sim.bridges.get(id) : undefined;
  if (!b) return fail(404, 'Bridge not found');
  return b;
}

export function createBridge(sim: SimAsterisk, args: Args, pathId?: string): Reply {
  const id = pathId ?? args.str('bridgeId') ?? randomUUID();
  const existing = sim.bridges.get(id);
  if (existing) {
    if (pathId) {
      // createWithId on an existing bridge updates its name.
      const name = args.str('name');
      if (name !== undefined) existing.name = name;
      return { status: 200, body: bridgeJson(sim, existing) };
    }
    fail(409, 'Bridge with the same bridgeId already exists');
  }
  const types = (args.str('type') ?? 'mixing').split(',').map((t) => t.trim()).filter(Boolean);
  const bridgeType = types.includes('holding') ? 'holding' : 'mixing';
  const b: Bridge = { id, name: args.str('name') ?? '', bridgeType, channels: [], creationtime: ariTimestamp(), apps: new Set(), subscriptions: new Map(), peers: [], technology: bridgeType === 'holding' ? 'holding_bridge' : 'simple_bridge', player: { queue: [] } };
  sim.bridges.set(id, b);
  return { status: 200, body: bridgeJson(sim, b) };
}

/**
 * POST /bridges/{id}/moh (trace u-music-on-hold): the music comes from an Announcer channel that
 * joins the bridge: the members' BRIDGEPEER names it, and a lone member's connected line becomes
 * the Announcer's (empty) caller ID. The simulator plays no audio. MODELED: a second POST while it
 * plays changes nothing the app sees.
 */
export function startBridgeMoh(sim: SimAsterisk, args: Args): Reply {
  const b = findBridge(sim, args.str('bridgeId'));
  if (b.moh) return { status: 204 };
  b.moh = `Announcer/ARI_MOH-${(sim.localSeq++).toString(16).padStart(8, '0')};2`;
  joinPeers(b, b.moh);
  retech(b);
  refreshPeers(sim, b);
  const lone = b.channels.length === 1 ? b.channels[0] as Chan : undefined;
  if (lone) connectLine(sim, lone, { name: '', number: '' });
  return { status: 204 };
}

/** DELETE /bridges/{id}/moh (trace u): the Announcer leaves with no event (BRIDGEPEER stays until the member leaves); 409 when none plays. */
export function stopBridgeMoh(sim: SimAsterisk, args: Args): Reply {
  const b = findBridge(sim, args.str('bridgeId'));
  if (!b.moh) fail(409, "Bridge isn't playing music");
  b.peers = b.peers.filter((n) => n !== b.moh);
  b.moh = undefined;
  retech(b);
  refreshPeers(sim, b);
  return { status: 204 };
}

export function getBridge(sim: SimAsterisk, args: Args): Reply {
  return { status: 200, body: bridgeJson(sim, findBridge(sim, args.str('bridgeId'))) };
}

export function listBridges(sim: SimAsterisk): Reply {
  return { status: 200, body: [...sim.bridges.values()].map((b) => bridgeJson(sim, b)) };
}

/** The live channels of the `channel` parameter (400 as Asterisk answers when one is unknown). */
function channelsNamed(sim: SimAsterisk, args: Args): Chan[] {
  const ids = args.list('channel');
  if (ids.length === 0) fail(400, 'Missing parameter channel');
  return ids.map((id) => {
    const c = sim.channels.get(id);
    if (!c || !c.alive) return fail(400, 'Channel not found');
    return c;
  });
}

export function addToBridge(sim: SimAsterisk, args: Args): Reply {
  const b = findBridge(sim, args.str('bridgeId'));
  const chans = channelsNamed(sim, args);
  for (const c of chans) if (!c.inStasis) fail(422, 'Channel not in Stasis application');
  for (const c of chans) if (c.recording) fail(409, 'Channel currently recording');
  for (const c of chans) {
    if (c.bridge === b) continue;
    if (c.bridge) removeFromBridge(sim, c.bridge, c);
    b.channels.push(c);
    joinPeers(b, c.name);
    c.bridge = b;
    for (const a of c.apps) {
      b.apps.add(a);
      b.subscriptions.set(a, (b.subscriptions.get(a) ?? 0) + 1);
    }
    sim.emit(new Set([...b.apps, ...sim.appsOf(c)]), 'ChannelEnteredBridge', { bridge: bridgeJson(sim, b), channel: sim.chanJson(c) });
    retech(b);
    refreshPeers(sim, b);
    if (b.channels.length === 2 && !b.announcer && !b.moh) connectLines(sim, b.channels[0] as Chan, b.channels[1] as Chan);
  }
  return { status: 204 };
}

export function removeFromBridgeOp(sim: SimAsterisk, args: Args): Reply {
  const b = findBridge(sim, args.str('bridgeId'));
  const chans = channelsNamed(sim, args);
  for (const c of chans) if (c.bridge !== b) fail(422, 'Channel not in this bridge');
  for (const c of chans) removeFromBridge(sim, b, c);
  return { status: 204 };
}

/**
 * A member joins Asterisk's list: at its head when the bridge turns multi-party (two to three
 * members), else at its tail (trace r: the WebSocket channel and the first Announcer go first).
 */
function joinPeers(b: Bridge, name: string): void {
  if (b.peers.length === 2) b.peers.unshift(name);
  else b.peers.push(name);
}

/** Two members mix simply, more need softmix; holding bridges stay holding. */
function retech(b: Bridge): void {
  if (b.bridgeType !== 'holding') b.technology = b.peers.length > 2 ? 'softmix' : 'simple_bridge';
}

/** BRIDGEPEER of every member: the other one, or the others in list order; a SIP peer's call id too (traces m, r). */
export function refreshPeers(sim: SimAsterisk, b: Bridge): void {
  if (b.peers.length < 2) return;
  const ordered = [...b.channels].sort((x, y) => b.peers.indexOf(x.name) - b.peers.indexOf(y.name));
  for (const c of ordered) {
    const others = b.peers.filter((n) => n !== c.name);
    if (c.vars.get('BRIDGEPEER') !== others.join(',')) setBridgeVar(sim, c, 'BRIDGEPEER', others.join(','));
    const peer = others.length === 1 ? b.channels.find((x) => x.name === others[0]) : undefined;
    if (peer?.tech === 'PJSIP' && c.vars.get('BRIDGEPVTCALLID') !== peer.protocolId) setBridgeVar(sim, c, 'BRIDGEPVTCALLID', peer.protocolId);
  }
}

/** Two channels talk: each one's connected line becomes the other's caller (trace m). */
function connectLines(sim: SimAsterisk, first: Chan, second: Chan): void {
  const [one, two] = [{ ...second.caller }, { ...first.caller }];
  connectLine(sim, second, two);
  connectLine(sim, first, one);
}

/**
 * A connected line that changes is announced (one a dial's `caller` set already is not: trace
 * t-dial-local-answer-far-hangup); a Local ;1 passes it on to its ;2 half as the caller (trace m).
 */
function connectLine(sim: SimAsterisk, c: Chan, to: CallerId): void {
  if (c.connected.name === to.name && c.connected.number === to.number) return;
  c.connected = { ...to };
  sim.chanEvent(c, 'ChannelConnectedLine');
  if (!c.half2) return;
  c.half2.caller = { ...to };
  sim.chanEvent(c.half2, 'ChannelCallerId', { caller_presentation: 0, caller_presentation_txt: 'Presentation Allowed, Not Screened' });
}

/** A bridge playback's Announcer joins before it starts and leaves once the bridge has nothing more to play (trace r). */
export function announcerJoins(sim: SimAsterisk, b: Bridge): void {
  if (b.announcer) return;
  b.announcer = `Announcer/ARI-${(sim.localSeq++).toString(16).padStart(8, '0')};2`;
  joinPeers(b, b.announcer);
  retech(b);
  refreshPeers(sim, b);
}

export function announcerLeaves(sim: SimAsterisk, b: Bridge): void {
  if (!b.announcer) return;
  b.peers = b.peers.filter((n) => n !== b.announcer);
  b.announcer = undefined;
  retech(b);
  if (sim.bridges.get(b.id) === b) refreshPeers(sim, b);
}

function setBridgeVar(sim: SimAsterisk, c: Chan, name: string, value: string): void {
  c.vars.set(name, value);
  sim.varset(c, name, value);
}

/**
 * A channel leaves: its bridge variables are cleared first. Leaving by hanging up keeps the app's
 * subscription to the bridge (traces m and m2 differ in BridgeDestroyed only by that).
 */
export function removeFromBridge(sim: SimAsterisk, b: Bridge, c: Chan, byHangup = false): void {
  for (const name of ['BRIDGEPEER', 'BRIDGEPVTCALLID']) if (c.vars.get(name)) setBridgeVar(sim, c, name, '');
  b.channels = b.channels.filter((x) => x !== c);
  b.peers = b.peers.filter((n) => n !== c.name);
  c.bridge = undefined;
  if (!byHangup) for (const a of c.apps) b.subscriptions.set(a, Math.max(0, (b.subscriptions.get(a) ?? 0) - 1));
  sim.emit(new Set([...b.apps, ...sim.appsOf(c)]), 'ChannelLeftBridge', { bridge: bridgeJson(sim, b), channel: sim.chanJson(c) });
  retech(b);
  if (sim.bridges.get(b.id) === b) refreshPeers(sim, b);
}

export function destroyBridge(sim: SimAsterisk, args: Args): Reply {
  const b = findBridge(sim, args.str('bridgeId'));
  // Every member's bridge variables are cleared first, then they leave, last joined first (traces m, r).
  sim.bridges.delete(b.id);
  const ordered = [...b.channels].sort((x, y) => b.peers.indexOf(x.name) - b.peers.indexOf(y.name));
  for (const c of ordered) for (const name of ['BRIDGEPEER', 'BRIDGEPVTCALLID']) if (c.vars.get(name)) setBridgeVar(sim, c, name, '');
  for (const c of ordered.reverse()) removeFromBridge(sim, b, c);
  life.failPlayer(sim, b.player);
  if (b.recording) life.finishRecording(sim, b.recording, 'done');
  const subscribed = new Set([...b.subscriptions].filter(([, n]) => n > 0).map(([a]) => a));
  sim.emit(subscribed, 'BridgeDestroyed', { bridge: bridgeJson(sim, b) });
  return { status: 204 };
}

/** What this module does for the others (lifecycle.ts). */
export const lifecycle = { removeFromBridge, findBridge, announcerJoins, announcerLeaves } satisfies Partial<Lifecycle>;
