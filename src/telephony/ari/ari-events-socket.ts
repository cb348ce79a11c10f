// ARI's events WebSocket (/ari/events?app=…), opened with `ws` rather than ari-client's start():
// ari-client throws inside the socket's message handler (crashing the process) on a message it
// cannot parse or an event type its API description lacks, gives up reconnecting after 10 quick
// retries, and builds a model object, with every operation attached, per object in every event.
// Here each message is parsed once and translated from the raw JSON; a bad message is dropped and
// counted; the socket is pinged, and reconnected with capped exponential backoff and jitter until
// close(). Opening the socket registers the Stasis application with Asterisk.
import WebSocket from 'ws';
import type { Logger } from '../../log.js';
import { scrub } from '../../log.js';
import type { TelephonyEvent } from '../port.js';
import { CONSUMED_EVENT_TYPES, translateAriEvent } from './ari-events.js';
import { backoffDelay } from './backoff.js';

export interface EventsSocketOptions {
  /** http(s)://host:port of Asterisk. */
  origin: string;
  app: string;
  /** HTTP Basic credentials, sent as a header (never in the URL, where they would reach logs). */
  authorization: string;
  logger: Logger;
  /** Bound of opening the socket. */
  connectTimeoutMs: number;
  reconnect: { initialMs: number; maxMs: number };
  /** Ping period; a missing pong by the next ping drops the socket (0: off). */
  pingIntervalMs: number;
  /**
   * The event types Asterisk declares (its API description), asked before each opening until it
   * answers once: a declared type the engine does not consume is ignored, anything else dropped.
   */
  loadEventTypes(): Promise<ReadonlySet<string>>;
  onEvent(event: TelephonyEvent): void;
  onOpen(): void;
  onLost(reason: string): void;
}

const CONSUMED = new Set<string>(CONSUMED_EVENT_TYPES);

export function errorText(err: unknown): string {
  if (err instanceof Error) return scrub(`${(err as { code?: string }).code ?? err.name}: ${err.message}`);
  return scrub(String(err));
}

export class AriEventsSocket {
  private ws: WebSocket | undefined;
  private knownTypes: ReadonlySet<string> | undefined;
  private open = false;
  private closed = false;
  private attempt = 0;
  private everOpened = false;
  private reconnectTimer: NodeJS.Timeout | undefined;
  private watchdog: NodeJS.Timeout | undefined;
  private pingTimer: NodeJS.Timeout | undefined;
  private awaitingPong = false;
  reconnects = 0;
  droppedMessages = 0;

  constructor(private readonly opts: EventsSocketOptions) {}

  get connected(): boolean {
    return this.open;
  }

  /** True once Asterisk's API description was loaded: Asterisk has answered at least once. */
  get described(): boolean {
    return this.knownTypes !== undefined;
  }

  start(): void {
    void this.connect();
  }

  /** Stops for good. No closing handshake: a peer that never answers it would hold the socket 30 s. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.clearTimers();
    if (this.reconnectTimer) clearTimeout(this.reconnectTimer);
    this.reconnectTimer = undefined;
    const ws = this.ws;
    this.ws = undefined;
    this.open = false;
    ws?.terminate();
  }

  private async connect(): Promise<void> {
    if (this.closed) return;
    try {
      this.knownTypes ??= await this.opts.loadEventTypes();
    } catch (err) {
      this.scheduleReconnect(errorText(err));
      return;
    }
    if (this.closed) return;
    const base = this.opts.origin.replace(/^http/, 'ws');
    const ws = new WebSocket(`${base}/ari/events?app=${encodeURIComponent(this.opts.app)}`, {
      headers: { Authorization: this.opts.authorization },
      handshakeTimeout: this.opts.connectTimeoutMs,
    });
    this.ws = ws;
    let lastError = 'closed';
    ws.on('open', () => this.onOpen(ws));
    ws.on('message', (data) => this.onMessage(data));
    ws.on('pong', () => { this.awaitingPong = false; });
    // Every failure ends in 'close', which decides about reconnecting.
    ws.on('error', (err) => { lastError = errorText(err); });
    ws.on('close', (code) => this.onGone(ws, `WebSocket closed (${code}${lastError !== 'closed' ? `, ${lastError}` : ''})`));
    this.watchdog = setTimeout(() => {
      if (ws === this.ws && !this.open) ws.terminate();
    }, this.opts.connectTimeoutMs);
  }

  private onOpen(ws: WebSocket): void {
    if (this.watchdog) clearTimeout(this.watchdog);
    this.watchdog = undefined;
    if (this.closed || ws !== this.ws) {
      ws.terminate();
      return;
    }
    this.open = true;
    this.attempt = 0;
    if (this.everOpened) this.reconnects += 1;
    this.everOpened = true;
    this.awaitingPong = false;
    if (this.opts.pingIntervalMs > 0) {
      this.pingTimer = setInterval(() => {
        if (ws !== this.ws) return;
        if (this.awaitingPong) {
          ws.terminate();
          return;
        }
        this.awaitingPong = true;
        try {
          ws.ping();
        } catch {
          ws.terminate();
        }
      }, this.opts.pingIntervalMs);
      this.pingTimer.unref();
    }
    this.opts.onOpen();
  }

  private onMessage(data: WebSocket.RawData): void {
    let event: unknown;
    try {
      event = JSON.parse(String(data));
    } catch {
      event = undefined;
    }
    const type = typeof event === 'object' && event !== null ? (event as { type?: unknown }).type : undefined;
    if (typeof type === 'string' && CONSUMED.has(type)) {
      // A throw here would surface inside ws's frame parser: nothing may escape.
      try {
        const translated = translateAriEvent(event);
        if (translated) this.opts.onEvent(translated);
        else this.drop(type, 'malformed event');
      } catch (err) {
        this.opts.logger.error({ err: errorText(err), type }, 'ARI event handling failed');
      }
      return;
    }
    if (type === 'ApplicationReplaced') {
      // Another WebSocket took this application name: its events now go there, not here.
      this.opts.logger.error({ app: this.opts.app }, 'ARI_APP taken over: another client connected with the same Stasis application name; this engine receives no more events for it. Give every engine its own ARI_APP (docs/scaling.md)');
      return;
    }
    // A valid ARI event the engine does not consume: nothing to do.
    if (typeof type !== 'string' || !this.knownTypes?.has(type)) this.drop(type, 'malformed or unknown event type');
  }

  private drop(type: unknown, why: string): void {
    this.droppedMessages += 1;
    this.opts.logger.debug({ type: typeof type === 'string' ? type.slice(0, 64) : undefined }, `ARI message dropped (${why})`);
  }

  private onGone(ws: WebSocket, reason: string): void {
    if (ws !== this.ws) return;
    this.ws = undefined;
    this.clearTimers();
    if (this.closed) return;
    if (this.open) {
      this.open = false;
      this.opts.onLost(reason);
    }
    this.scheduleReconnect(reason);
  }

  private scheduleReconnect(reason: string): void {
    if (this.closed || this.reconnectTimer) return;
    const delay = backoffDelay(this.attempt, this.opts.reconnect);
    this.attempt += 1;
    this.opts.logger.warn({ reason, attempt: this.attempt, delayMs: delay }, 'ARI not connected; retrying');
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = undefined;
      void this.connect();
    }, delay);
  }

  private clearTimers(): void {
    if (this.watchdog) clearTimeout(this.watchdog);
    if (this.pingTimer) clearInterval(this.pingTimer);
    this.watchdog = this.pingTimer = undefined;
  }
}
