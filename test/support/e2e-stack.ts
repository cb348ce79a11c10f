// The whole engine as `npm start` wires it (src/stack.ts): real HTTP, real ari-client over real
// sockets to the built-in simulator, a real SQLite file in a temp dir. Time-scaled for speed.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import jwt from 'jsonwebtoken';
import { loadConfig } from '../../src/config.js';
import { createLogger } from '../../src/log.js';
import { startStack, type RunningStack } from '../../src/stack.js';
import type { CalleeScript, RunningSimulator } from '../../src/sim/index.js';
import { waitUntil } from './wait-until.js';

export const TEST_JWT_SECRET = 'e2e-test-secret-0123456789abcdef-0123456789';

export interface E2E {
  stack: RunningStack;
  sim: RunningSimulator;
  base: string;
  token(claims?: { roles?: unknown; accountId?: string; sub?: string }): string;
  request(method: string, path: string, opts?: { body?: unknown; raw?: string; contentType?: string; token?: string | null; headers?: Record<string, string> }): Promise<{ status: number; body: any; text: string; headers: Headers }>;
  waitForSession(id: string, until: (s: any) => boolean, timeoutMs?: number): Promise<any>;
  close(): Promise<void>;
}

export async function startE2E(env: Record<string, string> = {}, scripts: Record<string, CalleeScript> = {}): Promise<E2E> {
  const dir = mkdtempSync(join(tmpdir(), 'engine-e2e-'));
  const config = loadConfig({
    JWT_SECRET: TEST_JWT_SECRET,
    DATABASE_PATH: join(dir, 'engine.sqlite'),
    PORT: '0',
    HOST: '127.0.0.1',
    SIM_TIME_SCALE: '0.05',
    ORIGINATE_TIMEOUT_SEC: '2',
    MAX_CALLS_PER_SECOND_PER_ACCOUNT: '1000',
    MAX_LIVE_CALLS_PER_ACCOUNT: '1000',
    UNAUTHENTICATED_PER_MINUTE: '100000',
    DRAIN_TIMEOUT_MS: '0',
    ...env,
  });
  const stack = await startStack(config, createLogger(process.env.TEST_LOG_LEVEL ?? 'silent'), { simulatorScripts: scripts });
  await stack.ariConnected;
  const sim = stack.simulator;
  if (!sim) throw new Error('e2e stack expects the built-in simulator');
  const base = `http://127.0.0.1:${stack.httpPort}`;

  const { token, request, waitForSession } = engineClient(base);

  return {
    stack, sim, base, token, request, waitForSession,
    close: async () => {
      await stack.stop(0);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export type EngineClient = Pick<E2E, 'token' | 'request' | 'waitForSession'>;

/** HTTP helpers for an engine started with TEST_JWT_SECRET at `base`. */
export function engineClient(base: string): EngineClient {
  const token: EngineClient['token'] = (claims = {}) => jwt.sign(
    { roles: claims.roles ?? ['Manager'], accountId: claims.accountId ?? 'demo' },
    TEST_JWT_SECRET,
    { algorithm: 'HS256', subject: claims.sub ?? 'e2e-user', expiresIn: '10m' },
  );

  const request: EngineClient['request'] = async (method, path, opts = {}) => {
    const headers: Record<string, string> = { ...opts.headers };
    const auth = opts.token === undefined ? token() : opts.token;
    if (auth) headers.authorization = `Bearer ${auth}`;
    let payload: string | undefined = opts.raw;
    if (opts.body !== undefined) payload = JSON.stringify(opts.body);
    if (payload !== undefined) headers['content-type'] = opts.contentType ?? 'application/json';
    const res = await fetch(base + path, { method, headers, body: payload });
    const text = await res.text();
    let body: unknown = text;
    if ((res.headers.get('content-type') ?? '').includes('json')) body = JSON.parse(text);
    return { status: res.status, body, text, headers: res.headers };
  };

  const waitForSession: EngineClient['waitForSession'] = async (id, until, timeoutMs = 15000) => {
    let last: unknown;
    return waitUntil(async () => {
      const res = await request('GET', `/sessions/${id}`);
      last = res.body;
      return res.status === 200 && until(res.body) ? res.body : undefined;
    }, { message: () => `session ${id} to reach the expected state; last: ${JSON.stringify(last)}`, timeoutMs, intervalMs: 50 });
  };

  return { token, request, waitForSession };
}
