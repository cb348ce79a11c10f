// The TelephonyPort over several Asterisk servers (ARI_SERVERS; one for ARI_URL and the built-in
// simulator): one adapter (ari-client-adapter.ts) per server behind one port, so that the engine
// and the HTTP layer stay as they are for one server. Where each request goes:
//   - a new outgoing call: the server placement.ts chooses (fewest live calls per weight, up only);
//   - a call that came in: the server whose StasisStart brought it;
//   - everything else of a call (dialed legs, bridges, streams, playbacks, recordings): its first
//     channel's server, read from the ids themselves (leg-ids.ts, stream-ids.ts derive them from
//     the first channel), so no table grows per resource beyond playbacks and recordings;
//   - an id of no known call (a session of an engine that is gone, whose server the store did not
//     say): each server that is up in turn, until one knows it.
// Channel and bridge lists are the union over the servers; the known calls of a server that is
// down are listed as present, so that they are reconciled when that server is back (its own
// `connected`) instead of being ended for another server's list.
// Over 250 lines on purpose: the routing of every port operation is one table, read in one place.
import type { Logger } from '../../log.js';
import type { ChannelListing, ConnectionEvent, PortResult, ServerHealth, ServerPlacement, StreamMediaPort, TelephonyEvent, TelephonyPort } from '../port.js';
import type { AriOperations } from './ari-operations.js';
import { callChannelOf } from '../leg-ids.js';
import { isStreamResource } from '../../streams/stream-ids.js';
import { chooseServer } from './placement.js';

export interface AriServer {
  name: string;
  weight: number;
  port: TelephonyPort;
  media: StreamMediaPort;
}

/** Playbacks and recordings remembered for routing; beyond this the oldest are forgotten (then found by asking each server). */
const MAX_REMEMBERED = 100_000;

class Remembered {
  private readonly map = new Map<string, string>();
  set(key: string, server: string): void {
    this.map.delete(key);
    this.map.set(key, server);
    if (this.map.size > MAX_REMEMBERED) this.map.delete(this.map.keys().next().value as string);
  }
  get(key: string): string | undefined {
    return this.map.get(key);
  }
  delete(key: string): void {
    this.map.delete(key);
  }
}

export type ServersPort = TelephonyPort & { readonly placement: ServerPlacement; readonly media: StreamMediaPort };

