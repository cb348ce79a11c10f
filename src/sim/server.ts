// HTTP + WebSocket front of the simulator: ARI under /ari (auth, routing and parameters from the
// operation table, events WebSocket), the control API under /sim (no ARI auth; the server binds
// 127.0.0.1 by default), and the fault machinery (drops, refusals, restart, graceful stop).
import { createServer, type IncomingMessage, type ServerResponse, type Server } from 'node:http';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { WebSocketServer, WebSocket } from 'ws';
import { Clock } from './clock.js';
import { ApiError, Args, SimAsterisk, type EventSink, type Reply } from './asterisk.js';
import * as applications from './applications.js';
import * as asteriskInfo from './asterisk-info.js';
import * as bridges from './bridges.js';
import * as creating from './channel-create.js';
import * as externalMedia from './external-media.js';
import * as dialing from './channel-dial.js';
import * as hangups from './channel-hangup.js';
import * as channelOps from './channels.js';
import * as endpoints from './endpoints.js';
import * as playbacks from './playbacks.js';
import * as recordings from './recordings.js';
import { ariTimestamp, parseCallerId, parseQuery } from './ari-format.js';
import { apiDeclaration, compileRoutes, OPERATIONS, RESOURCES, resourceListing, type OperationSpec, type ResourceName } from './operations.js';
import { modelsFor } from './models.js';
import type {
  CalleeScript, DelayRule, FailRule, RunningSimulator, SimRequestRecord, SimulatorOptions,
} from './types.js';

const SERVER_HEADER = 'Asterisk/22.10.1 (ari-flow-engine simulator)';
const MAX_BODY = 1024 * 1024;
const DEFAULT_KNOWN = ['PJSIP/phone1', 'PJSIP/phone2', 'PJSIP/phone3', 'PJSIP/phone4', 'PJSIP/*@trunk', 'Local/*'];

interface Conn {
  ws: WebSocket;
  socket: Duplex;
  apps: string[];
  subscribeAll: boolean;
}

type Handler = (a: Args) => Reply;

