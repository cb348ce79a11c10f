// The HTTP layer over real HTTP (port 0), real signed JWTs and a real SQLite file, with a
// recording CallEngine in place of the telephony engine (the e2e tests run the real one).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import jwt from 'jsonwebtoken';
import { loadConfig, type Config } from '../../src/config.js';
import { createLogger } from '../../src/log.js';
import { openSqliteStore } from '../../src/store/sqlite-store.js';
import type { Store } from '../../src/store/store.js';
import type { CallEngine, CommitSession, LiveControl, PlacedCall, SessionDraft } from '../../src/services/call-engine.js';
import type { Flow, Session } from '../../src/domain/model.js';
import type { FlowDocument } from '../../src/domain/flow.js';
import { buildApp } from '../../src/http/app.js';
import { startHttpServer, type HttpServerOptions } from '../../src/http/server.js';

export const HTTP_TEST_SECRET = 'http-test-secret-0123456789abcdef-0123456789';

export const SIMPLE_FLOW: FlowDocument = {
  name: 'Hello',
  steps: [
    { id: 'hello', type: 'playback', media: ['sound:hello-world'] },
    { id: 'bye', type: 'hangup' },
  ],
};

export class RecordingEngine implements CallEngine {
  ready = true;
  reconciled = true;
  readonly placed: Array<{ session: Session; flow: Flow }> = [];
  isReady(): boolean {
    return this.ready;
  }
  readiness(): { ari: boolean; reconciled: boolean } {
    return { ari: this.ready, reconciled: this.reconciled };
  }
  endpointFor(numberToDial: string): string {
    return `PJSIP/${numberToDial}@trunk`;
  }
  async placeCall(draft: SessionDraft, flow: Flow, commit: CommitSession): Promise<PlacedCall> {
    const session = await commit(draft, {});
    this.placed.push({ session, flow });
    return { session, originated: Promise.resolve() };
  }
  live(): LiveControl | undefined {
    return undefined;
  }
  readonly ended: Session[] = [];
  endSession(session: Session): boolean {
    this.ended.push(session);
    return true;
  }
  liveCount(): number {
    return this.placed.length;
  }
}

export interface Reply {
  status: number;
  headers: Headers;
  text: string;
  /** Parsed JSON when the response is JSON. */
  body: any;
}

export interface RequestOptions {
  body?: unknown;
  raw?: string;
  contentType?: string;
  /** undefined: a Manager token of account `acme`; null: no Authorization header. */
  token?: string | null;
  headers?: Record<string, string>;
}

export interface Claims {
  sub?: unknown;
  roles?: unknown;
  accountId?: unknown;
  [claim: string]: unknown;
}

export interface HttpHarness {
  base: string;
  port: number;
  store: Store;
  engine: RecordingEngine;
  config: Config;
  /** Clock of the rate limits (tests move it instead of waiting). */
  clock: { now: number };
  token(claims?: Claims, options?: jwt.SignOptions): string;
  request(method: string, path: string, opts?: RequestOptions): Promise<Reply>;
  /** Creates a flow straight in the store (flow validation is tested elsewhere). */
  seedFlow(accountId?: string, document?: FlowDocument): Promise<Flow>;
  seedNumber(number: string, accountId?: string, enabled?: boolean): Promise<void>;
  close(): Promise<void>;
}

export async function startHttpHarness(env: Record<string, string> = {}, server: HttpServerOptions = {}): Promise<HttpHarness> {
  const dir = mkdtempSync(join(tmpdir(), 'engine-http-'));
  const config = loadConfig({
    JWT_SECRET: HTTP_TEST_SECRET,
    DATABASE_PATH: join(dir, 'engine.sqlite'),
    PORT: '0',
    HOST: '127.0.0.1',
    MAX_CALLS_PER_SECOND_PER_ACCOUNT: '100000',
    MAX_LIVE_CALLS_PER_ACCOUNT: '100000',
    UNAUTHENTICATED_PER_MINUTE: '100000',
    ...env,
  });
  const store = await openSqliteStore(config.databasePath);
  const engine = new RecordingEngine();
  const clock = { now: Date.now() };
  const logger = createLogger(process.env.TEST_LOG_LEVEL ?? 'silent');
  const app = buildApp({ config, store, engine, logger, isReady: () => store.isWritable(), now: () => clock.now });
  const http = await startHttpServer(app.listener, config, server);
  const base = `http://127.0.0.1:${http.port}`;
  await store.ensureAccount('acme', 'Acme');

  const token: HttpHarness['token'] = (claims = {}, options = {}) => jwt.sign(
    { sub: 'tester', roles: ['Manager'], accountId: 'acme', ...claims },
    HTTP_TEST_SECRET,
    { algorithm: 'HS256', expiresIn: '10m', ...options },
  );

  const request: HttpHarness['request'] = async (method, path, opts = {}) => {
    const headers: Record<string, string> = { ...opts.headers };
    const auth = opts.token === undefined ? token() : opts.token;
    if (auth !== null) headers.authorization = `Bearer ${auth}`;
    let payload = opts.raw;
    if (opts.body !== undefined) payload = JSON.stringify(opts.body);
    if (payload !== undefined && !Object.keys(headers).some((h) => h.toLowerCase() === 'content-type')) {
      headers['content-type'] = opts.contentType ?? 'application/json';
    }
    const res = await fetch(base + path, { method, headers, body: payload });
    const text = await res.text();
    const type = res.headers.get('content-type') ?? '';
    const body: unknown = type.includes('json') && text !== '' ? JSON.parse(text) : undefined;
    return { status: res.status, headers: res.headers, text, body };
  };

  return {
    base, port: http.port, store, engine, config, clock, token, request,
    seedFlow: (accountId = 'acme', document = SIMPLE_FLOW) => store.createFlow(accountId, document),
    seedNumber: async (number, accountId = 'acme', enabled = true) => {
      await store.ensureAccount(accountId, accountId);
      const added = await store.addPhoneNumber(accountId, number, number, enabled);
      if (added === 'duplicate') throw new Error(`duplicate seed number ${number}`);
    },
    close: async () => {
      await http.close();
      try {
        await store.close();
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  };
}

/** The ResponseStatus of an error reply, asserting its shape on the way. */
export function responseStatus(reply: Reply): { errorCode: string; message: string; errors: Array<{ errorCode: string; fieldName: string; message: string }> } {
  const rs = reply.body?.responseStatus;
  if (!rs || typeof rs.errorCode !== 'string' || typeof rs.message !== 'string' || !Array.isArray(rs.errors)) {
    throw new Error(`not a ResponseStatus error (${reply.status}): ${reply.text.slice(0, 300)}`);
  }
  return rs;
}