export function createServersPort(servers: readonly AriServer[], logger: Logger): ServersPort {
  if (servers.length === 0) throw new Error('no Asterisk server');
  const byName = new Map(servers.map((s) => [s.name, s]));
  /** First channel of each known call → its server, with when it was learned (a list taken before does not prune it). */
  const calls = new Map<string, { server: string; since: number }>();
  const playbacks = new Remembered();
  const recordings = new Remembered();
  const connections = new Remembered();
  const live = new Map<string, number>(servers.map((s) => [s.name, 0]));
  const lastChosen = new Map<string, number>();
  let choices = 0;

  const addCall = (channelId: string, server: string): void => {
    const had = calls.get(channelId);
    if (had?.server === server) return;
    if (had) live.set(had.server, (live.get(had.server) ?? 1) - 1);
    calls.set(channelId, { server, since: performance.now() });
    live.set(server, (live.get(server) ?? 0) + 1);
  };
  const dropCall = (channelId: string): void => {
    const had = calls.get(channelId);
    if (!had) return;
    calls.delete(channelId);
    live.set(had.server, Math.max(0, (live.get(had.server) ?? 1) - 1));
  };

  const homeOf = (id: string): AriServer | undefined => {
    if (servers.length === 1) return servers[0];
    const server = calls.get(callChannelOf(id))?.server;
    return server === undefined ? undefined : byName.get(server);
  };

  /** Asks each server that is up, in turn, until one knows the resource; `learn` keeps the answer. */
  const anywhere = async <T>(op: (port: TelephonyPort) => Promise<PortResult<T>>, learn?: (server: string) => void): Promise<PortResult<T>> => {
    let last: PortResult<T> = { ok: false, kind: 'unavailable', message: 'no Asterisk server is up' };
    for (const s of servers) {
      if (!s.port.isConnected()) continue;
      const res = await op(s.port);
      if (res.ok || res.kind !== 'not-found') {
        if (res.ok) learn?.(s.name);
        return res;
      }
      last = res;
    }
    return last;
  };

  const onChannel = <T>(id: string, op: (port: TelephonyPort) => Promise<PortResult<T>>): Promise<PortResult<T>> => {
    const home = homeOf(id);
    return home ? op(home.port) : anywhere(op, (server) => addCall(callChannelOf(id), server));
  };
  const onKey = <T>(table: Remembered, key: string, op: (port: TelephonyPort) => Promise<PortResult<T>>): Promise<PortResult<T>> => {
    const server = servers.length === 1 ? servers[0] : byName.get(table.get(key) ?? '');
    return server ? op(server.port) : anywhere(op, (name) => table.set(key, name));
  };
  const remember = <T>(table: Remembered, key: string, id: string, res: PortResult<T>): PortResult<T> => {
    const home = homeOf(id);
    if (res.ok && home) table.set(key, home.name);
    return res;
  };

  const placement: ServerPlacement = {
    servers: (): ServerHealth[] => servers.map((s) => ({ name: s.name, up: s.port.isConnected(), liveCalls: live.get(s.name) ?? 0, weight: s.weight })),
    placeOn(channelId) {
      const known = calls.get(channelId);
      if (known) return { ok: true, value: known.server };
      const chosen = chooseServer(placement.servers(), lastChosen);
      if (!chosen) return { ok: false, kind: 'unavailable', message: 'no Asterisk server is up to take a new call' };
      lastChosen.set(chosen, ++choices);
      addCall(channelId, chosen);
      return { ok: true, value: chosen };
    },
    pin(server, channelId) {
      if (!byName.has(server)) return false;
      addCall(channelId, server);
      return true;
    },
    isUp: (server) => byName.get(server)?.port.isConnected() === true,
  };

  const eventListeners: Array<(event: TelephonyEvent) => void> = [];
  const connectionListeners: Array<(event: ConnectionEvent) => void> = [];
  for (const s of servers) {
    s.port.onEvent((event) => {
      if (event.type === 'stasis-start') {
        // A call that came in (or the first channel of an originate) lives where its StasisStart came from.
        if (!isStreamResource(event.channelId) && callChannelOf(event.channelId) === event.channelId) addCall(event.channelId, s.name);
        event = { ...event, server: s.name };
      } else if (event.type === 'channel-destroyed' && calls.get(event.channelId)?.server === s.name) {
        dropCall(event.channelId);
      } else if (event.type === 'playback-finished') {
        playbacks.delete(event.playbackId);
      }
      for (const listener of eventListeners) {
        try {
          listener(event);
        } catch (err) {
          logger.error({ err, server: s.name, event: event.type }, 'event listener failed');
        }
      }
    });
    s.port.onConnection((event) => {
      if (event.type === 'connected') logger.info({ server: s.name }, 'Asterisk server up: it takes new calls');
      else logger.warn({ server: s.name, reason: event.reason, liveCalls: live.get(s.name) ?? 0 }, 'Asterisk server down: no new calls go there');
      for (const listener of connectionListeners) {
        try {
          listener({ ...event, server: s.name });
        } catch (err) {
          logger.error({ err, server: s.name }, 'connection listener failed');
        }
      }
    });
  }

  /** A server's list is the truth about its calls: those it no longer has (and known before the list) are forgotten. */
  const prune = (server: string, present: ReadonlySet<string>, since: number): void => {
    for (const [channelId, call] of calls) if (call.server === server && call.since < since && !present.has(channelId)) dropCall(channelId);
  };

  const ops: AriOperations = {
    originate: (req) => {
      const placed = placement.placeOn(req.channelId);
      if (!placed.ok) return Promise.resolve(placed);
      return (byName.get(placed.value) as AriServer).port.originate(req);
    },
    answer: (id) => onChannel(id, (p) => p.answer(id)),
    play: async (id, playbackId, media) => remember(playbacks, playbackId, id, await onChannel(id, (p) => p.play(id, playbackId, media))),
    stopPlayback: (playbackId) => onKey(playbacks, playbackId, (p) => p.stopPlayback(playbackId)),
    playbackState: (playbackId) => onKey(playbacks, playbackId, (p) => p.playbackState(playbackId)),
    record: async (id, o) => remember(recordings, o.name, id, await onChannel(id, (p) => p.record(id, o))),
    hangup: (id, reason) => onChannel(id, (p) => p.hangup(id, reason)),
    setVariable: (id, name, value) => onChannel(id, (p) => p.setVariable(id, name, value)),
    startMoh: (id, mohClass) => onChannel(id, (p) => p.startMoh(id, mohClass)),
    stopMoh: (id) => onChannel(id, (p) => p.stopMoh(id)),
    sendDtmf: (id, digits) => onChannel(id, (p) => p.sendDtmf(id, digits)),
    createChannel: (req) => onChannel(homeOf(req.channelId) ? req.channelId : req.originator, (p) => p.createChannel(req)),
    dial: (id, caller, timeoutSec) => onChannel(id, (p) => p.dial(id, caller, timeoutSec)),
    createBridge: (id, name) => onChannel(id, (p) => p.createBridge(id, name)),
    addToBridge: (id, channelIds) => onChannel(id, (p) => p.addToBridge(id, channelIds)),
    destroyBridge: (id) => onChannel(id, (p) => p.destroyBridge(id)),
    playOnBridge: async (id, playbackId, media) => remember(playbacks, playbackId, id, await onChannel(id, (p) => p.playOnBridge(id, playbackId, media))),
    startBridgeMoh: (id, mohClass) => onChannel(id, (p) => p.startBridgeMoh(id, mohClass)),
    recordBridge: async (id, o) => remember(recordings, o.name, id, await onChannel(id, (p) => p.recordBridge(id, o))),
    stopBridgeMoh: (id) => onChannel(id, (p) => p.stopBridgeMoh(id)),
    continueInDialplan: (id, context, extension, priority) => onChannel(id, (p) => p.continueInDialplan(id, context, extension, priority)),
    storedRecordingFile: (name) => onKey(recordings, name, (p) => p.storedRecordingFile(name)),
    deleteStoredRecording: (name) => onKey(recordings, name, (p) => p.deleteStoredRecording(name)),
    async listChannels() {
      const channels: ChannelListing[] = [];
      for (const s of servers) {
        if (!s.port.isConnected()) {
          // Not known to be gone: decided when that server is back and lists them itself.
          for (const [id, call] of calls) if (call.server === s.name) channels.push({ id, server: s.name });
          continue;
        }
        const since = performance.now();
        const listed = await s.port.listChannels();
        if (!listed.ok) return listed;
        prune(s.name, new Set(listed.value.map((c) => c.id)), since);
        for (const c of listed.value) channels.push({ ...c, server: s.name });
      }
      return { ok: true, value: channels };
    },
    async listSounds(language) {
      // Every server is installed with the same sounds: the first that answers gives the list.
      let failure: PortResult<never> = { ok: false, kind: 'unavailable', message: 'no Asterisk server is connected' };
      for (const s of servers) {
        if (!s.port.isConnected()) continue;
        const listed = await s.port.listSounds(language);
        if (listed.ok) return listed;
        failure = listed;
      }
      return failure;
    },
    async listBridgeIds() {
      const ids: string[] = [];
      for (const s of servers) {
        if (!s.port.isConnected()) continue;
        const listed = await s.port.listBridgeIds();
        if (!listed.ok) return listed;
        ids.push(...listed.value);
      }
      return { ok: true, value: ids };
    },
  };

  const media: StreamMediaPort = {
    async externalMediaSocket(channelId) {
      const home = homeOf(channelId);
      if (!home) return { ok: false, kind: 'not-found', message: 'the call of this stream is on no known Asterisk server' };
      const res = await home.media.externalMediaSocket(channelId);
      if (res.ok) connections.set(res.value.connectionId, home.name);
      return res;
    },
    mediaSocketUrl: (connectionId) => mediaOf(connectionId).mediaSocketUrl(connectionId),
    mediaSocketHeaders: (connectionId) => mediaOf(connectionId).mediaSocketHeaders(connectionId),
    snoop: (channelId, snoopId, spy) => {
      const home = homeOf(channelId);
      return home ? home.media.snoop(channelId, snoopId, spy) : Promise.resolve({ ok: false, kind: 'not-found', message: 'the call is on no known Asterisk server' });
    },
  };
  const mediaOf = (connectionId: string): StreamMediaPort =>
    (byName.get(connections.get(connectionId) ?? '') ?? servers[0] as AriServer).media;

  return {
    ...ops,
    placement,
    media,
    // Resolves once one server is up: the others join when they come (each adapter keeps reconnecting).
    start: () => Promise.any(servers.map((s) => s.port.start())).then(() => undefined),
    close: async () => {
      await Promise.all(servers.map((s) => s.port.close()));
    },
    isConnected: () => servers.some((s) => s.port.isConnected()),
    onEvent: (listener) => {
      eventListeners.push(listener);
    },
    onConnection: (listener) => {
      connectionListeners.push(listener);
    },
  };
}
