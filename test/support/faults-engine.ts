// The engine as a real child process (`node --import tsx src/main.ts`), as operators run it, for the
// fault tests that need signals, kills and restarts. The Asterisk side is a simulator living in the
// test process, so that it survives the engine's death like a real Asterisk does.
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import jwt from 'jsonwebtoken';
import { openSqliteStore } from '../../src/store/sqlite-store.js';
import type { FlowDocument } from '../../src/domain/flow.js';
import { waitUntil } from './wait-until.js';

export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const FAULTS_JWT_SECRET = 'faults-test-secret-0f1e2d3c4b5a69788796a5b4c3d2e1f0';
export const FAULTS_ACCOUNT = 'faults';
export const FAULTS_CALLER_ID = '+12125550199';

export const FINAL_STATES = new Set(['completed', 'busy', 'no-answer', 'failed', 'canceled']);
export const LIVE_STATES = new Set(['queued', 'dialing', 'ringing', 'in-progress']);

/** A port that was free a moment ago (PORT=0 would not tell us which one the child took). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

export function faultsToken(claims: { roles?: unknown; accountId?: string; sub?: string } = {}): string {
  return jwt.sign(
    { roles: claims.roles ?? ['Manager'], accountId: claims.accountId ?? FAULTS_ACCOUNT },
    FAULTS_JWT_SECRET,
    { algorithm: 'HS256', subject: claims.sub ?? 'faults-user', expiresIn: '10m' },
  );
}

/** Seeds the account, its caller ID and the given flows straight into the SQLite file; returns the flow ids by name. */
export async function seedDatabase(path: string, flows: Record<string, FlowDocument>): Promise<Record<string, string>> {
  const store = await openSqliteStore(path);
  const ids: Record<string, string> = {};
  try {
    await store.ensureAccount(FAULTS_ACCOUNT, 'Faults account');
    if (!(await store.findPhoneNumberByNumber(FAULTS_ACCOUNT, FAULTS_CALLER_ID))) {
      await store.addPhoneNumber(FAULTS_ACCOUNT, FAULTS_CALLER_ID, 'Faults caller ID', true);
    }
    for (const [name, document] of Object.entries(flows)) ids[name] = (await store.createFlow(FAULTS_ACCOUNT, document)).id;
  } finally {
    await store.close();
  }
  return ids;
}

export interface EngineProcess {
  child: ChildProcess;
  base: string;
  /** The token `request` sends unless told otherwise. */
  token: string;
  /** Everything written so far on stdout and stderr. */
  output(): string;
  /** Resolves with the exit code (or the signal's name) once the process has exited. */
  exited: Promise<number | string>;
  waitForOutput(pattern: RegExp, timeoutMs?: number): Promise<void>;
  request(method: string, path: string, body?: unknown, token?: string | null): Promise<{ status: number; body: any; text: string; headers: Headers }>;
  /** Kills the process if still running; always safe to call. */
  dispose(): Promise<void>;
}

/** How the engine is started: by default as `npm start` runs it, without npm in between. */
export const ENGINE_COMMAND: readonly string[] = [process.execPath, '--import', 'tsx', 'src/main.ts'];

/** `detached`: the child leads a process group of its own, which a test may signal as a whole (`kill -TERM -pgid`). */
export async function spawnEngine(env: Record<string, string>, command: readonly string[] = ENGINE_COMMAND, options: { detached?: boolean } = {}): Promise<EngineProcess> {
  const port = await freePort();
  const [file = process.execPath, ...args] = command;
  const child = spawn(file, args, {
    cwd: REPO_ROOT,
    env: {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '',
      PORT: String(port),
      HOST: '127.0.0.1',
      JWT_SECRET: FAULTS_JWT_SECRET,
      LOG_LEVEL: 'debug',
      MAX_CALLS_PER_SECOND_PER_ACCOUNT: '10000',
      MAX_LIVE_CALLS_PER_ACCOUNT: '10000',
      UNAUTHENTICATED_PER_MINUTE: '100000',
      ORIGINATE_TIMEOUT_SEC: '5',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: options.detached === true,
  });
  let out = '';
  const waiters: Array<() => void> = [];
  const onData = (chunk: Buffer): void => {
    out += chunk.toString('utf8');
    for (const w of waiters.splice(0)) w();
  };
  child.stdout?.on('data', onData);
  child.stderr?.on('data', onData);
  const exited = new Promise<number | string>((resolve) => {
    child.once('exit', (code, signal) => {
      resolve(code ?? signal ?? 'unknown');
      for (const w of waiters.splice(0)) w();
    });
  });
  let exitedNow = false;
  void exited.then(() => { exitedNow = true; });

  const base = `http://127.0.0.1:${port}`;
  const defaultToken = faultsToken();
  const waitForOutput = async (pattern: RegExp, timeoutMs = 20000): Promise<void> => {
    const deadline = Date.now() + timeoutMs;
    while (!pattern.test(out)) {
      if (exitedNow) throw new Error(`engine exited before printing ${pattern}; output:\n${out.slice(-3000)}`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`engine did not print ${pattern} in ${timeoutMs} ms; output:\n${out.slice(-3000)}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.min(left, 200));
        waiters.push(() => { clearTimeout(timer); resolve(); });
      });
    }
  };
  const request: EngineProcess['request'] = async (method, path, body, token) => {
    const headers: Record<string, string> = {};
    const auth = token === undefined ? defaultToken : token;
    if (auth) headers.authorization = `Bearer ${auth}`;
    if (body !== undefined) headers['content-type'] = 'application/json';
    const res = await fetch(base + path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
    const text = await res.text();
    let parsed: unknown = text;
    if ((res.headers.get('content-type') ?? '').includes('json')) parsed = JSON.parse(text);
    return { status: res.status, body: parsed, text, headers: res.headers };
  };
  const dispose = async (): Promise<void> => {
    if (options.detached && child.pid !== undefined) {
      // The whole group: whatever the child started must not outlive the test either.
      try {
        process.kill(-child.pid, 'SIGKILL');
      } catch {
        // The group is gone already.
      }
    } else if (!exitedNow) {
      child.kill('SIGKILL');
    }
    await exited;
  };
  return { child, base, token: defaultToken, output: () => out, exited, waitForOutput, request, dispose };
}

/** Polls until `GET path` answers `status` (connection errors count as not yet). */
export async function waitForStatus(base: string, path: string, status: number, timeoutMs = 20000): Promise<void> {
  let last = 'no answer';
  await waitUntil(async () => {
    try {
      const res = await fetch(base + path);
      await res.arrayBuffer();
      last = `status ${res.status}`;
      return res.status === status;
    } catch (err) {
      last = (err as Error).message;
      return false;
    }
  }, { message: () => `${path} to answer ${status} (last: ${last})`, timeoutMs, intervalMs: 50 });
}

/** The session's timeline, whatever the route calls it. */
export function timelineOf(session: any): any[] {
  return session?.timeline ?? session?.events ?? [];
}

/** True when the session ended `failed` and its timeline records that transition. */
export function failedWithReason(session: any): boolean {
  return session.state === 'failed'
    && typeof session.endReason === 'string' && session.endReason.length > 0
    && timelineOf(session).some((e) => e.type === 'state' && e.data?.state === 'failed');
}
