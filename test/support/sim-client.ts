// Test helpers for the simulator: the REAL ari-client (loaded through require, it is CommonJS and
// untyped) plus an event recorder, and a raw HTTP helper for status codes ari-client hides.
import { createRequire } from 'node:module';
import type { EventEmitter } from 'node:events';

const requireHere = createRequire(import.meta.url);

export interface AriEvent {
  type: string;
  [key: string]: unknown;
}

/** The slice of ari-client's dynamic API the tests use (methods are built from the declarations). */
export interface AriClient extends EventEmitter {
  start(apps: string | string[], subscribeAll?: boolean): Promise<void>;
  stop(): void;
  [resource: string]: unknown;
}

type Op = (params?: Record<string, unknown>) => Promise<unknown>;

interface AriModule {
  connect(url: string, user: string, pass: string): Promise<AriClient>;
}

let quieted = false;

/** Connects ari-client to the simulator and subscribes `app`. ari-client's Swagger 1.1 warning is silenced. */
export async function connectAri(url: string, user: string, pass: string, app: string | string[]): Promise<AriClient> {
  if (!quieted) {
    // swagger-client logs a deprecation warning through console.log on every connect.
    const original = console.log;
    console.log = (...args: unknown[]) => {
      const first: unknown = Array.isArray(args[0]) ? (args[0] as unknown[])[0] : args[0];
      if (typeof first === 'string' && first.includes('deprecated version of Swagger')) return;
      original(...args);
    };
    quieted = true;
  }
  const ari = requireHere('ari-client') as AriModule;
  const client = await ari.connect(url, user, pass);
  await client.start(app);
  return client;
}

/** Calls `client.<resource>.<operation>(params)`; fails loudly if ari-client did not build it. */
export function op(client: AriClient, resource: string, operation: string): Op {
  const res = client[resource] as Record<string, unknown> | undefined;
  const fn = res?.[operation];
  if (typeof fn !== 'function') throw new Error(`ari-client has no ${resource}.${operation}`);
  return fn as Op;
}

/** Records every event the client receives, and waits for the ones a test expects. */
export class EventLog {
  readonly events: AriEvent[] = [];
  private waiters: Array<{ pred: (e: AriEvent) => boolean; resolve: (e: AriEvent) => void; reject: (err: Error) => void; timer: NodeJS.Timeout }> = [];

  constructor(client: AriClient) {
    client.on('*', (event: AriEvent) => {
      this.events.push(event);
      for (const w of [...this.waiters]) {
        if (w.pred(event)) {
          clearTimeout(w.timer);
          this.waiters = this.waiters.filter((x) => x !== w);
          w.resolve(event);
        }
      }
    });
  }

  /** Resolves with the first event (already received or future) matching `pred`; rejects after `ms`. */
  wait(pred: (e: AriEvent) => boolean, ms = 5000, label = 'event'): Promise<AriEvent> {
    const seen = this.events.find(pred);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((x) => x.timer !== timer);
        reject(new Error(`timed out waiting for ${label}; got ${this.events.map((e) => e.type).join(', ')}`));
      }, ms);
      this.waiters.push({ pred, resolve, reject, timer });
    });
  }

  waitType(type: string, channelId?: string, ms = 5000): Promise<AriEvent> {
    return this.wait((e) => e.type === type && (channelId === undefined || channelOf(e) === channelId), ms, `${type}${channelId ? ` on ${channelId}` : ''}`);
  }

  /** Event types concerning one channel (its own events, Dial peer, its playbacks), in order. */
  typesFor(channelId: string): string[] {
    return this.events.filter((e) => channelOf(e) === channelId).map((e) => e.type);
  }

  cancelAll(): void {
    for (const w of this.waiters) clearTimeout(w.timer);
    this.waiters = [];
  }
}

export function channelOf(e: AriEvent): string | undefined {
  const ch = (e.channel ?? e.peer) as { id?: string } | undefined;
  if (ch?.id) return ch.id;
  const pb = (e.playback ?? e.recording) as { target_uri?: string } | undefined;
  if (pb?.target_uri?.startsWith('channel:')) return pb.target_uri.slice('channel:'.length);
  return undefined;
}

export interface RawResponse {
  status: number;
  headers: Headers;
  body: unknown;
  text: string;
}

/** A plain HTTP request (fetch), for statuses and headers. `auth` false sends no credentials. */
export async function raw(
  baseUrl: string, method: string, path: string, opts: { user?: string; pass?: string; auth?: boolean; body?: unknown } = {},
): Promise<RawResponse> {
  const headers: Record<string, string> = {};
  if (opts.auth !== false && opts.user !== undefined) {
    headers.Authorization = `Basic ${Buffer.from(`${opts.user}:${opts.pass ?? ''}`).toString('base64')}`;
  }
  if (opts.body !== undefined) headers['Content-Type'] = 'application/json';
  const res = await fetch(`${baseUrl}${path}`, { method, headers, ...(opts.body !== undefined ? { body: JSON.stringify(opts.body) } : {}) });
  const text = await res.text();
  let body: unknown = text;
  try {
    body = text ? JSON.parse(text) : undefined;
  } catch {
    body = text;
  }
  return { status: res.status, headers: res.headers, body, text };
}
