// A transparent ARI proxy that measures reaction times identically for the engine and the floor.
// It sits between an ARI client and the simulator (REST and the events WebSocket pass through
// unchanged, Host header included so the Swagger basePath points back here) and timestamps, with
// one monotonic clock:
//   - each event when it is forwarded to the client (StasisStart, ChannelDtmfReceived);
//   - each REST request when it arrives, keyed by the channel it concerns (path
//     /channels/{id}/..., or /playbacks/{id} mapped to its channel).
// StasisStart → first request and ChannelDtmfReceived → next request are differences of those.
// It listens on one port per client ("lane": engine, floor) so sockets and figures never mix.
// Run as a child process with an IPC channel (bench/run.ts); commands and replies are below.
import http from 'node:http';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import { WebSocket, WebSocketServer, type RawData } from 'ws';
import { summarize, type Summary } from './lib/stats.js';

export type LaneName = 'engine' | 'floor';
export const LANES: readonly LaneName[] = ['engine', 'floor'];

export interface TraceEntry {
  /** ms since the trace started */
  t: number;
  kind: 'request' | 'event';
  method?: string;
  path?: string;
  query?: string;
  body?: string;
  status?: number;
  type?: string;
}

export interface LaneReport {
  stasisToFirstRequestMs: Summary;
  dtmfToNextRequestMs: Summary;
  requests: number;
  requestsByRoute: Record<string, number>;
  events: number;
  /** Originates answered 200 (a channel was created). */
  originates: number;
  channelsDestroyed: number;
  live: number;
  /** Most live channels seen at once in this phase. */
  maxLive: number;
  /** Distinct client TCP sockets that carried at least one REST request in this phase. */
  httpSocketsUsed: number;
  /** Most REST keep-alive sockets open at once in this phase (from first request to close). */
  httpSocketsMaxOpen: number;
  /** The same two figures since the proxy started. */
  httpSocketsUsedTotal: number;
  httpSocketsMaxOpenTotal: number;
  /** The first request of each REST socket open when the most were (which client part opened it). */
  httpSocketsFirstRoutesAtMax: Record<string, number>;
  webSockets: number;
  /** DTMF events after which no request for the channel followed (e.g. a digit during a pause). */
  dtmfWithoutRequest: number;
}

export type ProxyCommand =
  | { id: number; cmd: 'reset' }
  | { id: number; cmd: 'report' }
  | { id: number; cmd: 'live' }
  | { id: number; cmd: 'live-ids'; lane: LaneName }
  | { id: number; cmd: 'trace-start'; lane: LaneName }
  | { id: number; cmd: 'trace-stop'; lane: LaneName };

export type ProxyReply =
  | { type: 'ready'; ports: Record<LaneName, number> }
  | { id: number; ok: true; report?: Record<LaneName, LaneReport>; live?: Record<LaneName, LaneCounts>; trace?: TraceEntry[]; ids?: string[] };

/** Cheap counters for polling: live channels now, originates and destructions since the last reset. */
export interface LaneCounts {
  live: number;
  originates: number;
  destroyed: number;
}

interface ChannelMark {
  stasisAt?: number;
  dtmfAt?: number;
  playbacks?: string[];
}

class Lane {
  readonly channels = new Map<string, ChannelMark>();
  readonly playbackChannel = new Map<string, string>();
  readonly live = new Set<string>();
  /** Channels destroyed before their originate response reached us: not to be counted live. */
  readonly destroyedEarly = new Set<string>();
  stasis: number[] = [];
  dtmf: number[] = [];
  requests = 0;
  requestsByRoute: Record<string, number> = {};
  events = 0;
  originates = 0;
  destroyed = 0;
  maxLive = 0;
  dtmfWithoutRequest = 0;
  httpOpen = 0;
  wsOpen = 0;
  socketsUsed = new Set<Socket>();
  socketsUsedTotal = 0;
  readonly everUsed = new WeakSet<Socket>();
  httpMaxOpen = 0;
  httpMaxOpenTotal = 0;
  readonly openSockets = new Map<Socket, string>();
  firstRoutesAtMax: Record<string, number> = {};
  trace: TraceEntry[] | undefined;
  traceStart = 0;

  constructor(readonly name: LaneName) {}

  reset(): void {
    // Reactions still pending belong to the previous phase (e.g. held calls whose next request is
    // their hangup): they must not count in the next one.
    for (const mark of this.channels.values()) {
      mark.stasisAt = undefined;
      mark.dtmfAt = undefined;
    }
    this.stasis = [];
    this.dtmf = [];
    this.requests = 0;
    this.requestsByRoute = {};
    this.events = 0;
    this.originates = 0;
    this.destroyed = 0;
    this.maxLive = this.live.size;
    this.dtmfWithoutRequest = 0;
    this.socketsUsed = new Set();
    this.httpMaxOpen = this.httpOpen;
  }

