// The TelephonyPort over a real Asterisk: its requests (ari-operations.ts), sent over a bounded
// keep-alive pool (ari-transport.ts), and its events WebSocket (ari-events-socket.ts).
//
// ari-client 2.2.0 is not used: no part of what it offers does the job through its public API.
// - connect() loads the API description through swagger-client 2.0.26, which prints a deprecation
//   line to stdout (through a global `log`) on every connect and registers one process-wide Basic
//   credential; the event types the adapter needs from that description are not public either. The
//   adapter reads the one document it needs, /ari/api-docs/events.json, itself.
// - Resource operations (client.channels.list() …) go through swagger-client's "shred" HTTP
//   client: no deadline, no settling on a refused or reset connection, Node's unbounded global
//   agent (see ari-transport.ts).
// - start() and its events: see ari-events-socket.ts (a process crash on one bad message).
// Each had been patched around (a defineProperty on the client's `_ws`, a replaced `ws.emit`, a
// global `log`, a hook in http.Agent's addRequest); the parts now stand on `ws` and node:http
// alone. test/support/sim-client.ts keeps the real ari-client as the simulator's reference
// client, so the simulator still answers ari-client as Asterisk does.
// Every request is bounded and its failure mapped into a typed PortResult; credentials never reach
// a log line (they travel in a header, never in a URL).
import type { Logger } from '../../log.js';
import { scrub } from '../../log.js';
import type { ConnectionEvent, PortResult, TelephonyEvent, TelephonyPort } from '../port.js';
import { mapAriError } from './ari-errors.js';
import { ariOperations, type StoredFile } from './ari-operations.js';
import { AriEventsSocket, errorText } from './ari-events-socket.js';
import { AriTransport, type QueryParams } from './ari-transport.js';

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
  /** Event and connection listeners registered on the port (constant: one per consumer, none per call). */
  listeners: number;
  socketsInUse: number;
  reconnects: number;
  droppedMessages: number;
}

export type AriClientPort = TelephonyPort & { stats(): AriClientPortStats };

/** Asterisk 22's events.json is about 60 KiB; this bounds a hostile or broken answer. */
const MAX_DESCRIPTION_BYTES = 4 * 1024 * 1024;
/** A list of channels or bridges: about 1 KiB per channel. */
const MAX_LIST_BYTES = 64 * 1024 * 1024;

