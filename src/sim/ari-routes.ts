// The ARI routes of the simulator: every operation of the table in operations.ts dispatched to its
// resource module, with Asterisk's parameter decoding (path, query, JSON body: the body wins), the
// API declarations under /ari/api-docs, the request log, and the fault rules applied on the way.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from '../log.js';
import { ApiError, Args, type Reply, type SimAsterisk } from './asterisk.js';
import * as applications from './applications.js';
import * as asteriskInfo from './asterisk-info.js';
import * as bridges from './bridges.js';
import * as creating from './channel-create.js';
import * as externalMedia from './external-media.js';
import * as dialing from './channel-dial.js';
import * as channelOps from './channels.js';
import * as endpoints from './endpoints.js';
import * as playbacks from './playbacks.js';
import * as recordings from './recordings.js';
import { ariTimestamp, parseQuery } from './ari-format.js';
import { apiDeclaration, compileRoutes, OPERATIONS, RESOURCES, resourceListing, type OperationSpec, type ResourceName } from './operations.js';
import { modelsFor } from './models.js';
import { parseJsonBody, readBody, send, sendFile } from './http-io.js';
import type { FaultRules } from './faults.js';
import type { SimRequestRecord } from './types.js';

type Handler = (a: Args) => Reply;

/** One handler per declared operation; the table and the behaviour cannot drift (checked here). */
function handlersFor(ast: SimAsterisk): Record<string, Handler> {
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
    'bridges.startMoh': (a) => bridges.startBridgeMoh(ast, a),
    'bridges.stopMoh': (a) => bridges.stopBridgeMoh(ast, a),
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
    'sounds.list': (a) => asteriskInfo.listSounds(ast, a),
    'sounds.get': (a) => asteriskInfo.getSound(ast, a),
    'playbacks.get': (a) => playbacks.getPlayback(ast, a),
    'playbacks.stop': (a) => playbacks.stopPlayback(ast, a),
    'playbacks.control': (a) => playbacks.controlPlayback(ast, a),
    'applications.list': () => applications.listApps(ast),
    'applications.get': (a) => applications.getApp(ast, a),
    'applications.subscribe': (a) => applications.subscribe(ast, a, true),
    'applications.unsubscribe': (a) => applications.subscribe(ast, a, false),
  };
  for (const op of OPERATIONS) {
    if (!op.upgrade && !handlers[`${op.resource}.${op.nickname}`]) throw new Error(`no handler for ${op.resource}.${op.nickname}`);
  }
  for (const key of Object.keys(handlers)) {
    if (!OPERATIONS.some((op) => `${op.resource}.${op.nickname}` === key)) throw new Error(`handler ${key} is not declared`);
  }
  return handlers;
}

export interface AriRoutesDeps {
  ast: SimAsterisk;
  rules: FaultRules;
  authorized(req: IncomingMessage, query: Map<string, string>): boolean;
  /** Where the api-docs say the API lives when the request has no Host header. */
  fallbackHost(): string;
  logRequest(record: SimRequestRecord): void;
  log?: Logger;
}

/** The handler of every request under /ari (the events WebSocket is upgraded elsewhere). */
export function ariRoutes(deps: AriRoutesDeps): (req: IncomingMessage, res: ServerResponse, path: string, rawQuery: string) => Promise<void> {
  const { ast, rules, log } = deps;
  const handlers = handlersFor(ast);
  const routes = compileRoutes();

  async function dispatch(
    res: ServerResponse, op: OperationSpec, values: Map<string, unknown>, query: Map<string, string>, bodyText: string, method: string, path: string,
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

    let reply = await rules.apply(method, path);
    if (!reply) {
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
    deps.logRequest(record);
    const channelId = values.get('channelId');
    if (typeof channelId === 'string') ast.noteRequest(channelId, record);
    else if (op.nickname === 'originate' && reply.status === 200) ast.noteRequest(String((reply.body as { id: string }).id), record);
    if (res.destroyed) return;
    if (reply.file) sendFile(res, reply.status, reply.file);
    else send(res, reply.status, reply.body);
  }

  return async (req, res, path, rawQuery) => {
    const method = (req.method ?? 'GET').toUpperCase();
    const query = parseQuery(rawQuery);
    const bodyText = await readBody(req);
    if (!deps.authorized(req, query)) {
      send(res, 401, { message: 'Authentication required' }, { 'WWW-Authenticate': 'Basic realm="Asterisk REST Interface"' });
      return;
    }
    const basePath = `http://${req.headers.host ?? deps.fallbackHost()}/ari`;
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
    for (const route of routes) {
      const m = route.regex.exec(sub);
      if (!m) continue;
      const op = route.byMethod.get(method);
      if (!op) break;
      const values = new Map<string, unknown>();
      m.slice(1).forEach((v, i) => {
        let decoded = v;
        try {
          decoded = decodeURIComponent(v);
        } catch {
          // Asterisk takes a malformed escape as it is.
        }
        values.set(route.pathParams[i] as string, decoded);
      });
      await dispatch(res, op, values, query, bodyText, method, path);
      return;
    }
    if (routes.some((route) => route.regex.test(sub))) send(res, 405, { message: 'Invalid method' });
    else send(res, 404, { message: 'Resource not found' });
  };
}
