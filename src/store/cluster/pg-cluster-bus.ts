// The cluster bus over PostgreSQL LISTEN/NOTIFY (cluster/cluster-bus.ts), on its own two
// connections from DATABASE_URL: one that listens (this engine's channel and the events channel)
// and one that sends, in order (events of a session must arrive in commit order; NOTIFYs of one
// connection are delivered in the order they committed). Each engine listens on a channel named
// by a hash of its owner id. Event references are batched per tick, each NOTIFY below the 8000
// bytes PostgreSQL allows. A lost listening connection is re-established with backoff, and the
// engine told of the gap (its live streams close; clients resume with Last-Event-ID). A silent
// network cut is found by a ping on the listening connection.
import { createHash, randomUUID } from 'node:crypto';
import pg from 'pg';
import type { Logger } from '../../log.js';
import type { ControlReply, ControlRequest } from '../../services/remote-control.js';
import type { ClusterBus, ClusterHandlers, EventRef } from '../../cluster/cluster-bus.js';

const EVENTS_CHANNEL = 'engine_cluster_events';
/** Below PostgreSQL's 8000-byte payload limit, with room for the envelope. */
const PAYLOAD_MAX = 7000;
const PING_MS = 5_000;
const STATEMENT_TIMEOUT_MS = 5_000;
const RECONNECT_MAX_MS = 2_000;

export function channelOf(ownerId: string): string {
  return `engine_${createHash('sha256').update(ownerId).digest('hex').slice(0, 40)}`;
}

type Message =
  | { t: 'q'; id: string; from: string; q: ControlRequest }
  | { t: 'a'; id: string; a: ControlReply }
  | { t: 'e'; from: string; e: Array<[string, string, number]> };

export interface PgClusterBusOptions {
  url: string;
  logger: Logger;
}

export class PgClusterBus implements ClusterBus {
  readonly shared = true;
  private channel = '';
  private handlers: ClusterHandlers | undefined;
  private listener: pg.Client | undefined;
  private sender: pg.Client | undefined;
  private sending: Promise<void> = Promise.resolve();
  private readonly waiting = new Map<string, (reply: ControlReply) => void>();
  private refs: EventRef[] = [];
  private flushScheduled = false;
  private stopped = false;
  private failures = 0;
  private ping: NodeJS.Timeout | undefined;
  private reconnect: NodeJS.Timeout | undefined;

  constructor(private readonly o: PgClusterBusOptions) {}

  async start(selfId: string, handlers: ClusterHandlers): Promise<void> {
    this.channel = channelOf(selfId);
    this.handlers = handlers;
    await this.listen();
    this.ping = setInterval(() => void this.checkListener(), PING_MS);
    this.ping.unref();
  }

  /** Connects the listening client; on failure, schedules another try. */
  private async listen(): Promise<void> {
    const client = new pg.Client({ connectionString: this.o.url, keepAlive: true, connectionTimeoutMillis: STATEMENT_TIMEOUT_MS, query_timeout: STATEMENT_TIMEOUT_MS });
    client.on('error', (err) => this.lost(client, err));
    client.on('end', () => this.lost(client, undefined));
    client.on('notification', (n) => {
      if (n.payload !== undefined) this.receive(n.payload);
    });
    try {
      await client.connect();
      await client.query(`LISTEN ${this.channel}; LISTEN ${EVENTS_CHANNEL}`);
    } catch (err) {
      client.removeAllListeners('end');
      void client.end().catch(() => undefined);
      this.retry(err);
      return;
    }
    if (this.stopped) {
      void client.end().catch(() => undefined);
      return;
    }
    const hadFailed = this.failures > 0;
    this.failures = 0;
    this.listener = client;
    if (hadFailed) {
      this.o.logger.info('cluster bus listening again');
      this.handlers?.gap();
    }
  }

  private lost(client: pg.Client, err: unknown): void {
    if (this.listener !== client) return;
    this.listener = undefined;
    client.removeAllListeners('end');
    void client.end().catch(() => undefined);
    this.retry(err);
  }

