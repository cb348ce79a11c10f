// The TelephonyPort over a real Asterisk, through ari-client: the only module that loads it.
//
// What it fixes around ari-client (2.2.0):
// - The events WebSocket: ari-client crashes the process on a message it cannot parse or an event
//   type its API description lacks, and gives up reconnecting after 10 quick retries. The socket
//   ari-client creates is guarded: bad messages are dropped, and close/error are handled here —
//   capped exponential backoff with jitter, forever until close(), re-registering the app.
// - Events: each message is parsed once, in that guard, and translated to a TelephonyEvent from
//   the raw JSON. ari-client's own message handler never runs: it would parse it again and build a
//   model instance, with every operation attached, per object in the event, and the only
//   bookkeeping it does there is for per-instance listeners (channel.on(...)), which this adapter
//   never uses (they pile up per call).
// - REST (the requests themselves: ari-operations.ts): the calls of every call's path (originate, answer, play, stop playback, hangup) go
//   straight through the transport's agent with node:http, built as ari-client builds them;
//   swagger-client/shred cost several times more CPU per request. The others still go through
//   ari-client. Either way errors are Asterisk's JSON body, and a refused connection never settles
//   in ari-client (see ari-transport.ts): every call is bounded and mapped into a typed PortResult.
// - Noise: swagger-client prints "deprecated version of Swagger" through a global `log`; it is
//   routed to this logger at debug level. Credentials (`api_key=user:password` in the WebSocket
//   URL) never reach a log line.
import { createRequire } from 'node:module';
import type { EventEmitter } from 'node:events';
import type { Logger } from '../../log.js';
import { scrub } from '../../log.js';
import type { ConnectionEvent, PortResult, TelephonyEvent, TelephonyPort } from '../port.js';
import { mapAriError } from './ari-errors.js';
import { ariOperations, type AriCalls, type StoredFile } from './ari-operations.js';
import { CONSUMED_EVENT_TYPES, translateAriEvent } from './ari-events.js';
import { AriTransport, type QueryParams } from './ari-transport.js';
import { backoffDelay } from './backoff.js';

export interface AriClientPortOptions {
  url: string;
  username: string;
  password: string;
  app: string;
  logger: Logger;
  /** Bound of one REST call (default 10 s). */
  requestTimeoutMs?: number;
  /** Bound of loading the API description and of opening the WebSocket (default 10 s). */
  connectTimeoutMs?: number;
  /** Reconnect backoff (default 250 ms doubling up to 30 s, with jitter). */
  reconnect?: { initialMs: number; maxMs: number };
  /** WebSocket ping period; a missing pong by the next ping drops the socket (default 20 s, 0: off). */
  pingIntervalMs?: number;
  /** Keep-alive HTTP pool size (default 20). */
  maxSockets?: number;
}

export interface AriClientPortStats {
  /** Listeners registered on the ari-client instance (constant: events never go through ari-client). */
  clientListeners: number;
  /** ari-client's per-instance listener table size (stays 0: never used). */
  instanceListeners: number;
  socketsInUse: number;
  reconnects: number;
  droppedMessages: number;
}

export type AriClientPort = TelephonyPort & { stats(): AriClientPortStats };

// ---- the untyped boundary: ari-client and swagger-client, narrowed to what is used ----

interface WsLike {
  readyState: number;
  emit(event: string | symbol, ...args: unknown[]): boolean;
  close(code?: number): void;
  terminate(): void;
  ping(): void;
}

interface AriClient extends EventEmitter, AriCalls {
  _swagger?: { apis?: { events?: { models?: Record<string, unknown> } } };
  _instanceListeners?: Record<string, unknown[]>;
  start(app: string): PromiseLike<unknown> & { catch?(fn: (err: unknown) => void): unknown };
}

interface AriModule {
  connect(url: string, user: string, pass: string): PromiseLike<unknown>;
}

interface SwaggerModule {
  authorizations: { add(name: string, auth: unknown): unknown; remove(name: string): unknown };
}

const requireHere = createRequire(import.meta.url);
const ariModule = requireHere('ari-client') as AriModule;
// The very swagger-client instance ari-client uses (its authorizations registry is module-global).
const swaggerModule = createRequire(requireHere.resolve('ari-client'))('swagger-client') as SwaggerModule;

