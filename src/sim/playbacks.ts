// Playbacks on channels and bridges: media lengths, queueing, PlaybackContinuing, control and stop.
import { randomUUID } from 'node:crypto';
import { fail, type Reply, Args } from './rest.js';
import { type Player, type Chan, type Playback, type Bridge, DIGIT_MS } from './entities.js';
import type { SimAsterisk } from './asterisk.js';
import { life, type Lifecycle } from './lifecycle.js';

export function mediaDuration(sim: SimAsterisk, uri: string): number | 'missing' | 'unknown' | 'http' {
  const colon = uri.indexOf(':');
  const scheme = colon < 0 ? '' : uri.slice(0, colon);
  const rest = colon < 0 ? '' : uri.slice(colon + 1);
  switch (scheme) {
    case 'sound': {
      if (/^https?:\/\//.test(rest)) return 'http';
      if (rest === '' || sim.missing.has(rest)) return 'missing';
      return sim.sounds[rest] ?? sim.opts.defaultSoundMs;
    }
    case 'recording': {
      const rec = sim.stored.get(rest);
      return rec ? Math.max(rec.durationMs, 100) : 'missing';
    }
    case 'digits':
      return Math.max(1, [...rest].filter((ch) => /[0-9*#a-dA-D]/.test(ch)).length) * DIGIT_MS;
    case 'characters':
      return Math.max(1, rest.length) * DIGIT_MS;
    case 'number': {
      if (!/^-?\d+$/.test(rest)) return 'missing';
      return Math.max(1, Math.ceil(rest.replace('-', '').length * 0.75)) * 600;
    }
    case 'tone':
      // A tone plays until it is stopped.
      return rest === '' ? 'missing' : Infinity;
    default:
      return 'unknown';
  }
}

export function pbJson(sim: SimAsterisk, pb: Playback): Record<string, unknown> {
  const next = pb.media[pb.index + 1];
  return {
    id: pb.id,
    media_uri: pb.media[pb.index],
    ...(next !== undefined ? { next_media_uri: next } : {}),
    target_uri: pb.targetUri,
    language: pb.language,
    state: pb.state,
  };
}

export function pbApps(sim: SimAsterisk, pb: Playback): ReadonlySet<string> {
  return pb.channel ? sim.appsOf(pb.channel) : pb.bridge ? pb.bridge.apps : new Set();
}

export function pbEvent(sim: SimAsterisk, pb: Playback, type: string): void {
  sim.emit(pbApps(sim, pb), type, { playback: pbJson(sim, pb) });
}

export function play(sim: SimAsterisk, args: Args, target: 'channel' | 'bridge', pathPlaybackId?: string): Reply {
  let player: Player;
  let channel: Chan | undefined;
  let bridge: Bridge | undefined;
  let targetUri: string;
  if (target === 'channel') {
    channel = life.stasisChan(sim, args.str('channelId'));
    player = channel.player;
    targetUri = `channel:${channel.id}`;
  } else {
    bridge = life.findBridge(sim, args.str('bridgeId'));
    player = bridge.player;
    targetUri = `bridge:${bridge.id}`;
  }
  const media = args.list('media');
  if (media.length === 0) fail(500, 'Failed to queue media for playback');
  const id = pathPlaybackId ?? args.str('playbackId') ?? randomUUID();
  if (sim.playbacks.has(id)) fail(409, 'A playback with the same ID already exists');
  const pb: Playback = {
    id, media, index: 0, targetUri, language: args.str('lang') || 'en', state: 'queued', player, endsAt: 0, remainingMs: 0,
    skipMs: args.int('skipms') ?? 3000,
    ...(channel ? { channel } : {}), ...(bridge ? { bridge } : {}),
  };
  sim.playbacks.set(id, pb);
  player.queue.push(pb);
  const snapshot = pbJson(sim, pb);
  if (!player.current) sim.clock.after(0, () => pump(sim, player));
  return { status: 201, body: snapshot };
}

export function pump(sim: SimAsterisk, player: Player): void {
  if (player.current) return;
  const next = player.queue.shift();
  if (!next) return;
  if (next.channel && !next.channel.alive) return;
  player.current = next;
  beginMedia(sim, next, true);
}

export function beginMedia(sim: SimAsterisk, pb: Playback, first: boolean): void {
  if (first && pb.bridge) life.announcerJoins(sim, pb.bridge);
  pb.state = 'playing';
  const duration = mediaDuration(sim, pb.media[pb.index] ?? '');
  pbEvent(sim, pb, 'PlaybackStarted');
  if (first && pb.channel) {
    pb.channel.startedCount++;
    life.checkDtmfTriggers(sim, pb.channel);
  }
  if (duration === 'unknown') {
    // Trace g: an unknown scheme starts and never finishes; the channel is free for the next play.
    pb.player.current = undefined;
    sim.playbacks.delete(pb.id);
    pump(sim, pb.player);
    return;
  }
  if (duration === 'missing') {
    mediaEnded(sim, pb, 'failed');
    return;
  }
  if (duration === 'http') {
    // Started at once; the media plays (or fails) once fetched, unless stopped meanwhile (trace o).
    const uri = pb.media[pb.index] ?? '';
    void sim.httpMedia.durationOf(uri.slice('sound:'.length), pb.language).then((ms) => {
      if (sim.playbacks.get(pb.id) !== pb || pb.state !== 'playing' || pb.media[pb.index] !== uri || pb.task) return;
      if (ms === 'failed') mediaEnded(sim, pb, 'failed');
      else runFor(sim, pb, ms);
    });
    return;
  }
  runFor(sim, pb, duration);
}

export function runFor(sim: SimAsterisk, pb: Playback, ms: number): void {
  pb.endsAt = performance.now() + ms * sim.clock.scale;
  pb.remainingMs = ms;
  if (ms === Infinity) return;
  pb.task = sim.clock.after(ms, () => mediaEnded(sim, pb, 'done'));
}

export function mediaEnded(sim: SimAsterisk, pb: Playback, outcome: 'done' | 'failed'): void {
  pb.task = undefined;
  if (pb.index + 1 < pb.media.length) {
    // Several media: PlaybackContinuing between items, even after a missing one (trace h2).
    pb.state = 'continuing';
    pbEvent(sim, pb, 'PlaybackContinuing');
    pb.index++;
    beginMedia(sim, pb, false);
    return;
  }
  finish(sim, pb, outcome);
}

export function finish(sim: SimAsterisk, pb: Playback, state: 'done' | 'failed'): void {
  sim.clock.cancel(pb.task);
  pb.task = undefined;
  pb.state = state;
  pbEvent(sim, pb, 'PlaybackFinished');
  sim.playbacks.delete(pb.id);
  if (pb.player.current === pb) pb.player.current = undefined;
  if (pb.channel) {
    pb.channel.finishedCount++;
    life.checkDtmfTriggers(sim, pb.channel);
  }
  pump(sim, pb.player);
  if (pb.bridge && !pb.player.current) life.announcerLeaves(sim, pb.bridge);
}

/** Hangup or restart: the active playback and every queued one end as failed (trace h). */
export function failPlayer(sim: SimAsterisk, player: Player): void {
  const current = player.current;
  const queued = player.queue;
  player.queue = [];
  player.current = undefined;
  if (current) {
    sim.clock.cancel(current.task);
    current.state = 'failed';
    pbEvent(sim, current, 'PlaybackFinished');
    sim.playbacks.delete(current.id);
  }
  for (const pb of queued) {
    pb.state = 'playing';
    pbEvent(sim, pb, 'PlaybackStarted');
    pb.state = 'failed';
    pbEvent(sim, pb, 'PlaybackFinished');
    sim.playbacks.delete(pb.id);
  }
}

export function findPlayback(sim: SimAsterisk, id: string | undefined): Playback {
  const pb = id ? sim.playbacks.get(id) : undefined;
  if (!pb) return fail(404, 'Playback not found');
  return pb;
}

export function getPlayback(sim: SimAsterisk, args: Args): Reply {
  return { status: 200, body: pbJson(sim, findPlayback(sim, args.str('playbackId'))) };
}

export function stopPlayback(sim: SimAsterisk, args: Args): Reply {
  const pb = findPlayback(sim, args.str('playbackId'));
  if (pb.player.current === pb) {
    finish(sim, pb, 'done');
  } else {
    // A queued playback is cancelled silently: it never starts (Asterisk publishes nothing).
    pb.player.queue = pb.player.queue.filter((x) => x !== pb);
    sim.playbacks.delete(pb.id);
  }
  return { status: 204 };
}

export function controlPlayback(sim: SimAsterisk, args: Args): Reply {
  const operation = args.str('operation');
  const pb = findPlayback(sim, args.str('playbackId'));
  if (!operation) fail(400, 'Missing parameter operation');
  const op = operation as string;
  if (!['restart', 'pause', 'unpause', 'reverse', 'forward'].includes(op)) fail(400, `Invalid operation ${op}`);
  if (pb.state === 'queued') fail(409, 'Can only control playing playbacks');
  const now = performance.now();
  const remainingReal = () => (pb.remainingMs === Infinity ? Infinity : Math.max(0, (pb.endsAt - now) / sim.clock.scale));
  switch (op) {
    case 'pause':
      if (pb.state === 'playing') {
        pb.remainingMs = remainingReal();
        sim.clock.cancel(pb.task);
        pb.task = undefined;
        pb.state = 'paused';
      }
      break;
    case 'unpause':
      if (pb.state === 'paused') {
        pb.state = 'playing';
        pbEvent(sim, pb, 'PlaybackStarted');
        runFor(sim, pb, pb.remainingMs);
      }
      break;
    case 'restart': {
      const full = mediaDuration(sim, pb.media[pb.index] ?? '');
      if (typeof full === 'number' && pb.state === 'playing') {
        sim.clock.cancel(pb.task);
        runFor(sim, pb, full);
      } else if (typeof full === 'number') {
        pb.remainingMs = full;
      }
      break;
    }
    case 'reverse':
    case 'forward': {
      const left = pb.state === 'paused' ? pb.remainingMs : remainingReal();
      const full = mediaDuration(sim, pb.media[pb.index] ?? '');
      const cap = typeof full === 'number' ? full : left;
      const moved = op === 'forward' ? Math.max(0, left - pb.skipMs) : Math.min(cap, left + pb.skipMs);
      if (pb.state === 'playing') {
        sim.clock.cancel(pb.task);
        runFor(sim, pb, moved);
      } else {
        pb.remainingMs = moved;
      }
      break;
    }
  }
  return { status: 204 };
}

/** What this module does for the others (lifecycle.ts). */
export const lifecycle = { failPlayer } satisfies Partial<Lifecycle>;
