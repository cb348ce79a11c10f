// Several engines and several simulators as real child processes on one PostgreSQL database of
// their own, as operators run them: `node --import tsx src/main.ts` per engine (faults-engine.ts)
// and `src/sim/cli.ts` per Asterisk, a real HTTP receiver for the webhooks. Each engine names its
// own Stasis application. Everything is killed in close(), which the tests call in after().
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CalleeScript } from '../../src/sim/index.js';
import { freshDatabase, type TestDatabase } from './postgres.js';
import { FAULTS_CALLER_ID, freePort, REPO_ROOT, spawnEngine, waitForStatus, type EngineProcess } from './faults-engine.js';
import { startReceiver, type Receiver } from './webhook-receiver.js';
import { waitUntil } from './wait-until.js';

export { FINAL_STATES, LIVE_STATES } from './faults-engine.js';

const SIM_USER = 'cluster';
const SIM_PASSWORD = 'cluster-sim-password';
/** Generous: engines start on a loaded 2-core machine, several at once. */
const READY_MS = 90_000;

export interface SimProcess {
  name: string;
  url: string;
  child: ChildProcess;
  /** Channels up and originates so far (GET /sim/stats). */
  stats(): Promise<{ channels: number; originates: number }>;
  /** Stops the simulator (SIGKILL: an Asterisk gone at once). */
  kill(): Promise<void>;
}

export interface ClusterSpec {
  engines: number;
  simulators: number;
  /** SESSION_LEASE_MS of every engine. */
  leaseMs?: number;
  /** More settings for every engine. */
  env?: Record<string, string>;
  /** The simulators' `default` script answers every number; more by number. */
  scripts?: Record<string, CalleeScript>;
  /** The URL the engines reach the database at (e.g. through a TCP proxy the test cuts); default: the database's own. */
  engineDatabaseUrl?: (url: string) => string;
  /** Flow documents (as the API takes them) by a name the test uses. */
  flows: Record<string, object>;
}

export interface Cluster {
  db: TestDatabase;
  engines: EngineProcess[];
  sims: SimProcess[];
  receiver: Receiver;
  /** Flow ids by the spec's names. */
  flows: Record<string, string>;
  callerId: string;
  /** Places a call through engine `i`; resolves with the HTTP answer. */
  place(i: number, flow: string, extra?: Record<string, unknown>, headers?: Record<string, string>): Promise<{ status: number; body: any }>;
  /** The session as engine `i` reads it. */
  session(i: number, id: string): Promise<any>;
  /** session.ended deliveries received per session id. */
  endedBySession(): Map<string, number>;
  /** Channels up in every simulator still running, and per simulator. */
  channelsUp(): Promise<{ total: number; bySim: number[] }>;
  close(): Promise<void>;
}

async function spawnSimulator(name: string, scriptsFile: string): Promise<SimProcess> {
  const port = await freePort();
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/sim/cli.ts', '--port', String(port), '--scripts', scriptsFile, '--time-scale', '0.2'], {
    cwd: REPO_ROOT,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ARI_USERNAME: SIM_USER, ARI_PASSWORD: SIM_PASSWORD, LOG_LEVEL: 'warn' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout?.on('data', (c: Buffer) => { out += c.toString(); });
  child.stderr?.on('data', (c: Buffer) => { out += c.toString(); });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const url = `http://127.0.0.1:${port}`;
  const auth = `Basic ${Buffer.from(`${SIM_USER}:${SIM_PASSWORD}`).toString('base64')}`;
  await waitUntil(() => {
    if (child.exitCode !== null) throw new Error(`simulator ${name} exited: ${out.slice(-2000)}`);
    return out.includes('Asterisk ARI simulator');
  }, { message: () => `simulator ${name} to start (output: ${out.slice(-500)})`, timeoutMs: READY_MS, intervalMs: 50 });
  return {
    name, url, child,
    async stats() {
      const res = await fetch(`${url}/sim/stats`, { headers: { authorization: auth } });
      if (!res.ok) throw new Error(`simulator ${name} stats: ${res.status}`);
      return (await res.json()) as { channels: number; originates: number };
    },
    async kill() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
    },
  };
}

/** The ARI settings of engine `i`: its own Stasis application, every simulator (ARI_SERVERS). */
function ariEnv(i: number, sims: readonly SimProcess[]): Record<string, string> {
  const servers = sims.map((s) => ({ name: s.name, url: s.url, username: SIM_USER, password: SIM_PASSWORD }));
  return { ARI_SERVERS: JSON.stringify(servers), ARI_APP: `engine-${i + 1}` };
}