/** Where swagger-client's global `log` goes: the logger of the adapter that connected last. */
let swaggerLogSink: Logger | undefined;
(globalThis as Record<string, unknown>).log = (...args: unknown[]): void => {
  swaggerLogSink?.debug({ swagger: scrub(args.map(String).join(' ')) }, 'swagger-client message');
};

const CONSUMED = new Set<string>(CONSUMED_EVENT_TYPES);

/** ari-client's name for its one global basic authorization (see ari-client/lib/client.js). */
const ARI_CLIENT_GLOBAL_AUTH = 'basic-auth';

function isAriClient(value: unknown): value is AriClient {
  return typeof value === 'object' && value !== null && 'channels' in value && 'start' in value && 'on' in value;
}

function errorText(err: unknown): string {
  if (err instanceof Error) return scrub(`${(err as { code?: string }).code ?? err.name}: ${err.message}`);
  return scrub(String(err));
}

export function createAriClientPort(opts: AriClientPortOptions): AriClientPort {
  const logger = opts.logger;
  const origin = new URL(opts.url).origin;
  const requestTimeoutMs = opts.requestTimeoutMs ?? 10_000;
  const connectTimeoutMs = opts.connectTimeoutMs ?? 10_000;
  const reconnect = opts.reconnect ?? { initialMs: 250, maxMs: 30_000 };
  const pingIntervalMs = opts.pingIntervalMs ?? 20_000;
  const transport = new AriTransport({
    origin, username: opts.username, password: opts.password, requestTimeoutMs, maxSockets: opts.maxSockets ?? 20,
  });
  const authName = `ari-flow-engine ${origin} ${opts.app}`;

  const eventListeners: Array<(event: TelephonyEvent) => void> = [];
  const connectionListeners: Array<(event: ConnectionEvent) => void> = [];

  let client: AriClient | undefined;
  let liveWs: WsLike | undefined;
  let connected = false;
  let closed = false;
  let attempt = 0;
  let reconnects = 0;
  let droppedMessages = 0;
  let everConnected = false;
  let reconnectTimer: NodeJS.Timeout | undefined;
  let watchdog: NodeJS.Timeout | undefined;
  let pingTimer: NodeJS.Timeout | undefined;
  let awaitingPong = false;
  let started: Promise<void> | undefined;
  let resolveStarted: () => void = () => undefined;
  let rejectStarted: (err: Error) => void = () => undefined;

  const registerAuthorization = (): void => {
    // Removing then adding puts ours after ari-client's global basic-auth, so ours decides.
    swaggerModule.authorizations.remove(authName);
    swaggerModule.authorizations.add(authName, transport.authorization());
  };

  const notifyConnection = (event: ConnectionEvent): void => {
    for (const listener of connectionListeners) {
      try {
        listener(event);
      } catch (err) {
        logger.error({ err: errorText(err) }, 'connection listener failed');
      }
    }
  };

  /** False when the event is not what ARI documents (then nothing is delivered). */
  const deliver = (raw: unknown): boolean => {
    const event = translateAriEvent(raw);
    if (!event) return false;
    for (const listener of eventListeners) {
      try {
        listener(event);
      } catch (err) {
        logger.error({ err: errorText(err), event: event.type }, 'event listener failed');
      }
    }
    return true;
  };

  const dropMessage = (type: unknown, why: string): void => {
    droppedMessages += 1;
    logger.debug({ type: typeof type === 'string' ? type.slice(0, 64) : undefined }, `ARI message dropped (${why})`);
  };

  const clearTimers = (): void => {
    if (reconnectTimer) clearTimeout(reconnectTimer);
    if (watchdog) clearTimeout(watchdog);
    if (pingTimer) clearInterval(pingTimer);
    reconnectTimer = watchdog = pingTimer = undefined;
  };

  const scheduleReconnect = (reason: string): void => {
    if (closed || reconnectTimer) return;
    const delay = backoffDelay(attempt, reconnect);
    attempt += 1;
    logger.warn({ reason, attempt, delayMs: delay }, 'ARI not connected; retrying');
    reconnectTimer = setTimeout(() => {
      reconnectTimer = undefined;
      void connectOnce();
    }, delay);
  };

  const onSocketGone = (ws: WsLike, reason: string): void => {
    if (ws !== liveWs) return;
    liveWs = undefined;
    if (watchdog) clearTimeout(watchdog);
    if (pingTimer) clearInterval(pingTimer);
    watchdog = pingTimer = undefined;
    if (closed) return;
    if (connected) {
      connected = false;
      logger.warn({ reason }, 'ARI events WebSocket lost');
      notifyConnection({ type: 'disconnected', reason });
    }
    scheduleReconnect(reason);
  };

  const onSocketOpen = (ws: WsLike): void => {
    if (watchdog) clearTimeout(watchdog);
    watchdog = undefined;
    if (closed) {
      ws.close();
      return;
    }
    connected = true;
    attempt = 0;
    if (everConnected) reconnects += 1;
    everConnected = true;
    logger.info({ app: opts.app, url: origin }, 'ARI events WebSocket connected; Stasis application registered');
    awaitingPong = false;
    if (pingIntervalMs > 0) {
      pingTimer = setInterval(() => {
        if (ws !== liveWs) return;
        if (awaitingPong) {
          ws.terminate();
          return;
        }
        awaitingPong = true;
        try {
          ws.ping();
        } catch {
          ws.terminate();
        }
      }, pingIntervalMs);
      pingTimer.unref();
    }
    resolveStarted();
    notifyConnection({ type: 'connected' });
  };

  /** Wraps the WebSocket ari-client just created, before ari-client attaches its handlers. */
  const guardSocket = (c: AriClient, ws: WsLike): void => {
    liveWs = ws;
    const emit = ws.emit.bind(ws);
    let lastError = 'closed';
    ws.emit = (event: string | symbol, ...args: unknown[]): boolean => {
      switch (event) {
        case 'open':
          onSocketOpen(ws);
          return emit(event, ...args);
        case 'message': {
          // Handled here, and never by ari-client (see the header of this file).
          let event: unknown;
          try {
            event = JSON.parse(String(args[0]));
          } catch {
            event = undefined;
          }
          const type = typeof event === 'object' && event !== null ? (event as { type?: unknown }).type : undefined;
          if (typeof type === 'string' && CONSUMED.has(type)) {
            // A throw here would surface inside ws's frame parser: nothing may escape.
            try {
              if (!deliver(event)) dropMessage(type, 'malformed event');
            } catch (err) {
              logger.error({ err: errorText(err), type }, 'ARI event handling failed');
            }
            return true;
          }
          const models = c._swagger?.apis?.events?.models;
          if (typeof type !== 'string' || !models || !Object.prototype.hasOwnProperty.call(models, type)) {
            dropMessage(type, 'malformed or unknown event type');
          }
          // A valid ARI event the engine does not consume: nothing to do.
          return true;
        }
        case 'error':
          // Swallowed here: ari-client would start its own, bounded, reconnect loop.
          lastError = errorText(args[0]);
          return true;
        case 'close':
          onSocketGone(ws, typeof args[0] === 'number' ? `WebSocket closed (${args[0]}${lastError !== 'closed' ? `, ${lastError}` : ''})` : lastError);
          return true;
        case 'pong':
          awaitingPong = false;
          return emit(event, ...args);
        default:
          return emit(event, ...args);
      }
    };
    watchdog = setTimeout(() => {
      if (ws === liveWs && !connected) ws.terminate();
    }, connectTimeoutMs);
  };

  const adoptClient = (c: AriClient): void => {
    let socket: WsLike | undefined;
    Object.defineProperty(c, '_ws', {
      configurable: true,
      get: () => socket,
      set: (ws: WsLike) => {
        socket = ws;
        guardSocket(c, ws);
      },
    });
    client = c;
  };

  const withTimeout = <T>(promise: PromiseLike<T>, ms: number, what: string): Promise<T> =>
    new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => reject(Object.assign(new Error(`${what} timed out`), { code: 'ERR_ARI_TIMEOUT' })), ms);
      promise.then(
        (v) => { clearTimeout(timer); resolve(v); },
        (e: unknown) => { clearTimeout(timer); reject(e instanceof Error ? e : new Error(String(e))); },
      );
    });

  const connectOnce = async (): Promise<void> => {
    if (closed) return;
    try {
      if (!client) {
        registerAuthorization();
        swaggerLogSink = logger;
        const loaded = await withTimeout(ariModule.connect(opts.url, opts.username, opts.password), connectTimeoutMs, 'loading the ARI description');
        if (!isAriClient(loaded)) throw new Error('ari-client returned no client');
        // Ours sets the header for this origin already; ari-client's would only redo it, through
        // a deprecated Buffer() call, on every request.
        swaggerModule.authorizations.remove(ARI_CLIENT_GLOBAL_AUTH);
        registerAuthorization();
        transport.closeIdleGlobalSockets();
        if (closed) return;
        adoptClient(loaded);
      }
      const c = client;
      if (!c) return;
      // Opens the events WebSocket (which registers the Stasis app); guardSocket takes it over.
      const opening = c.start(opts.app);
      Promise.resolve(opening).catch(() => undefined);
    } catch (err) {
      scheduleReconnect(errorText(err));
    }
  };

  const rest = async <T>(what: string, invoke: (c: AriClient) => PromiseLike<unknown>, map: (value: unknown) => T): Promise<PortResult<T>> => {
    const c = client;
    if (!c || closed) return { ok: false, kind: 'unavailable', message: 'ARI not connected' };
    let tracked: ReturnType<AriTransport['run']> | undefined;
    try {
      tracked = transport.run(() => Promise.resolve(invoke(c)));
      const value = await Promise.race([tracked.result as Promise<unknown>, tracked.call.failure]);
      return { ok: true, value: map(value) };
    } catch (err) {
      const failure = mapAriError(err);
      if (failure.kind !== 'not-found') logger.debug({ op: what, kind: failure.kind, message: scrub(failure.message) }, 'ARI request failed');
      return failure;
    } finally {
      tracked?.call.dispose();
    }
  };
  /** A hot-path call sent by the transport itself; the same PortResult as through ari-client. */
  const direct = async (
    what: string, method: 'POST' | 'DELETE', path: string, query: QueryParams = [], body?: unknown,
  ): Promise<PortResult> => {
    if (!client || closed) return { ok: false, kind: 'unavailable', message: 'ARI not connected' };
    let failure: PortResult;
    try {
      const res = await transport.request(method, path, query, body);
      if (res.status < 400) return { ok: true, value: undefined };
      // ari-client rejects with Asterisk's body as the message: mapped the same way.
      failure = mapAriError(new Error(res.body), res.status);
    } catch (err) {
      failure = mapAriError(err);
    }
    if (!failure.ok && failure.kind !== 'not-found') logger.debug({ op: what, kind: failure.kind, message: scrub(failure.message) }, 'ARI request failed');
    return failure;
  };

  /** A file, read whole (up to maxBytes) by the transport. */
  const download = async (path: string, maxBytes: number): Promise<PortResult<StoredFile>> => {
    if (!client || closed) return { ok: false, kind: 'unavailable', message: 'ARI not connected' };
    try {
      const res = await transport.request('GET', path, [], undefined, { maxBytes });
      if (res.status < 400 && res.data) return { ok: true, value: { data: res.data, contentType: res.contentType ?? 'application/octet-stream' } };
      return mapAriError(new Error(res.body), res.status);
    } catch (err) {
      return mapAriError(err);
    }
  };

  const port: AriClientPort = {
    start(): Promise<void> {
      if (closed) return Promise.reject(new Error('ARI port closed'));
      started ??= new Promise<void>((resolve, reject) => {
        resolveStarted = resolve;
        rejectStarted = reject;
        void connectOnce();
      });
      return started;
    },

    async close(): Promise<void> {
      if (closed) return;
      closed = true;
      clearTimers();
      rejectStarted(new Error('ARI port closed before it connected'));
      const ws = liveWs;
      liveWs = undefined;
      if (connected) {
        connected = false;
        notifyConnection({ type: 'disconnected', reason: 'closed' });
      }
      // No closing handshake: a peer that never answers it would hold the socket for 30 s.
      ws?.terminate();
      client?.removeAllListeners();
      swaggerModule.authorizations.remove(authName);
      transport.destroy();
    },

    isConnected: () => connected,

    onEvent(listener) {
      eventListeners.push(listener);
    },
    onConnection(listener) {
      connectionListeners.push(listener);
    },

    ...ariOperations({ app: opts.app, rest, direct, download }),

    stats() {
      const c = client;
      const listeners = c ? c.eventNames().reduce((n, name) => n + c.listenerCount(name), 0) : 0;
      const instance = c?._instanceListeners ?? {};
      return {
        clientListeners: listeners,
        instanceListeners: Object.values(instance).reduce((n, list) => n + list.length, 0),
        socketsInUse: transport.socketsInUse(),
        reconnects,
        droppedMessages,
      };
    },
  };
  return port;
}