/** Validates a callee script from JSON (control API, scripts file); throws a readable message. */
export function validateScript(raw: unknown, where = 'script'): CalleeScript {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new Error(`${where}: must be a JSON object`);
  const o = raw as Record<string, unknown>;
  const out: CalleeScript = {};
  const results = ['answer', 'busy', 'no-answer', 'congestion', 'reject', 'fail'];
  if (o.result !== undefined) {
    if (typeof o.result !== 'string' || !results.includes(o.result)) throw new Error(`${where}.result: one of ${results.join(', ')}`);
    out.result = o.result as CalleeScript['result'];
  }
  const ms = (v: unknown, name: string): number | undefined => {
    if (v === undefined) return undefined;
    if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) throw new Error(`${where}.${name}: a number of milliseconds >= 0`);
    return v;
  };
  const answerAfterMs = ms(o.answerAfterMs, 'answerAfterMs');
  if (answerAfterMs !== undefined) out.answerAfterMs = answerAfterMs;
  const hangupAfterMs = ms(o.hangupAfterMs, 'hangupAfterMs');
  if (hangupAfterMs !== undefined) out.hangupAfterMs = hangupAfterMs;
  if (o.dtmf !== undefined) {
    if (!Array.isArray(o.dtmf)) throw new Error(`${where}.dtmf: an array`);
    out.dtmf = o.dtmf.map((step: unknown, i) => {
      if (typeof step !== 'object' || step === null) throw new Error(`${where}.dtmf[${i}]: an object`);
      const s = step as Record<string, unknown>;
      if (typeof s.digits !== 'string' || !/^[0-9A-Da-d*#]+$/.test(s.digits)) throw new Error(`${where}.dtmf[${i}].digits: DTMF digits (0-9, A-D, *, #)`);
      const r: NonNullable<CalleeScript['dtmf']>[number] = { digits: s.digits };
      for (const k of ['atMs', 'afterPlaybackStarted', 'afterPlaybackFinished', 'delayMs', 'gapMs'] as const) {
        const v = ms(s[k], `dtmf[${i}].${k}`);
        if (v !== undefined) r[k] = v;
      }
      return r;
    });
  }
  return out;
}

export async function startServer(options: SimulatorOptions = {}): Promise<RunningSimulator> {
  const host = options.host ?? '127.0.0.1';
  const username = options.username ?? 'asterisk';
  const password = options.password ?? 'asterisk';
  const scale = options.timeScale ?? 1;
  if (!(scale > 0)) throw new Error('timeScale must be > 0');
  const log = options.logger;
  const logSize = options.requestLogSize ?? 1000;

  const conns = new Set<Conn>();
  const owners = new Map<string, Conn>();
  const sockets = new Set<Socket>();
  const requestLog: SimRequestRecord[] = [];
  let failRules: Array<FailRule & { left: number }> = [];
  let delayRules: Array<DelayRule & { left: number }> = [];
  /** up: normal; resetting: accept then reset connections (restart); down: not listening. */
  let phase: 'up' | 'resetting' | 'down' = 'up';
  let refuseTimer: NodeJS.Timeout | undefined;
  let closed = false;
  const pendingTimers = new Set<NodeJS.Timeout>();
  const later = (ms: number, fn: () => void) => {
    const t = setTimeout(() => {
      pendingTimers.delete(t);
      fn();
    }, ms);
    pendingTimers.add(t);
  };

  const clock = new Clock(scale, (err) => log?.error({ err }, 'simulator task failed'));

  const sink: EventSink = {
    deliver(apps, event) {
      if (conns.size === 0) return;
      const base = JSON.stringify(event);
      const head = base.slice(0, -1);
      const sent = new Set<Conn>();
      for (const app of apps) {
        const conn = owners.get(app);
        if (!conn || conn.ws.readyState !== WebSocket.OPEN) continue;
        sent.add(conn);
        conn.ws.send(`${head},"application":${JSON.stringify(app)}}`);
      }
      for (const conn of conns) {
        if (!conn.subscribeAll || sent.has(conn) || conn.ws.readyState !== WebSocket.OPEN) continue;
        const app = conn.apps.find((a) => owners.get(a) === conn);
        if (app) conn.ws.send(`${head},"application":${JSON.stringify(app)}}`);
      }
    },
    hasApp: (app) => owners.has(app),
    apps: () => [...owners.keys()],
  };

  const ast = new SimAsterisk({
    scripts: options.scripts ?? {},
    defaultScript: options.defaultScript ?? { result: 'answer', answerAfterMs: 1000 },
    soundDurationsMs: options.soundDurationsMs ?? {},
    defaultSoundMs: options.defaultSoundMs ?? 2000,
    missingSounds: options.missingSounds ?? ['does-not-exist'],
    knownEndpoints: options.knownEndpoints ?? DEFAULT_KNOWN,
    offlineEndpoints: options.offlineEndpoints ?? [],
  }, clock, sink);

  const handlers: Record<string, Handler> = {
    'asterisk.getInfo': (a) => asteriskInfo.info(ast, a),
    'asterisk.ping': () => asteriskInfo.ping(ast),
    'asterisk.getGlobalVar': (a) => asteriskInfo.getGlobal(ast, a),
    'asterisk.setGlobalVar': (a) => asteriskInfo.setGlobal(ast, a),
    'endpoints.list': (a) => endpoints.listEndpoints(ast, a, false),
    'endpoints.listByTech': (a) => endpoints.listEndpoints(ast, a, true),
    'endpoints.get': (a) => endpoints.getEndpoint(ast, a),
    'channels.list': () => channelOps.listChannels(ast),
    'channels.originate': (a) => dialing.originate(ast, a),
    'channels.create': (a) => creating.create(ast, a),
    'channels.dial': (a) => creating.dial(ast, a),
    'channels.externalMedia': (a) => externalMedia.externalMedia(ast, a),
    'channels.snoopChannel': (a) => externalMedia.snoop(ast, a),
    'channels.get': (a) => channelOps.getChannel(ast, a),
    'channels.originateWithId': (a) => dialing.originate(ast, a, a.str('channelId')),
    'channels.hangup': (a) => channelOps.hangup(ast, a),
    'channels.continueInDialplan': (a) => channelOps.continueInDialplan(ast, a),
    'channels.redirect': (a) => channelOps.redirect(ast, a),
    'channels.answer': (a) => channelOps.answer(ast, a),
    'channels.ring': (a) => channelOps.ring(ast, a),
    'channels.ringStop': (a) => channelOps.ring(ast, a),
    'channels.sendDTMF': (a) => channelOps.sendDtmfToChannel(ast, a),
    'channels.mute': (a) => channelOps.mute(ast, a),
    'channels.unmute': (a) => channelOps.mute(ast, a),
    'channels.hold': (a) => channelOps.noop(ast, a),
    'channels.unhold': (a) => channelOps.noop(ast, a),
    'channels.startMoh': (a) => channelOps.noop(ast, a),
    'channels.stopMoh': (a) => channelOps.noop(ast, a),
    'channels.startSilence': (a) => channelOps.noop(ast, a),
    'channels.stopSilence': (a) => channelOps.noop(ast, a),
    'channels.play': (a) => playbacks.play(ast, a, 'channel'),
    'channels.playWithId': (a) => playbacks.play(ast, a, 'channel', a.str('playbackId')),
    'channels.record': (a) => recordings.record(ast, a, 'channel'),
    'channels.getChannelVar': (a) => channelOps.getVar(ast, a),
    'channels.setChannelVar': (a) => channelOps.setVar(ast, a),
    'bridges.list': () => bridges.listBridges(ast),
    'bridges.create': (a) => bridges.createBridge(ast, a),
    'bridges.createWithId': (a) => bridges.createBridge(ast, a, a.str('bridgeId')),
    'bridges.get': (a) => bridges.getBridge(ast, a),
    'bridges.destroy': (a) => bridges.destroyBridge(ast, a),
    'bridges.addChannel': (a) => bridges.addToBridge(ast, a),
    'bridges.startMoh': (a) => bridges.bridgeMoh(ast, a),
    'bridges.stopMoh': (a) => bridges.bridgeMoh(ast, a),
    'bridges.removeChannel': (a) => bridges.removeFromBridgeOp(ast, a),
    'bridges.play': (a) => playbacks.play(ast, a, 'bridge'),
    'bridges.playWithId': (a) => playbacks.play(ast, a, 'bridge', a.str('playbackId')),
    'bridges.record': (a) => recordings.record(ast, a, 'bridge'),
    'recordings.listStored': () => recordings.listStored(ast),
    'recordings.getStored': (a) => recordings.getStored(ast, a),
    'recordings.deleteStored': (a) => recordings.deleteStored(ast, a),
    'recordings.getStoredFile': (a) => recordings.getStoredFile(ast, a),
    'recordings.copyStored': (a) => recordings.copyStored(ast, a),
    'recordings.getLive': (a) => recordings.getLive(ast, a),
    'recordings.cancel': (a) => recordings.stopLive(ast, a, true),
    'recordings.stop': (a) => recordings.stopLive(ast, a, false),
    'recordings.pause': (a) => recordings.pauseLive(ast, a, true),
    'recordings.unpause': (a) => recordings.pauseLive(ast, a, false),
    'recordings.mute': (a) => recordings.muteLive(ast, a),
    'recordings.unmute': (a) => recordings.muteLive(ast, a),
    'sounds.list': () => asteriskInfo.listSounds(ast),
    'sounds.get': (a) => asteriskInfo.getSound(ast, a),
    'playbacks.get': (a) => playbacks.getPlayback(ast, a),
    'playbacks.stop': (a) => playbacks.stopPlayback(ast, a),
    'playbacks.control': (a) => playbacks.controlPlayback(ast, a),
    'applications.list': () => applications.listApps(ast),
    'applications.get': (a) => applications.getApp(ast, a),
    'applications.subscribe': (a) => applications.subscribe(ast, a, true),
    'applications.unsubscribe': (a) => applications.subscribe(ast, a, false),
  };
  // The table and the behaviour cannot drift: every declared operation has a handler and vice versa.
  for (const op of OPERATIONS) {
    if (!op.upgrade && !handlers[`${op.resource}.${op.nickname}`]) throw new Error(`no handler for ${op.resource}.${op.nickname}`);
  }
  for (const key of Object.keys(handlers)) {
    if (!OPERATIONS.some((op) => `${op.resource}.${op.nickname}` === key)) throw new Error(`handler ${key} is not declared`);
  }
  const routes = compileRoutes();

  const authorized = (req: IncomingMessage, query: Map<string, string>): boolean => {
    const header = req.headers.authorization;
    let given: string | undefined;
    if (header && /^basic /i.test(header)) given = Buffer.from(header.slice(6).trim(), 'base64').toString('utf8');
    else if (query.has('api_key')) given = query.get('api_key');
    return given === `${username}:${password}`;
  };

  const send = (res: ServerResponse, status: number, body?: unknown, extra: Record<string, string> = {}) => {
    const headers: Record<string, string> = { Server: SERVER_HEADER, 'Cache-Control': 'no-cache, no-store', ...extra };
    if (status === 204 || body === undefined) {
      res.writeHead(status, headers);
      res.end();
      return;
    }
    const text = JSON.stringify(body);
    headers['Content-Type'] = 'application/json';
    headers['Content-Length'] = String(Buffer.byteLength(text));
    res.writeHead(status, headers);
    res.end(text);
  };

  const readBody = (req: IncomingMessage): Promise<string> => new Promise((resolve, reject) => {
    let size = 0;
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY) {
        reject(new ApiError(413, { message: 'Request body too large' }));
        req.destroy();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });

  const parseJsonBody = (text: string): unknown => {
    if (text.trim() === '') return undefined;
    try {
      return JSON.parse(text);
    } catch {
      throw new ApiError(400, { message: 'Could not parse request body as JSON' });
    }
  };

  const logRequest = (rec: SimRequestRecord) => {
    requestLog.push(rec);
    if (requestLog.length > logSize) requestLog.splice(0, requestLog.length - logSize);
  };

  const matchRule = (rule: { method?: string; path: RegExp | string }, method: string, path: string): boolean => {
    if (rule.method && rule.method.toUpperCase() !== method) return false;
    const short = path.startsWith('/ari/') ? path.slice(4) : path;
    if (typeof rule.path === 'string') return rule.path === path || rule.path === short;
    rule.path.lastIndex = 0;
    return rule.path.test(path);
  };

  const sleep = (ms: number) => new Promise<void>((resolve) => later(ms, resolve));

  async function handleAri(req: IncomingMessage, res: ServerResponse, path: string, rawQuery: string): Promise<void> {
    const method = (req.method ?? 'GET').toUpperCase();
    const query = parseQuery(rawQuery);
    const bodyText = await readBody(req);
    if (!authorized(req, query)) {
      send(res, 401, { message: 'Authentication required' }, { 'WWW-Authenticate': 'Basic realm="Asterisk REST Interface"' });
      return;
    }
    const basePath = `http://${req.headers.host ?? `${host}:${port}`}/ari`;
    const sub = path.slice(4);
    if (sub === '/api-docs/resources.json' && method === 'GET') {
      send(res, 200, resourceListing(basePath));
      return;
    }
    const decl = /^\/api-docs\/(\w+)\.json$/.exec(sub);
    if (decl && method === 'GET') {
      const name = decl[1] as ResourceName;
      if (RESOURCES.includes(name)) send(res, 200, apiDeclaration(name, basePath, modelsFor(name)));
      else send(res, 404, { message: 'Resource not found' });
      return;
    }

    let op: OperationSpec | undefined;
    let pathValues: string[] = [];
    let known = false;
    for (const route of routes) {
      const m = route.regex.exec(sub);
      if (!m) continue;
      known = true;
      op = route.byMethod.get(method);
      pathValues = route.pathParams;
      const values = m.slice(1);
      pathValues = values.map((v) => {
        try {
          return decodeURIComponent(v);
        } catch {
          return v;
        }
      });
      if (op) {
        const names = route.pathParams;
        const map = new Map<string, unknown>();
        names.forEach((n, i) => map.set(n, pathValues[i]));
        await dispatch(req, res, op, map, query, bodyText, method, path);
        return;
      }
      break;
    }
    if (known) send(res, 405, { message: 'Invalid method' });
    else send(res, 404, { message: 'Resource not found' });
  }

  async function dispatch(
    req: IncomingMessage, res: ServerResponse, op: OperationSpec, values: Map<string, unknown>, query: Map<string, string>,
    bodyText: string, method: string, path: string,
  ): Promise<void> {
    const body = parseJsonBody(bodyText);
    const defaults = new Map<string, unknown>();
    for (const prm of op.params) {
      if (prm.defaultValue !== undefined) defaults.set(prm.name, prm.defaultValue);
      if (prm.paramType === 'query' && query.has(prm.name)) values.set(prm.name, query.get(prm.name));
    }
    // Asterisk reads every parameter from a JSON body too, and the body wins over the query string.
    if (body && typeof body === 'object' && !Array.isArray(body)) {
      const obj = body as Record<string, unknown>;
      for (const prm of op.params) {
        if (prm.paramType === 'path') continue;
        if (obj[prm.name] !== undefined) values.set(prm.name, obj[prm.name]);
      }
    }
    const queryRecord: Record<string, string> = {};
    for (const [k, v] of query) if (k !== 'api_key') queryRecord[k] = v;
    const record: SimRequestRecord = { at: ariTimestamp(), method, path, query: queryRecord, ...(body !== undefined ? { body } : {}), status: 0 };

    const delay = delayRules.find((r) => r.left > 0 && matchRule(r, method, path));
    if (delay) {
      delay.left--;
      delayRules = delayRules.filter((r) => r.left > 0);
      await sleep(delay.delayMs);
    }
    const failing = failRules.find((r) => r.left > 0 && matchRule(r, method, path));
    let reply: Reply;
    if (failing) {
      failing.left--;
      failRules = failRules.filter((r) => r.left > 0);
      if (failing.delayMs) await sleep(failing.delayMs);
      reply = { status: failing.status, body: failing.body ?? { message: 'Simulated failure' } };
    } else {
      try {
        reply = (handlers[`${op.resource}.${op.nickname}`] as Handler)(new Args(values, defaults));
      } catch (err) {
        if (err instanceof ApiError) reply = { status: err.status, body: err.body };
        else {
          log?.error({ err }, 'simulator handler failed');
          reply = { status: 500, body: { message: 'Internal Server Error' } };
        }
      }
    }
    record.status = reply.status;
    logRequest(record);
    const channelId = values.get('channelId');
    if (typeof channelId === 'string') ast.noteRequest(channelId, record);
    else if (op.nickname === 'originate' && reply.status === 200) ast.noteRequest(String((reply.body as { id: string }).id), record);
    if (res.destroyed) return;
    if (reply.file) {
      res.writeHead(reply.status, { Server: SERVER_HEADER, 'Cache-Control': 'no-cache, no-store', 'Content-Type': reply.file.contentType, 'Content-Length': String(reply.file.data.length) });
      res.end(reply.file.data);
      return;
    }
    send(res, reply.status, reply.body);
  }

  async function handleSim(req: IncomingMessage, res: ServerResponse, path: string): Promise<void> {
    const method = (req.method ?? 'GET').toUpperCase();
    const text = await readBody(req);
    const body = parseJsonBody(text);
    const obj = (body && typeof body === 'object' && !Array.isArray(body) ? body : {}) as Record<string, unknown>;
    const bad = (message: string) => send(res, 400, { message });
    const seg = path.split('/').slice(2).map((s) => {
      try {
        return decodeURIComponent(s);
      } catch {
        return s;
      }
    });
    const [a, b, c] = seg;
    if (a === 'health' && method === 'GET') return send(res, 200, { ok: true, phase });
    if (a === 'stats' && method === 'GET') {
      return send(res, 200, { originates: ast.originateCount(), channels: ast.channels.size, websockets: conns.size, apps: [...owners.keys()] });
    }
    if (a === 'requests' && method === 'GET') return send(res, 200, requestLog);
    if (a === 'callees') {
      if (b === undefined && method === 'GET') return send(res, 200, ast.callees());
      if (b !== undefined && c === undefined) {
        if (method === 'PUT') {
          try {
            const script = validateScript(body);
            ast.setCallee(b, script);
            return send(res, 200, { key: b, script });
          } catch (err) {
            return bad((err as Error).message);
          }
        }
        if (method === 'DELETE') {
          ast.deleteCallee(b);
          return send(res, 204);
        }
        if (method === 'GET') {
          const s = ast.callees()[b];
          return s ? send(res, 200, s) : send(res, 404, { message: 'No script for this key' });
        }
      }
    }
    if (a === 'channels') {
      if (b === undefined && method === 'GET') return send(res, 200, ast.channelInfos());
      if (b !== undefined && c === 'dtmf' && method === 'POST') {
        if (typeof obj.digits !== 'string' || !/^[0-9A-Da-d*#]+$/.test(obj.digits)) return bad('digits: DTMF digits (0-9, A-D, *, #)');
        const gap = typeof obj.gapMs === 'number' ? obj.gapMs : undefined;
        return dialing.farEndDtmf(ast, b, obj.digits, gap) ? send(res, 204) : send(res, 404, { message: 'Channel not found or not answered' });
      }
      if (b !== undefined && c === 'hangup' && method === 'POST') {
        return hangups.farEndHangupById(ast, b) ? send(res, 204) : send(res, 404, { message: 'Channel not found' });
      }
    }
    if (a === 'inbound' && method === 'POST') {
      const from = typeof obj.from === 'string' ? obj.from : 'PJSIP/phone1';
      const exten = typeof obj.exten === 'string' ? obj.exten : 's';
      if (typeof obj.app !== 'string' || obj.app === '') return bad('app: the Stasis application to enter');
      const args = Array.isArray(obj.args) ? obj.args.map(String) : [exten];
      const id = dialing.inbound(ast, from, exten, obj.app, args, parseCallerId(typeof obj.callerId === 'string' ? obj.callerId : ''));
      return send(res, 200, { channelId: id });
    }
    if (a === 'faults') {
      if (b === undefined && method === 'DELETE') {
        faults.clear();
        return send(res, 204);
      }
      if (method === 'POST') {
        switch (b) {
          case 'drop-websockets':
            faults.dropWebSockets();
            return send(res, 204);
          case 'refuse-connections': {
            const ms = obj.ms;
            if (typeof ms !== 'number' || ms < 0) return bad('ms: milliseconds >= 0');
            send(res, 204, undefined, { Connection: 'close' });
            later(0, () => faults.refuseConnections(ms));
            return;
          }
          case 'restart':
            send(res, 204, undefined, { Connection: 'close' });
            later(0, () => void faults.restart());
            return;
          case 'stop-gracefully': {
            const again = obj.restartAfterMs;
            if (again !== undefined && (typeof again !== 'number' || again < 0)) return bad('restartAfterMs: milliseconds >= 0');
            send(res, 202, { message: 'Stopping when the last call ends' });
            void faults.stopGracefully().then(() => {
              if (typeof again === 'number') later(again, () => void faults.start());
            });
            return;
          }
          case 'fail-next':
          case 'delay-next': {
            const pathSpec = typeof obj.pathRegex === 'string' ? safeRegExp(obj.pathRegex) : typeof obj.path === 'string' ? obj.path : undefined;
            if (pathSpec === undefined) return bad('path (exact) or pathRegex is required');
            const method = typeof obj.method === 'string' ? obj.method : undefined;
            const count = typeof obj.count === 'number' && obj.count > 0 ? obj.count : 1;
            if (b === 'fail-next') {
              if (typeof obj.status !== 'number' || obj.status < 100 || obj.status > 599) return bad('status: an HTTP status');
              faults.failNext({ path: pathSpec, status: obj.status, count, ...(method ? { method } : {}), ...(obj.body !== undefined ? { body: obj.body } : {}),
                ...(typeof obj.delayMs === 'number' ? { delayMs: obj.delayMs } : {}) });
            } else {
              if (typeof obj.delayMs !== 'number' || obj.delayMs < 0) return bad('delayMs: milliseconds >= 0');
              faults.delayNext({ path: pathSpec, delayMs: obj.delayMs, count, ...(method ? { method } : {}) });
            }
            return send(res, 204);
          }
        }
      }
    }
    send(res, 404, { message: 'Unknown control endpoint' });
  }

  function safeRegExp(source: string): RegExp | undefined {
    try {
      return new RegExp(source);
    } catch {
      return undefined;
    }
  }

  const server: Server = createServer((req, res) => {
    if (phase === 'resetting') {
      req.socket.resetAndDestroy();
      return;
    }
    const url = req.url ?? '/';
    const qi = url.indexOf('?');
    const path = qi < 0 ? url : url.slice(0, qi);
    const rawQuery = qi < 0 ? '' : url.slice(qi + 1);
    const work = path === '/ari' || path.startsWith('/ari/')
      ? handleAri(req, res, path, rawQuery)
      : path.startsWith('/sim/') ? handleSim(req, res, path)
        : Promise.resolve(send(res, 404, { message: 'Not found' }));
    work.catch((err: unknown) => {
      if (err instanceof ApiError) {
        if (!res.headersSent) send(res, err.status, err.body);
        return;
      }
      log?.error({ err }, 'simulator request failed');
      if (!res.headersSent) send(res, 500, { message: 'Internal Server Error' });
    });
  });
  server.keepAliveTimeout = 5000;
  server.on('connection', (socket: Socket) => {
    if (phase === 'resetting') {
      socket.resetAndDestroy();
      return;
    }
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  server.on('clientError', (_err, socket) => socket.destroy());

  const wss = new WebSocketServer({ noServer: true, perMessageDeflate: false });
  const rejectUpgrade = (socket: Duplex, status: number, reason: string, body: string, type: string, extra = '') => {
    socket.end(`HTTP/1.1 ${status} ${reason}\r\nServer: ${SERVER_HEADER}\r\nCache-Control: no-cache, no-store\r\n${extra}Content-Type: ${type}\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
  };
  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    if (phase !== 'up') {
      socket.destroy();
      return;
    }
    const url = req.url ?? '/';
    const qi = url.indexOf('?');
    const path = qi < 0 ? url : url.slice(0, qi);
    const query = parseQuery(qi < 0 ? '' : url.slice(qi + 1));
    const media = /^\/media\/([^/]+)$/.exec(path);
    if (media) {
      // A media WebSocket client for an externalMedia channel in server mode (trace r).
      if (!ast.mediaSockets.has(media[1] as string)) {
        rejectUpgrade(socket, 404, 'Not Found', JSON.stringify({ message: 'Resource not found' }), 'application/json');
        return;
      }
      wss.handleUpgrade(req, socket, head, (ws) => {
        ws.on('error', () => ws.terminate());
        if (!externalMedia.connectMediaSocket(ast, media[1] as string, ws)) ws.close(1008);
      });
      return;
    }
    if (path !== '/ari/events') {
      rejectUpgrade(socket, 404, 'Not Found', JSON.stringify({ message: 'Resource not found' }), 'application/json');
      return;
    }
    if (!authorized(req, query)) {
      rejectUpgrade(socket, 401, 'Unauthorized', JSON.stringify({ message: 'Authentication required' }), 'application/json',
        'WWW-Authenticate: Basic realm="Asterisk REST Interface"\r\n');
      return;
    }
    const apps = (query.get('app') ?? '').split(',').map((s) => s.trim()).filter(Boolean);
    if (apps.length === 0) {
      const html = '<!DOCTYPE HTML PUBLIC "-//IETF//DTD HTML 2.0//EN">\r\n<html><head>\r\n<title>400 Bad Request</title>\r\n</head><body>\r\n'
        + '<h1>Bad Request</h1>\r\n<p>HTTP request is missing param: [app]</p>\r\n<hr />\r\n<address>Asterisk/22.10.1</address>\r\n</body></html>\r\n';
      rejectUpgrade(socket, 400, 'Bad Request', html, 'text/html');
      return;
    }
    const subscribeAll = /^(yes|true|y|t|1|on)$/i.test(query.get('subscribeAll') ?? '');
    wss.handleUpgrade(req, socket, head, (ws) => {
      const conn: Conn = { ws, socket, apps, subscribeAll };
      conns.add(conn);
      for (const app of apps) {
        const previous = owners.get(app);
        if (previous && previous !== conn && previous.ws.readyState === WebSocket.OPEN) {
          previous.ws.send(JSON.stringify({ type: 'ApplicationReplaced', timestamp: ariTimestamp(), application: app, asterisk_id: '02:42:ac:11:00:02' }));
        }
        owners.set(app, conn);
      }
      ws.on('close', () => {
        conns.delete(conn);
        for (const app of conn.apps) if (owners.get(app) === conn) owners.delete(app);
      });
      ws.on('error', () => ws.terminate());
      // Asterisk ignores anything a client sends on the events socket.
      ws.on('message', () => undefined);
    });
  });

  let port = options.port ?? 0;
  const listen = () => new Promise<void>((resolve, reject) => {
    const onError = (err: Error) => reject(err);
    server.once('error', onError);
    server.listen(port, host, () => {
      server.off('error', onError);
      const addr = server.address();
      if (addr && typeof addr === 'object') port = addr.port;
      resolve();
    });
  });
  const stopListening = () => new Promise<void>((resolve) => {
    if (!server.listening) {
      resolve();
      return;
    }
    server.close(() => resolve());
  });
  /** Cuts every connection without a WebSocket close frame (the client sees 1006). */
  const cutAll = () => {
    for (const conn of conns) conn.socket.end();
    for (const s of sockets) s.destroy();
    for (const conn of conns) conn.socket.destroy();
  };

  await listen();

  const faults: RunningSimulator['faults'] = {
    dropWebSockets() {
      for (const conn of [...conns]) conn.socket.destroy();
    },
    refuseConnections(ms: number) {
      if (closed || phase === 'down') return;
      phase = 'down';
      cutAll();
      void stopListening();
      if (refuseTimer) clearTimeout(refuseTimer);
      refuseTimer = setTimeout(() => {
        refuseTimer = undefined;
        if (closed) return;
        listen().then(() => {
          phase = 'up';
        }, (err: unknown) => log?.error({ err }, 'simulator could not listen again'));
      }, ms);
    },
    async restart() {
      if (closed || phase !== 'up') return;
      hangups.restartHangups(ast);
      phase = 'resetting';
      // Let the hangup events reach the sockets, then end them without a close frame (1006).
      await new Promise<void>((resolve) => setImmediate(resolve));
      const wsSockets = new Set<unknown>([...conns].map((c) => c.socket));
      for (const conn of [...conns]) conn.socket.end();
      // A reset after end() spins libuv on the half-closed socket: only plain REST sockets are reset.
      for (const s of sockets) if (!wsSockets.has(s)) s.resetAndDestroy();
      await sleep(options.restartDowntimeMs ?? 500);
      for (const conn of [...conns]) conn.socket.destroy();
      conns.clear();
      owners.clear();
      clock.clear();
      hangups.reset(ast);
      if (!closed) phase = 'up';
    },
    async stopGracefully() {
      if (closed || phase !== 'up') return;
      ast.stopping = true;
      await ast.whenIdle();
      const closing = [...conns].map((conn) => new Promise<void>((resolve) => {
        conn.ws.once('close', () => resolve());
        conn.ws.close(1000);
        later(1000, () => {
          conn.socket.destroy();
          resolve();
        });
      }));
      await Promise.all(closing);
      phase = 'down';
      cutAll();
      await stopListening();
    },
    async start() {
      if (closed || phase !== 'down') return;
      if (refuseTimer) clearTimeout(refuseTimer);
      refuseTimer = undefined;
      clock.clear();
      hangups.reset(ast);
      await listen();
      phase = 'up';
    },
    failNext(match: FailRule) {
      failRules.push({ ...match, left: match.count ?? 1 });
    },
    delayNext(match: DelayRule) {
      delayRules.push({ ...match, left: match.count ?? 1 });
    },
    clear() {
      failRules = [];
      delayRules = [];
    },
  };

  log?.info({ port, host }, 'ARI simulator listening');

  return {
    url: `http://${host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host.includes(':') ? `[${host}]` : host}:${port}`,
    get port() {
      return port;
    },
    username,
    password,
    async close() {
      if (closed) return;
      closed = true;
      if (refuseTimer) clearTimeout(refuseTimer);
      for (const t of pendingTimers) clearTimeout(t);
      pendingTimers.clear();
      clock.stop();
      for (const conn of conns) conn.ws.terminate();
      cutAll();
      wss.close();
      await stopListening();
    },
    setCallee: (key, script) => ast.setCallee(key, script),
    deleteCallee: (key) => ast.deleteCallee(key),
    channels: () => ast.channelInfos(),
    originateCount: () => ast.originateCount(),
    requests: () => requestLog.slice(),
    sendDtmf: (id, digits, gapMs) => dialing.farEndDtmf(ast, id, digits, gapMs),
    hangupFromFarEnd: (id) => hangups.farEndHangupById(ast, id),
    faults,
  };
}