  report(): LaneReport {
    return {
      stasisToFirstRequestMs: summarize(this.stasis),
      dtmfToNextRequestMs: summarize(this.dtmf),
      requests: this.requests,
      requestsByRoute: this.requestsByRoute,
      events: this.events,
      originates: this.originates,
      channelsDestroyed: this.destroyed,
      live: this.live.size,
      maxLive: this.maxLive,
      httpSocketsUsed: this.socketsUsed.size,
      httpSocketsMaxOpen: this.httpMaxOpen,
      httpSocketsUsedTotal: this.socketsUsedTotal,
      httpSocketsMaxOpenTotal: this.httpMaxOpenTotal,
      httpSocketsFirstRoutesAtMax: this.firstRoutesAtMax,
      webSockets: this.wsOpen,
      dtmfWithoutRequest: this.dtmfWithoutRequest,
    };
  }

  counts(): LaneCounts {
    return { live: this.live.size, originates: this.originates, destroyed: this.destroyed };
  }

  mark(channelId: string): ChannelMark {
    let mark = this.channels.get(channelId);
    if (!mark) {
      mark = {};
      this.channels.set(channelId, mark);
    }
    return mark;
  }

  /** A REST request arrived: the reaction to a pending StasisStart or DTMF of its channel. */
  onRequest(channelId: string | undefined, at: number): void {
    if (channelId === undefined) return;
    const mark = this.channels.get(channelId);
    if (!mark) return;
    if (mark.stasisAt !== undefined) {
      this.stasis.push(at - mark.stasisAt);
      mark.stasisAt = undefined;
    }
    if (mark.dtmfAt !== undefined) {
      this.dtmf.push(at - mark.dtmfAt);
      mark.dtmfAt = undefined;
    }
  }

  onEvent(text: string, at: number): void {
    this.events++;
    let event: { type?: unknown; channel?: { id?: unknown }; playback?: { id?: unknown; target_uri?: unknown } };
    try {
      event = JSON.parse(text) as typeof event;
    } catch {
      return;
    }
    const type = typeof event.type === 'string' ? event.type : '';
    if (this.trace) this.trace.push({ t: at - this.traceStart, kind: 'event', type });
    const channelId = typeof event.channel?.id === 'string' ? event.channel.id : undefined;
    switch (type) {
      case 'StasisStart':
        if (channelId) this.mark(channelId).stasisAt = at;
        break;
      case 'ChannelDtmfReceived':
        if (channelId) {
          const mark = this.mark(channelId);
          // The first digit of a burst is the one the program reacts to.
          mark.dtmfAt ??= at;
        }
        break;
      case 'PlaybackStarted': {
        const id = event.playback?.id;
        const target = event.playback?.target_uri;
        if (typeof id === 'string' && typeof target === 'string' && target.startsWith('channel:')) {
          this.linkPlayback(id, target.slice('channel:'.length));
        }
        break;
      }
      case 'ChannelDestroyed':
        if (channelId) this.forget(channelId);
        break;
      default:
        break;
    }
  }

  linkPlayback(playbackId: string, channelId: string): void {
    if (this.playbackChannel.has(playbackId)) return;
    this.playbackChannel.set(playbackId, channelId);
    const mark = this.mark(channelId);
    (mark.playbacks ??= []).push(playbackId);
  }

  onOriginated(channelId: string): void {
    this.originates++;
    if (this.destroyedEarly.delete(channelId)) {
      this.destroyed++;
      return;
    }
    this.live.add(channelId);
    if (this.live.size > this.maxLive) this.maxLive = this.live.size;
  }

  forget(channelId: string): void {
    const mark = this.channels.get(channelId);
    if (mark) {
      if (mark.dtmfAt !== undefined) this.dtmfWithoutRequest++;
      for (const pb of mark.playbacks ?? []) this.playbackChannel.delete(pb);
      this.channels.delete(channelId);
    }
    if (this.live.delete(channelId)) {
      this.destroyed++;
    } else {
      this.destroyedEarly.add(channelId);
      if (this.destroyedEarly.size > 10000) {
        const oldest = this.destroyedEarly.values().next().value;
        if (oldest !== undefined) this.destroyedEarly.delete(oldest);
      }
    }
  }

  socketUsed(socket: Socket): void {
    this.socketsUsed.add(socket);
    if (!this.everUsed.has(socket)) {
      this.everUsed.add(socket);
      this.socketsUsedTotal++;
    }
  }