export function createAriClientPort(opts: AriClientPortOptions): AriClientPort {
  const logger = opts.logger;
  const origin = new URL(opts.url).origin;
  const connectTimeoutMs = opts.connectTimeoutMs ?? 10_000;
  const transport = new AriTransport({
    origin, username: opts.username, password: opts.password, requestTimeoutMs: opts.requestTimeoutMs ?? 10_000, maxSockets: opts.maxSockets ?? 20,
  });

  const eventListeners: Array<(event: TelephonyEvent) => void> = [];
  const connectionListeners: Array<(event: ConnectionEvent) => void> = [];
  let closed = false;
  let started: Promise<void> | undefined;
  let resolveStarted: () => void = () => undefined;
  let rejectStarted: (err: Error) => void = () => undefined;

  const notifyConnection = (event: ConnectionEvent): void => {
    for (const listener of connectionListeners) {
      try {
        listener(event);
      } catch (err) {
        logger.error({ err: errorText(err) }, 'connection listener failed');
      }
    }
  };

  const loadEventTypes = async (): Promise<ReadonlySet<string>> => {
    const res = await transport.request('GET', '/api-docs/events.json', [], undefined, { read: { maxBytes: MAX_DESCRIPTION_BYTES }, timeoutMs: connectTimeoutMs });
    if (res.status >= 400 || !res.data) throw new Error(`loading the ARI description: HTTP ${res.status}`);
    const models: unknown = (JSON.parse(res.data.toString('utf8')) as { models?: unknown }).models;
    if (typeof models !== 'object' || models === null) throw new Error('the ARI description declares no event models');
    return new Set(Object.keys(models));
  };

  const events = new AriEventsSocket({
    origin,
    app: opts.app,
    authorization: transport.authorization,
    logger,
    connectTimeoutMs,
    reconnect: opts.reconnect ?? { initialMs: 250, maxMs: 30_000 },
    pingIntervalMs: opts.pingIntervalMs ?? 20_000,
    loadEventTypes,
    onEvent(event) {
      for (const listener of eventListeners) {
        try {
          listener(event);
        } catch (err) {
          logger.error({ err: errorText(err), event: event.type }, 'event listener failed');
        }
      }
    },
    onOpen() {
      logger.info({ app: opts.app, url: origin }, 'ARI events WebSocket connected; Stasis application registered');
      resolveStarted();
      notifyConnection({ type: 'connected' });
    },
    onLost(reason) {
      logger.warn({ reason }, 'ARI events WebSocket lost');
      notifyConnection({ type: 'disconnected', reason });
    },
  });

  const unavailable = (): PortResult<never> | undefined =>
    (closed || !events.described ? { ok: false, kind: 'unavailable', message: 'ARI not connected' } : undefined);

  const logFailure = (what: string, failure: PortResult): void => {
    if (!failure.ok && failure.kind !== 'not-found') logger.debug({ op: what, kind: failure.kind, message: scrub(failure.message) }, 'ARI request failed');
  };

  /** A request whose answer carries nothing the port returns. */
  const send = async (what: string, method: 'POST' | 'DELETE', path: string, query: QueryParams = [], body?: unknown): Promise<PortResult> => {
    const refused = unavailable();
    if (refused) return refused;
    let failure: PortResult;
    try {
      const res = await transport.request(method, path, query, body);
      if (res.status < 400) return { ok: true, value: undefined };
      // Asterisk's body is the message, as ari-client would reject with it.
      failure = mapAriError(new Error(res.body), res.status);
    } catch (err) {
      failure = mapAriError(err);
    }
    logFailure(what, failure);
    return failure;
  };

  /** A GET whose JSON answer `map` turns into the port's value. */
  const read = async <T>(what: string, path: string, map: (value: unknown) => T, query: QueryParams = []): Promise<PortResult<T>> => {
    const refused = unavailable();
    if (refused) return refused;
    let failure: PortResult<T>;
    try {
      const res = await transport.request('GET', path, query, undefined, { read: { maxBytes: MAX_LIST_BYTES } });
      if (res.status < 400 && res.data) return { ok: true, value: map(JSON.parse(res.data.toString('utf8'))) };
      failure = mapAriError(new Error(res.body), res.status);
    } catch (err) {
      failure = mapAriError(err);
    }
    logFailure(what, failure);
    return failure;
  };

  /** A file, read whole (up to maxBytes). */
  const download = async (path: string, maxBytes: number): Promise<PortResult<StoredFile>> => {
    const refused = unavailable();
    if (refused) return refused;
    try {
      const res = await transport.request('GET', path, [], undefined, { read: { maxBytes } });
      if (res.status < 400 && res.data) return { ok: true, value: { data: res.data, contentType: res.contentType ?? 'application/octet-stream' } };
      return mapAriError(new Error(res.body), res.status);
    } catch (err) {
      return mapAriError(err);
    }
  };

  return {
    start(): Promise<void> {
      if (closed) return Promise.reject(new Error('ARI port closed'));
      started ??= new Promise<void>((resolve, reject) => {
        resolveStarted = resolve;
        rejectStarted = reject;
        events.start();
      });
      return started;
    },

    async close(): Promise<void> {
      if (closed) return;
      closed = true;
      rejectStarted(new Error('ARI port closed before it connected'));
      const wasConnected = events.connected;
      events.close();
      if (wasConnected) notifyConnection({ type: 'disconnected', reason: 'closed' });
      transport.destroy();
    },

    isConnected: () => events.connected,

    onEvent(listener) {
      eventListeners.push(listener);
    },
    onConnection(listener) {
      connectionListeners.push(listener);
    },

    ...ariOperations({ app: opts.app, send, read, download }),

    stats: () => ({
      listeners: eventListeners.length + connectionListeners.length,
      socketsInUse: transport.socketsInUse(),
      reconnects: events.reconnects,
      droppedMessages: events.droppedMessages,
    }),
  };
}