export async function startCluster(spec: ClusterSpec): Promise<Cluster> {
  const dir = mkdtempSync(join(tmpdir(), 'engine-cluster-'));
  const db = await freshDatabase('c_cluster');
  const receiver = await startReceiver();
  const sims: SimProcess[] = [];
  const engines: EngineProcess[] = [];
  const close = async (): Promise<void> => {
    await Promise.all(engines.map((e) => e.dispose()));
    await Promise.all(sims.map((s) => s.kill()));
    await receiver.close();
    await db.drop().catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    const scriptsFile = join(dir, 'scripts.json');
    writeFileSync(scriptsFile, JSON.stringify({ default: { result: 'answer', answerAfterMs: 500 }, ...spec.scripts }));
    for (let s = 0; s < spec.simulators; s += 1) sims.push(await spawnSimulator(`asterisk-${s + 1}`, scriptsFile));
    const env = (i: number): Record<string, string> => ({
      DATABASE_URL: spec.engineDatabaseUrl ? spec.engineDatabaseUrl(db.url) : db.url,
      SESSION_LEASE_MS: String(spec.leaseMs ?? 30_000),
      ALLOW_PRIVATE_DESTINATIONS: 'true',
      TTS_PROVIDER: 'none',
      DRAIN_TIMEOUT_MS: '0',
      WEBHOOK_RETRY_BASE_MS: '200',
      WEBHOOK_RETRY_MAX_DELAY_MS: '2000',
      LOG_LEVEL: 'warn',
      ...ariEnv(i, sims),
      ...spec.env,
    });
    // The first engine alone creates the schema; the others start together once it is ready.
    engines.push(await spawnEngine(env(0)));
    await waitForStatus(engines[0]!.base, '/ready', 200, READY_MS);
    for (let i = 1; i < spec.engines; i += 1) engines.push(await spawnEngine(env(i)));
    await Promise.all(engines.slice(1).map((e) => waitForStatus(e.base, '/ready', 200, READY_MS)));

    const first = engines[0]!;
    const number = await first.request('POST', '/phone-numbers', { number: FAULTS_CALLER_ID, name: 'Cluster caller ID', enabled: true });
    if (number.status !== 201) throw new Error(`seeding the caller ID: ${number.status} ${number.text}`);
    const hook = await first.request('POST', '/webhooks', { url: `${receiver.url}/hook`, events: ['session.queued', 'session.answered', 'session.ended'] });
    if (hook.status !== 201) throw new Error(`seeding the webhook: ${hook.status} ${hook.text}`);
    const flows: Record<string, string> = {};
    for (const [name, document] of Object.entries(spec.flows)) {
      const created = await first.request('POST', '/flows', document);
      if (created.status !== 201) throw new Error(`seeding flow ${name}: ${created.status} ${created.text}`);
      flows[name] = created.body.id;
    }
    return {
      db, engines, sims, receiver, flows, callerId: FAULTS_CALLER_ID, close,
      async place(i, flow, extra = {}, headers = {}) {
        const res = await fetch(`${engines[i]!.base}/sessions/outgoing`, {
          method: 'POST',
          headers: { authorization: `Bearer ${engines[i]!.token}`, 'content-type': 'application/json', ...headers },
          body: JSON.stringify({ flowId: flows[flow], numberToDial: '+18144043093', callerId: FAULTS_CALLER_ID, ...extra }),
        });
        const text = await res.text();
        return { status: res.status, body: text.startsWith('{') ? JSON.parse(text) : text };
      },
      async session(i, id) {
        const res = await engines[i]!.request('GET', `/sessions/${id}`);
        if (res.status !== 200) throw new Error(`GET /sessions/${id} on engine ${i + 1}: ${res.status} ${res.text}`);
        return res.body;
      },
      async channelsUp() {
        const bySim = await Promise.all(sims.map(async (s) => (s.child.exitCode === null && s.child.signalCode === null ? (await s.stats()).channels : 0)));
        return { total: bySim.reduce((a, b) => a + b, 0), bySim };
      },
      endedBySession() {
        const counts = new Map<string, number>();
        for (const r of receiver.received) {
          if (r.json?.type === 'session.ended') counts.set(r.json.sessionId, (counts.get(r.json.sessionId) ?? 0) + 1);
        }
        return counts;
      },
    };
  } catch (err) {
    await close();
    throw err;
  }
}

export interface SseClient {
  /** Parsed `data:` of every event so far. */
  events: any[];
  closed: Promise<void>;
  close(): void;
}

/** Follows `GET path` on an engine as Server-Sent Events (the console's parser). */
export async function followEvents(engine: EngineProcess, path: string, lastEventId?: string): Promise<SseClient> {
  const { EventStreamParser } = await import('../../src/console/sse-parser.js');
  const abort = new AbortController();
  const headers: Record<string, string> = { authorization: `Bearer ${engine.token}`, accept: 'text/event-stream' };
  if (lastEventId) headers['last-event-id'] = lastEventId;
  const res = await fetch(engine.base + path, { headers, signal: abort.signal });
  if (res.status !== 200 || !res.body) throw new Error(`GET ${path}: ${res.status} ${await res.text()}`);
  const events: any[] = [];
  const parser = new EventStreamParser((e) => events.push(JSON.parse(e.data)));
  const decoder = new TextDecoder();
  const reader = res.body.getReader();
  const closed = (async () => {
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) return;
        parser.feed(decoder.decode(value, { stream: true }));
      }
    } catch {
      // Aborted by close().
    }
  })();
  return { events, closed, close: () => abort.abort() };
}