  httpOpened(socket: Socket, route: string): void {
    this.httpOpen++;
    this.openSockets.set(socket, route);
    if (this.httpOpen > this.httpMaxOpen) this.httpMaxOpen = this.httpOpen;
    if (this.httpOpen > this.httpMaxOpenTotal) {
      this.httpMaxOpenTotal = this.httpOpen;
      const routes: Record<string, number> = {};
      for (const first of this.openSockets.values()) routes[first] = (routes[first] ?? 0) + 1;
      this.firstRoutesAtMax = routes;
    }
  }

  httpClosed(socket: Socket): void {
    this.httpOpen--;
    this.openSockets.delete(socket);
  }
}

const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'upgrade', 'te', 'trailer']);

function endToEnd(headers: http.IncomingHttpHeaders): http.OutgoingHttpHeaders {
  const out: http.OutgoingHttpHeaders = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value !== undefined && !HOP_BY_HOP.has(name)) out[name] = value;
  }
  return out;
}

/** The channel a REST path concerns, if any: /ari/channels/{id}[/...] or /ari/playbacks/{id}[/...]. */
function channelOf(lane: Lane, path: string): string | undefined {
  const parts = path.split('/');
  // ['', 'ari', resource, id, ...]
  const resource = parts[2];
  const id = parts[3] ? decodeURIComponent(parts[3]) : undefined;
  if (!id) return undefined;
  if (resource === 'channels') {
    // playWithId names the playback: remember it so /playbacks/{id} maps back to the channel.
    if (parts[4] === 'play' && parts[5]) lane.linkPlayback(decodeURIComponent(parts[5]), id);
    return id;
  }
  if (resource === 'playbacks') return lane.playbackChannel.get(id);
  return undefined;
}

/** A route label with ids replaced, for request counts: "POST /channels/{id}/play/{id}". */
function routeOf(method: string, path: string): string {
  const parts = path.split('/').slice(2);
  const labelled = parts.map((p, i) => (i % 2 === 1 && p !== '' ? '{id}' : p));
  return `${method} /${labelled.join('/')}`;
}

function isOriginate(method: string, path: string): boolean {
  return method === 'POST' && /^\/ari\/channels(\/[^/]+)?$/.test(path);
}

