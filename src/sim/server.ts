// The simulator's HTTP + WebSocket server, composed of its parts: the ARI routes (ari-routes.ts),
// the /sim control API (control-api.ts), the faults (faults.ts) and the WebSockets
// (events-socket.ts) over one simulated Asterisk. Binds 127.0.0.1 by default: the control API
// has no authentication.
import { createServer, type Server } from 'node:http';
import type { Socket } from 'node:net';
import { Clock } from './clock.js';
import { ApiError, SimAsterisk } from './asterisk.js';
import { DEFAULT_AST_CACHE_DIR } from './http-media.js';
import * as dialing from './channel-dial.js';
import * as hangups from './channel-hangup.js';
import * as creating from './channel-create.js';
import * as channelOps from './channels.js';
import * as localStasis from './local-stasis.js';
import * as playbacks from './playbacks.js';
import * as recordings from './recordings.js';
import * as bridges from './bridges.js';
import { registerLifecycle } from './lifecycle.js';
import * as externalMedia from './external-media.js';
import { mixerOf } from './media-audio.js';
import { ariRoutes } from './ari-routes.js';
import { controlApi, validateScript } from './control-api.js';
import { EventSockets } from './events-socket.js';
import { createFaults, FaultRules } from './faults.js';
import type { ServerState } from './server-state.js';
import { authorizer, send, splitUrl } from './http-io.js';
import type { RunningSimulator, SimRequestRecord, SimulatorOptions } from './types.js';

// Every resource module's part of the lifecycle, registered once; a missing one does not compile.
registerLifecycle({
  ...dialing.lifecycle, ...creating.lifecycle, ...hangups.lifecycle, ...channelOps.lifecycle,
  ...localStasis.lifecycle, ...playbacks.lifecycle, ...recordings.lifecycle, ...bridges.lifecycle,
  ...externalMedia.lifecycle,
});

export { validateScript };

const DEFAULT_KNOWN = ['PJSIP/phone1', 'PJSIP/phone2', 'PJSIP/phone3', 'PJSIP/phone4', 'PJSIP/*@trunk', 'Local/*'];

export async function startServer(options: SimulatorOptions = {}): Promise<RunningSimulator> {
  const host = options.host ?? '127.0.0.1';
  const username = options.username ?? 'asterisk';
  const password = options.password ?? 'asterisk';
  const scale = options.timeScale ?? 1;
  if (!(scale > 0)) throw new Error('timeScale must be > 0');
  const log = options.logger;
  const logSize = options.requestLogSize ?? 1000;

  const sockets = new Set<Socket>();
  const requestLog: SimRequestRecord[] = [];
  const pendingTimers = new Set<NodeJS.Timeout>();
  const state: ServerState = {
    phase: 'up',
    closed: false,
    later(ms, fn) {
      const t = setTimeout(() => {
        pendingTimers.delete(t);
        fn();
      }, ms);
      pendingTimers.add(t);
    },
    sleep: (ms) => new Promise<void>((resolve) => state.later(ms, resolve)),
  };
  const authorized = authorizer(username, password);
  const clock = new Clock(scale, (err) => log?.error({ err }, 'simulator task failed'));

  const events: EventSockets = new EventSockets(state, authorized, {
    has: (id): boolean => ast.mediaSockets.has(id),
    connect: (id, ws): boolean => externalMedia.connectMediaSocket(ast, id, ws),
  });
  events.inUse = (app) => [...ast.channels.values()].some((c) => c.apps.has(app)) || [...ast.bridges.values()].some((b) => b.apps.has(app));
  const ast: SimAsterisk = new SimAsterisk({
    scripts: options.scripts ?? {},
    defaultScript: options.defaultScript ?? { result: 'answer', answerAfterMs: 1000 },
    soundDurationsMs: options.soundDurationsMs ?? {},
    defaultSoundMs: options.defaultSoundMs ?? 2000,
    missingSounds: options.missingSounds ?? ['does-not-exist'],
    knownEndpoints: options.knownEndpoints ?? DEFAULT_KNOWN,
    offlineEndpoints: options.offlineEndpoints ?? [],
    astCacheDir: options.astCacheDir ?? DEFAULT_AST_CACHE_DIR,
    ...(options.mediaProbe ? { mediaProbe: options.mediaProbe } : {}),
  }, clock, events.sink);
  const rules = new FaultRules(state);

  let port = options.port ?? 0;
  const server: Server = createServer((req, res) => {
    if (state.phase === 'resetting') {
      req.socket.resetAndDestroy();
      return;
    }
    const { path, rawQuery } = splitUrl(req.url);
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
    if (state.phase === 'resetting') {
      socket.resetAndDestroy();
      return;
    }
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  server.on('clientError', (_err, socket) => socket.destroy());
  server.on('upgrade', (req, socket, head: Buffer) => events.upgrade(req, socket, head));

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
  const cutAll = () => {
    events.endAll();
    for (const s of sockets) s.destroy();
    events.destroyAll();
  };

  const faults = createFaults({
    state, ast, clock, rules, events, sockets, listen, stopListening, cutAll,
    restartDowntimeMs: options.restartDowntimeMs ?? 500, ...(log ? { log } : {}),
  });
  const handleAri = ariRoutes({
    ast, rules, authorized, fallbackHost: () => `${host}:${port}`, ...(log ? { log } : {}),
    logRequest(record) {
      requestLog.push(record);
      if (requestLog.length > logSize) requestLog.splice(0, requestLog.length - logSize);
    },
  });
  const handleSim = controlApi({ ast, state, events, faults, requests: () => requestLog });

  await listen();
  log?.info({ port, host }, 'ARI simulator listening');

  return {
    url: `http://${host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host.includes(':') ? `[${host}]` : host}:${port}`,
    get port() {
      return port;
    },
    username,
    password,
    async close() {
      if (state.closed) return;
      state.closed = true;
      faults.cancel();
      for (const t of pendingTimers) clearTimeout(t);
      pendingTimers.clear();
      clock.stop();
      events.terminateAll();
      cutAll();
      events.close();
      await stopListening();
    },
    setCallee: (key, script) => ast.setCallee(key, script),
    deleteCallee: (key) => ast.deleteCallee(key),
    channels: () => ast.channelInfos(),
    originateCount: () => ast.originateCount(),
    requests: () => requestLog.slice(),
    sendDtmf: (id, digits, gapMs) => dialing.farEndDtmf(ast, id, digits, gapMs),
    hangupFromFarEnd: (id) => hangups.farEndHangupById(ast, id),
    heardAudio: (id) => mixerOf(ast).heardAudio(id),
    faults,
  };
}