  private retry(err: unknown): void {
    if (this.stopped || this.reconnect) return;
    this.failures += 1;
    if (this.failures === 1) this.o.logger.warn({ err }, 'cluster bus connection lost: reconnecting');
    const delay = Math.min(RECONNECT_MAX_MS, 100 * 2 ** Math.min(this.failures, 5));
    this.reconnect = setTimeout(() => {
      this.reconnect = undefined;
      void this.listen();
    }, delay);
    this.reconnect.unref();
  }

  private async checkListener(): Promise<void> {
    const client = this.listener;
    if (!client) return;
    try {
      await client.query('SELECT 1');
    } catch (err) {
      this.lost(client, err);
    }
  }

  private receive(payload: string): void {
    let m: Message;
    try {
      m = JSON.parse(payload) as Message;
    } catch {
      return;
    }
    const handlers = this.handlers;
    if (!handlers) return;
    if (m.t === 'a') {
      this.waiting.get(m.id)?.(m.a);
    } else if (m.t === 'q') {
      void handlers.control(m.q).then((a) => this.send(m.from, { t: 'a', id: m.id, a }));
    } else if (m.t === 'e' && m.from !== this.channel) {
      handlers.events(m.e.map(([accountId, sessionId, seq]) => ({ accountId, sessionId, seq })));
    }
  }

  request(ownerId: string, request: ControlRequest, timeoutMs: number): Promise<ControlReply | undefined> {
    const id = randomUUID();
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.waiting.delete(id);
        resolve(undefined);
      }, timeoutMs);
      this.waiting.set(id, (reply) => {
        clearTimeout(timer);
        this.waiting.delete(id);
        resolve(reply);
      });
      this.send(channelOf(ownerId), { t: 'q', id, from: this.channel, q: request });
    });
  }

  announce(ref: EventRef): void {
    this.refs.push(ref);
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    setImmediate(() => {
      this.flushScheduled = false;
      const refs = this.refs;
      this.refs = [];
      let batch: Array<[string, string, number]> = [];
      let size = 0;
      for (const r of refs) {
        const entry: [string, string, number] = [r.accountId, r.sessionId, r.seq];
        const bytes = Buffer.byteLength(JSON.stringify(entry)) + 1;
        if (size + bytes > PAYLOAD_MAX && batch.length > 0) {
          this.send(EVENTS_CHANNEL, { t: 'e', from: this.channel, e: batch });
          batch = [];
          size = 0;
        }
        batch.push(entry);
        size += bytes;
      }
      if (batch.length > 0) this.send(EVENTS_CHANNEL, { t: 'e', from: this.channel, e: batch });
    });
  }

  /** NOTIFYs go out one after the other on the sending connection. */
  private send(channel: string, message: Message): void {
    const payload = JSON.stringify(message);
    if (Buffer.byteLength(payload) > PAYLOAD_MAX + 500) {
      this.o.logger.error({ bytes: Buffer.byteLength(payload), t: message.t }, 'cluster message too large: not sent');
      return;
    }
    this.sending = this.sending.then(async () => {
      if (this.stopped) return;
      try {
        const client = this.sender ?? (await this.connectSender());
        await client.query('SELECT pg_notify($1, $2)', [channel, payload]);
      } catch (err) {
        const broken = this.sender;
        this.sender = undefined;
        void broken?.end().catch(() => undefined);
        this.o.logger.warn({ err, t: message.t }, 'cluster message not sent');
      }
    });
  }

  private async connectSender(): Promise<pg.Client> {
    const client = new pg.Client({ connectionString: this.o.url, keepAlive: true, connectionTimeoutMillis: STATEMENT_TIMEOUT_MS, query_timeout: STATEMENT_TIMEOUT_MS });
    client.on('error', () => {
      if (this.sender === client) this.sender = undefined;
    });
    await client.connect();
    this.sender = client;
    return client;
  }

  async stop(): Promise<void> {
    if (this.ping) clearInterval(this.ping);
    if (this.reconnect) clearTimeout(this.reconnect);
    // Events announced before the stop (the drained calls' last ones) still go out.
    await new Promise((resolve) => setImmediate(resolve));
    await this.sending;
    this.stopped = true;
    const clients = [this.listener, this.sender];
    this.listener = undefined;
    this.sender = undefined;
    await Promise.all(clients.map((c) => c?.end().catch(() => undefined)));
  }
}