export async function startProxy(target: URL): Promise<{ ports: Record<LaneName, number>; lanes: Record<LaneName, Lane>; close(): Promise<void> }> {
  const upstreamAgent = new http.Agent({ keepAlive: true, maxSockets: 512 });
  const servers: http.Server[] = [];
  const sockets = new Set<WebSocket>();
  const lanes = {} as Record<LaneName, Lane>;
  const restSockets = new WeakSet<Socket>();
  const ports = {} as Record<LaneName, number>;

  for (const name of LANES) {
    const lane = new Lane(name);
    lanes[name] = lane;
    const server = http.createServer();
    // Asterisk's HTTP server keeps idle sessions 15 s (http.conf session_keep_alive).
    server.keepAliveTimeout = 15000;
    const wss = new WebSocketServer({ noServer: true, perMessageDeflate: false });

    server.on('request', (req, res) => {
      const at = performance.now();
      const method = req.method ?? 'GET';
      const url = req.url ?? '/';
      const q = url.indexOf('?');
      const path = q < 0 ? url : url.slice(0, q);
      lane.requests++;
      lane.socketUsed(req.socket);
      const route = routeOf(method, path);
      if (!restSockets.has(req.socket)) {
        // A socket counts as a REST keep-alive socket from its first request until it closes
        // (the WebSocket's upgrade handshake never does).
        restSockets.add(req.socket);
        const socket = req.socket;
        lane.httpOpened(socket, route);
        socket.once('close', () => lane.httpClosed(socket));
      }
      lane.requestsByRoute[route] = (lane.requestsByRoute[route] ?? 0) + 1;
      lane.onRequest(channelOf(lane, path), at);
      const originate = isOriginate(method, path);

      let traced: TraceEntry | undefined;
      if (lane.trace) {
        traced = { t: at - lane.traceStart, kind: 'request', method, path, query: q < 0 ? '' : url.slice(q + 1) };
        lane.trace.push(traced);
        const chunks: Buffer[] = [];
        req.on('data', (c: Buffer) => chunks.push(c));
        req.on('end', () => {
          if (chunks.length > 0 && traced) traced.body = Buffer.concat(chunks).toString('utf8');
        });
      }

      const upstream = http.request({
        host: target.hostname, port: target.port, method, path: url, headers: endToEnd(req.headers), agent: upstreamAgent,
      }, (ures) => {
        if (traced) traced.status = ures.statusCode;
        res.writeHead(ures.statusCode ?? 502, endToEnd(ures.headers));
        if (originate && ures.statusCode === 200) {
          const body: Buffer[] = [];
          ures.on('data', (c: Buffer) => body.push(c));
          ures.on('end', () => {
            try {
              const channel = JSON.parse(Buffer.concat(body).toString('utf8')) as { id?: unknown };
              if (typeof channel.id === 'string') lane.onOriginated(channel.id);
            } catch {
              // Not a channel: nothing to count.
            }
          });
        }
        ures.pipe(res);
      });
      upstream.on('error', () => {
        if (!res.headersSent) res.writeHead(502, { 'content-type': 'application/json' });
        res.end(res.headersSent ? undefined : '{"message":"proxy: upstream unavailable"}');
      });
      req.pipe(upstream);
    });

    server.on('upgrade', (req: http.IncomingMessage, socket: Duplex, head: Buffer) => {
      const headers: Record<string, string> = {};
      if (req.headers.authorization) headers.authorization = req.headers.authorization;
      const upstream = new WebSocket(`ws://${target.host}${req.url ?? '/'}`, { headers, perMessageDeflate: false });
      const pending: Array<{ data: RawData; isBinary: boolean }> = [];
      upstream.on('unexpected-response', (_r, ures) => {
        socket.end(`HTTP/1.1 ${ures.statusCode ?? 502} ${ures.statusMessage ?? ''}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n`);
        upstream.terminate();
      });
      upstream.on('error', () => socket.destroy());
      // Events can follow the upstream handshake before the client's is done: keep them in order.
      upstream.on('message', (data, isBinary) => pending.push({ data, isBinary }));
      upstream.once('open', () => {
        wss.handleUpgrade(req, socket, head, (client) => {
          lane.wsOpen++;
          sockets.add(client);
          sockets.add(upstream);
          const forward = (data: RawData, isBinary: boolean): void => {
            const at = performance.now();
            client.send(data, { binary: isBinary });
            lane.onEvent(data.toString(), at);
          };
          upstream.removeAllListeners('message');
          for (const m of pending.splice(0)) forward(m.data, m.isBinary);
          upstream.on('message', forward);
          client.on('message', (data, isBinary) => upstream.send(data, { binary: isBinary }));
          upstream.on('close', (code, reason) => {
            if (code === 1005 || code === 1006) client.terminate();
            else client.close(code, reason);
          });
          client.on('close', () => {
            lane.wsOpen--;
            sockets.delete(client);
            sockets.delete(upstream);
            upstream.close();
          });
          client.on('error', () => upstream.terminate());
        });
      });
    });

    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const address = server.address();
    ports[name] = typeof address === 'object' && address ? address.port : 0;
    servers.push(server);
  }

  return {
    ports,
    lanes,
    close: async () => {
      for (const ws of sockets) ws.terminate();
      await Promise.all(servers.map((s) => new Promise<void>((resolve) => {
        s.close(() => resolve());
        s.closeAllConnections();
      })));
      upstreamAgent.destroy();
    },
  };
}

async function main(): Promise<void> {
  const targetText = process.env.PROXY_TARGET;
  if (!targetText || !process.send) {
    process.stderr.write('ari-proxy: run by bench/run.ts (needs PROXY_TARGET and an IPC channel)\n');
    process.exitCode = 2;
    return;
  }
  const proxy = await startProxy(new URL(targetText));
  const send = (reply: ProxyReply): void => {
    process.send?.(reply);
  };
  process.on('message', (raw: unknown) => {
    const msg = raw as ProxyCommand;
    switch (msg.cmd) {
      case 'reset':
        for (const lane of LANES) proxy.lanes[lane].reset();
        send({ id: msg.id, ok: true });
        break;
      case 'report': {
        const report = {} as Record<LaneName, LaneReport>;
        for (const lane of LANES) report[lane] = proxy.lanes[lane].report();
        send({ id: msg.id, ok: true, report });
        break;
      }
      case 'live':
        send({ id: msg.id, ok: true, live: { engine: proxy.lanes.engine.counts(), floor: proxy.lanes.floor.counts() } });
        break;
      case 'live-ids':
        send({ id: msg.id, ok: true, ids: [...proxy.lanes[msg.lane].live] });
        break;
      case 'trace-start':
        proxy.lanes[msg.lane].trace = [];
        proxy.lanes[msg.lane].traceStart = performance.now();
        send({ id: msg.id, ok: true });
        break;
      case 'trace-stop': {
        const trace = proxy.lanes[msg.lane].trace ?? [];
        proxy.lanes[msg.lane].trace = undefined;
        send({ id: msg.id, ok: true, trace });
        break;
      }
      default:
        break;
    }
  });
  process.on('disconnect', () => {
    void proxy.close().then(() => process.exit(0));
  });
  send({ type: 'ready', ports: proxy.ports });
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) void main();
