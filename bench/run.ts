// `npm run bench`: what the engine costs per call, measured beside the floor in the same run.
// Processes: the simulator (bench/simulator-host.ts), the measuring ARI proxy (bench/ari-proxy.ts),
// the engine exactly as `npm start` runs it (src/main.ts, with bench/engine-probe.mjs preloaded)
// and the floor (bench/floor.ts). With two CPUs or more, the engine and the floor run on CPU 1 and
// everything else on CPU 0. How to read the output: docs/benchmarks.md.
// BENCH_QUICK=1: a ~1-minute smoke run (smaller sizes; the leak verdict needs the full run).
// BENCH_CPU_PROF=1: the engine also writes a V8 CPU profile to bench/results/profiles/.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createServer } from 'node:net';
import { execFileSync } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import { randomBytes } from 'node:crypto';
import { Child, withTimeout } from './lib/child.js';
import { ApiClient, getStatus, postJson, putJson } from './lib/api.js';
import { pace, sleep } from './lib/pacer.js';
import { cpuMs, cpuSplitMs, rssBytes, tasksetAvailable } from './lib/proc.js';
import { summarize, ratio, round } from './lib/stats.js';
import { compareSequences, normalizeTrace } from './lib/sequence.js';
import pg from 'pg';
import { printReport, evaluateTargets, type BenchResults, type CpuFigures, type PostgresCpu, type LatencyRow, type ThroughputStep, type MemorySample } from './lib/report.js';
import type { LaneCounts, LaneName, LaneReport, ProxyReply, TraceEntry } from './ari-proxy.js';
import type { FloorCalls, FloorReply } from './floor.js';
import { floorMedia, referenceFlow } from './lib/reference-flow.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const BASE_ENV = { PATH: process.env.PATH, HOME: process.env.HOME, NODE_ENV: 'production' };
/** The PostgreSQL server of the CPU-per-call phase on PostgreSQL (a fresh database is created there); BENCH_POSTGRES=0 skips it. */
const PG_BENCH_URL = process.env.PG_BENCH_URL || process.env.PG_TEST_URL || 'postgres://postgres@127.0.0.1:5432/test';
const QUICK = process.env.BENCH_QUICK === '1';
const PROFILE = process.env.BENCH_CPU_PROF === '1';
/** BENCH_HEAP_SNAPSHOTS=1: heap snapshots of the engine at the leak baseline and at the end (bench/results/). */
const HEAP_SNAPSHOTS = process.env.BENCH_HEAP_SNAPSHOTS === '1';
/** Seconds the whole run may take; the leak check's call count is what gives (BENCH_BUDGET_SEC=900 for 20,000 calls on a slow engine). */
const BUDGET_OVERRIDE = Number(process.env.BENCH_BUDGET_SEC ?? '') || undefined;

/** Sizes of each phase; the quick run keeps every phase, smaller. */
const PLAN = QUICK
  ? {
    budgetSec: 75, warmupCalls: 100, levels: [10, 100, 1000], probes: (level: number) => (level <= 10 ? 40 : 60),
    backgroundRate: 250, cpuCalls: 150, cpuRate: 50, rates: [50, 100, 200], stepSec: 2,
    holdCalls: 500, holdRate: 250, holdWindowMs: 2000, leakCalls: 0,
  }
  : {
    budgetSec: 285, warmupCalls: 200, levels: [10, 100, 1000], probes: (level: number) => (level <= 10 ? 150 : 200),
    backgroundRate: 250, cpuCalls: 600, cpuRate: 50, rates: [50, 100, 150, 200, 300, 400, 600, 800], stepSec: 4,
    holdCalls: 5000, holdRate: 250, holdWindowMs: 5000, leakCalls: 20000,
  };

// The reference flow's callee answers after ANSWER_MS and presses 1 DTMF_DELAY_MS after the menu
// prompt (its 2nd playback) starts: the digit arrives while the prompt plays (barge-in).
const SOUND_MS = 150;
const ANSWER_MS = 50;
const DTMF_DELAY_MS = 60;
const REF_NUMBER = '+14155550101';
const HOLD_NUMBER = '+14155550102';
const CALLER_ID = '+12125551234';
const ACCOUNT = 'bench';
const SOUNDS = { welcome: 'sound:hello-world', prompt: 'sound:press-1', thanks: 'sound:thank-you', other: 'sound:goodbye' };
const ENDPOINT = (number: string): string => `PJSIP/${number}@trunk`;

const REFERENCE_FLOW = referenceFlow(SOUNDS);
/** Held calls pause "forever"; the bench ends them with far-end hangups once measured. */
const HOLD_MS = 600000;
const HANGUP_RATE = 400;
const holdFlow = (ms: number): unknown => ({
  name: `bench hold ${ms} ms`,
  steps: [{ id: 'wait', type: 'pause', ms }, { id: 'end', type: 'hangup' }],
});

function freePort(): Promise<number> {
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

function log(text: string): void {
  process.stdout.write(`${new Date().toISOString().slice(11, 19)} ${text}\n`);
}

async function waitUntil(check: () => Promise<boolean>, timeoutMs: number, pollMs = 100): Promise<boolean> {
  const deadline = performance.now() + timeoutMs;
  while (performance.now() < deadline) {
    if (await check()) return true;
    await sleep(pollMs);
  }
  return check();
}

interface EngineLoad {
  latencies: number[];
  statuses: Record<string, number>;
  accepted: number;
  maxLagMs: number;
  durationMs: number;
}

class Bench {
  sim!: Child;
  proxy!: Child;
  engine!: Child;
  floor!: Child;
  api!: ApiClient;
  simUrl = '';
  enginePort = 0;
  /** The proxy's port for the engine's ARI client. */
  engineLanePort = 0;
  referenceFlowId = '';
  /** Engine calls accepted since the leak baseline. */
  callsSinceBaseline = 0;
  readonly dir = mkdtempSync(join(tmpdir(), 'engine-bench-'));
  readonly pinned = cpus().length >= 2 && tasksetAvailable();
  proxyReniced = false;
  readonly secret = randomBytes(32).toString('hex');
  readonly ariPassword = randomBytes(12).toString('hex');

  private cpuFor(role: 'measured' | 'harness'): number | undefined {
    if (!this.pinned) return undefined;
    return role === 'measured' ? 1 : 0;
  }

  async start(): Promise<void> {
    if (this.pinned) {
      // The harness (load generator) shares CPU 0 with the simulator and the proxy.
      execFileSync('taskset', ['-a', '-p', '-c', '0', String(process.pid)], { stdio: 'ignore' });
    }
    const baseEnv = BASE_ENV;
    this.sim = new Child({
      name: 'simulator', cwd: ROOT, cpu: this.cpuFor('harness'),
      args: ['--import', 'tsx', 'bench/simulator-host.ts'],
      env: {
        ...baseEnv,
        SIM_OPTIONS: JSON.stringify({
          username: 'engine', password: this.ariPassword, defaultSoundMs: SOUND_MS, requestLogSize: 10,
          soundDurationsMs: Object.fromEntries(Object.values(SOUNDS).map((s) => [s.slice('sound:'.length), SOUND_MS])),
        }),
      },
    });
    const simReady = await this.sim.ready();
    this.simUrl = String(simReady.url);

    this.proxy = new Child({
      name: 'proxy', cwd: ROOT, cpu: this.cpuFor('harness'),
      args: ['--import', 'tsx', 'bench/ari-proxy.ts'],
      env: { ...baseEnv, PROXY_TARGET: this.simUrl },
    });
    const proxyReady = (await this.proxy.ready()) as unknown as Extract<ProxyReply, { type: 'ready' }>;
    this.engineLanePort = proxyReady.ports.engine;
    // The proxy timestamps what it forwards: ahead of the simulator and the load generator on its
    // CPU, its clock readings lag less behind the packets (needs the right to renice; else as is).
    try {
      execFileSync('renice', ['-n', '-10', '-p', String(this.proxy.pid)], { stdio: 'ignore' });
      this.proxyReniced = true;
    } catch {
      this.proxyReniced = false;
    }

    // Callee scripts through the simulator's control API, as any user would set them.
    const refStatus = await putJson(this.simUrl, `/sim/callees/${encodeURIComponent(REF_NUMBER)}`, {
      result: 'answer', answerAfterMs: ANSWER_MS, dtmf: [{ digits: '1', afterPlaybackStarted: 2, delayMs: DTMF_DELAY_MS }],
    });
    const holdStatus = await putJson(this.simUrl, `/sim/callees/${encodeURIComponent(HOLD_NUMBER)}`, { result: 'answer', answerAfterMs: ANSWER_MS });
    if (refStatus >= 300 || holdStatus >= 300) throw new Error(`simulator control API refused the callee scripts (${refStatus}, ${holdStatus})`);

    await this.startEngine({ DATABASE_PATH: join(this.dir, 'engine.sqlite') });

    this.floor = new Child({
      name: 'floor', cwd: ROOT, cpu: this.cpuFor('measured'),
      args: ['--import', 'tsx', 'bench/floor.ts'],
      env: { ...baseEnv, ARI_URL: `http://127.0.0.1:${proxyReady.ports.floor}`, ARI_USERNAME: 'engine', ARI_PASSWORD: this.ariPassword, FLOOR_APP: 'floor' },
    });
    await this.floor.ready();
    await this.floor.call({ cmd: 'media', media: floorMedia(SOUNDS) });
  }

  /** The engine as `npm start` runs it, on CPU 1, behind the proxy's engine lane; `database`: DATABASE_PATH or DATABASE_URL. */
  async startEngine(database: Record<string, string>): Promise<void> {
    this.enginePort = await freePort();
    const engineArgs = ['--expose-gc', '--import', 'tsx', '--import', './bench/engine-probe.mjs'];
    if (PROFILE) {
      const profiles = join(ROOT, 'bench/results/profiles');
      mkdirSync(profiles, { recursive: true });
      engineArgs.push('--cpu-prof', '--cpu-prof-dir', profiles);
    }
    this.engine = new Child({
      name: 'engine', cwd: ROOT, cpu: this.cpuFor('measured'),
      args: [...engineArgs, 'src/main.ts'],
      env: {
        ...BASE_ENV,
        PORT: String(this.enginePort), HOST: '127.0.0.1',
        JWT_SECRET: this.secret,
        ...database,
        ARI_URL: `http://127.0.0.1:${this.engineLanePort}`,
        ARI_USERNAME: 'engine', ARI_PASSWORD: this.ariPassword, ARI_APP: 'engine',
        MAX_LIVE_CALLS_PER_ACCOUNT: '100000', MAX_CALLS_PER_SECOND_PER_ACCOUNT: '100000',
        UNAUTHENTICATED_PER_MINUTE: '1000000',
        DRAIN_TIMEOUT_MS: '0',
        LOG_LEVEL: 'warn',
      },
    });
    const ready = await waitUntil(async () => (await getStatus(this.enginePort, '/ready')) === 200, 60000, 200);
    if (!ready) throw new Error(`engine not ready after 60 s (GET /ready):\n${this.engine.output()}`);

    this.api?.close();
    this.api = new ApiClient(this.enginePort, this.secret, ACCOUNT);
  }

  /** Stops the engine (SIGTERM, its graceful stop) and starts it again on PostgreSQL at `url`, seeded as the first. */
  async switchToPostgres(url: string): Promise<void> {
    await this.engine.stop('SIGTERM', 10000);
    await this.startEngine({ DATABASE_URL: url });
    await this.seed();
  }

  async seed(): Promise<void> {
    const number = await this.api.request('POST', '/phone-numbers', { number: CALLER_ID, name: 'bench caller ID', enabled: true });
    if (number.status !== 201 && number.status !== 200 && number.status !== 409) {
      throw new Error(`POST /phone-numbers answered ${number.status}: ${JSON.stringify(number.body)}`);
    }
    this.referenceFlowId = await this.createFlow(REFERENCE_FLOW);
  }

  async createFlow(document: unknown): Promise<string> {
    const res = await this.api.request('POST', '/flows', document);
    const id = (res.body as { id?: unknown } | undefined)?.id;
    if (res.status !== 201 && res.status !== 200) throw new Error(`POST /flows answered ${res.status}: ${JSON.stringify(res.body)}`);
    if (typeof id !== 'string' && typeof id !== 'number') throw new Error(`POST /flows: no id in ${JSON.stringify(res.body)}`);
    return String(id);
  }

  // ---- proxy and probe ----

  async resetProxy(): Promise<void> {
    await this.proxy.call({ cmd: 'reset' });
  }

  async proxyReport(): Promise<Record<LaneName, LaneReport>> {
    const reply = await this.proxy.call<{ report: Record<LaneName, LaneReport> }>({ cmd: 'report' });
    return reply.report;
  }

  async counts(lane: LaneName): Promise<LaneCounts> {
    const reply = await this.proxy.call<{ live: Record<LaneName, LaneCounts> }>({ cmd: 'live' });
    return reply.live[lane];
  }

  async memory(): Promise<MemorySample> {
    this.api.resetConnections();
    await sleep(300);
    const probe = await this.engine.call<Record<string, number> & { listenersByKind?: Record<string, number> }>({ probe: 'sample', gc: true });
    return {
      listenersByKind: probe.listenersByKind ?? {},
      rssBytes: rssBytes(this.engine.pid) ?? probe.rss ?? 0,
      heapUsedBytes: probe.heapUsed ?? 0,
      heapCodeBytes: probe.codeBytes ?? 0,
      heapTotalBytes: probe.heapTotal ?? 0,
      externalBytes: probe.external ?? 0,
      listeners: probe.listeners ?? 0,
    };
  }

  /** SQLite statements the engine ran so far (bench/engine-probe.mjs); -1 when it cannot count them. */
  async sqlTrips(): Promise<number> {
    const reply = await this.engine.call<{ sqlTrips?: number }>({ probe: 'sql-trips' });
    return reply.sqlTrips ?? -1;
  }

  async heapSnapshot(name: string): Promise<void> {
    const dir = join(ROOT, 'bench/results');
    mkdirSync(dir, { recursive: true });
    const reply = await this.engine.call<{ file?: string }>({ probe: 'heap-snapshot', path: join(dir, `engine-${name}.heapsnapshot`) }, 120000);
    log(`  heap snapshot: ${reply.file ?? 'not written'}`);
  }

  // ---- load ----

  /** `count` calls of a flow through POST /sessions/outgoing at `rate`/s, open loop. */
  async engineCalls(flowId: string, number: string, count: number, rate: number): Promise<EngineLoad> {
    const latencies: number[] = [];
    const statuses: Record<string, number> = {};
    const inflight: Array<Promise<void>> = [];
    const body = { flowId, numberToDial: number, callerId: CALLER_ID };
    const paced = await pace(count, rate, () => {
      inflight.push(this.api.request('POST', '/sessions/outgoing', body, false).then((res) => {
        latencies.push(res.ms);
        // A failed connection has no status: keep its error text (ECONNRESET, …) as the key.
        const key = res.status === 0 ? `error ${String(res.body)}` : String(res.status);
        statuses[key] = (statuses[key] ?? 0) + 1;
      }));
    });
    await Promise.all(inflight);
    const accepted = (statuses['201'] ?? 0) + (statuses['200'] ?? 0);
    this.callsSinceBaseline += accepted;
    return { latencies, statuses, accepted, maxLagMs: paced.maxLagMs, durationMs: paced.durationMs };
  }

  async floorCalls(calls: FloorCalls): Promise<{ originated: number; originateErrors: number }> {
    const before = await this.floor.call<Extract<FloorReply, { ok: boolean }>>({ cmd: 'stats' });
    const after = await this.floor.call<Extract<FloorReply, { ok: boolean }>>({ cmd: 'calls', calls }, 600000);
    return { originated: (after.originated ?? 0) - (before.originated ?? 0), originateErrors: (after.originateErrors ?? 0) - (before.originateErrors ?? 0) };
  }

  /** Reference calls on either lane; returns how many were placed (and the API figures for the engine). */
  async referenceCalls(lane: LaneName, count: number, rate: number): Promise<{ placed: number; api?: EngineLoad }> {
    if (lane === 'engine') {
      const api = await this.engineCalls(this.referenceFlowId, REF_NUMBER, count, rate);
      return { placed: api.accepted, api };
    }
    const res = await this.floorCalls({ kind: 'reference', count, rate, endpoint: ENDPOINT(REF_NUMBER), callerId: CALLER_ID });
    return { placed: res.originated };
  }

  async holdCalls(lane: LaneName, count: number, rate: number, holdMs = HOLD_MS): Promise<number> {
    if (lane === 'engine') {
      const flowId = await this.createFlow(holdFlow(holdMs));
      return (await this.engineCalls(flowId, HOLD_NUMBER, count, rate)).accepted;
    }
    return (await this.floorCalls({ kind: 'hold', count, rate, endpoint: ENDPOINT(HOLD_NUMBER), callerId: CALLER_ID, holdMs })).originated;
  }

  /** Far-end hangups (the simulator's control API) of every live call of the lane, then waits until they are gone. */
  async hangUpAll(lane: LaneName, timeoutMs: number): Promise<void> {
    const reply = await this.proxy.call<{ ids: string[] }>({ cmd: 'live-ids', lane });
    const sent: Array<Promise<number>> = [];
    await pace(reply.ids.length, HANGUP_RATE, (i) => {
      sent.push(postJson(this.simUrl, `/sim/channels/${encodeURIComponent(reply.ids[i] ?? '')}/hangup`, {}));
    });
    await Promise.all(sent);
    await this.drain(lane, 0, 0, timeoutMs);
  }

  /** Waits until every placed call was originated and the lane is back to `live` calls. */
  async drain(lane: LaneName, placed: number, live: number, timeoutMs: number): Promise<{ drained: boolean; ms: number }> {
    const start = performance.now();
    const drained = await waitUntil(async () => {
      const c = await this.counts(lane);
      return c.originates >= placed && c.live <= live;
    }, timeoutMs, 50);
    return { drained, ms: performance.now() - start };
  }

  async traceOneCall(lane: LaneName): Promise<TraceEntry[]> {
    await this.resetProxy();
    await this.proxy.call({ cmd: 'trace-start', lane });
    const { placed } = await this.referenceCalls(lane, 1, 1);
    await this.drain(lane, placed, 0, 10000);
    const reply = await this.proxy.call<{ trace: TraceEntry[] }>({ cmd: 'trace-stop', lane });
    return reply.trace;
  }

  /** One reference call through the API, then its session as GET /sessions/{id} shows it. */
  async sessionOfOneCall(): Promise<{ state: string; timelineEvents: number; variables: unknown }> {
    const created = await this.api.request('POST', '/sessions/outgoing', { flowId: this.referenceFlowId, numberToDial: REF_NUMBER, callerId: CALLER_ID });
    const id = (created.body as { id?: unknown } | undefined)?.id;
    if (typeof id !== 'string') throw new Error(`POST /sessions/outgoing answered ${created.status}: ${JSON.stringify(created.body)}`);
    let session: { state?: string; timeline?: unknown[]; variables?: unknown } = {};
    await waitUntil(async () => {
      session = (await this.api.request('GET', `/sessions/${id}`)).body as typeof session;
      return session.state !== undefined && !['queued', 'dialing', 'ringing', 'in-progress'].includes(session.state);
    }, 10000, 50);
    return { state: session.state ?? 'unknown', timelineEvents: session.timeline?.length ?? 0, variables: session.variables };
  }

  async stop(): Promise<void> {
    this.api?.close();
    await Promise.allSettled([
      this.floor?.stop(),
      // SIGTERM: the engine's own graceful stop (and the CPU profile, when asked, is written then).
      this.engine?.stop('SIGTERM', 10000),
    ]);
    await Promise.allSettled([this.proxy?.stop(), this.sim?.stop()]);
    rmSync(this.dir, { recursive: true, force: true });
  }
}

function kindChange(before: Record<string, number>, after: Record<string, number>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const kind of new Set([...Object.keys(before), ...Object.keys(after)])) {
    const change = (after[kind] ?? 0) - (before[kind] ?? 0);
    if (change !== 0) out[kind] = change;
  }
  return out;
}

function cpuOf(child: Child): number {
  return cpuMs(child.pid) ?? 0;
}

/**
 * Waits until the engine and the floor (they share CPU 1) are idle: work left over from a phase
 * (the engine's write-behind, GC) must not slow the next one down, least of all the floor's.
 */
async function settle(b: Bench): Promise<void> {
  const deadline = performance.now() + 15000;
  while (performance.now() < deadline) {
    const before = cpuOf(b.engine) + cpuOf(b.floor);
    await sleep(300);
    if (cpuOf(b.engine) + cpuOf(b.floor) - before <= 30) return;
  }
}

async function latencyLevel(b: Bench, lane: LaneName, level: number, lifetimeMs: number): Promise<LatencyRow> {
  const probes = PLAN.probes(level);
  // Probe calls themselves are live for about one lifetime: at `rate`, rate × lifetime of them.
  const rate = Math.max(5, Math.min(50, Math.round(level / (lifetimeMs / 1000))));
  const probeLive = Math.round((rate * lifetimeMs) / 1000);
  const background = Math.max(0, level - probeLive);
  await settle(b);
  await b.resetProxy();
  if (background > 0) {
    const placed = await b.holdCalls(lane, background, PLAN.backgroundRate);
    await waitUntil(async () => (await b.counts(lane)).live >= placed, 30000, 50);
  }
  await b.resetProxy();
  const liveSamples: number[] = [];
  let sampling = true;
  const sampler = (async () => {
    while (sampling) {
      liveSamples.push((await b.counts(lane)).live);
      await sleep(100);
    }
  })();
  const { placed, api } = await b.referenceCalls(lane, probes, rate);
  await b.drain(lane, placed, background, lifetimeMs * 4 + 10000);
  sampling = false;
  await sampler;
  const report = (await b.proxyReport())[lane];
  await b.hangUpAll(lane, 30000);
  const meanLive = liveSamples.length ? liveSamples.reduce((a, v) => a + v, 0) / liveSamples.length : 0;
  return {
    lane, level, background, probes: placed, probeRate: rate, liveObserved: round(meanLive, 0),
    apiMs: api ? summarize(api.latencies) : undefined,
    stasisToFirstRequestMs: report.stasisToFirstRequestMs,
    dtmfToNextRequestMs: report.dtmfToNextRequestMs,
  };
}

async function cpuPerCall(b: Bench, lane: LaneName, lifetimeMs: number): Promise<CpuFigures> {
  await settle(b);
  await b.resetProxy();
  const child = lane === 'engine' ? b.engine : b.floor;
  const before = cpuOf(child);
  const splitBefore = cpuSplitMs(child.pid);
  const simBefore = cpuOf(b.sim);
  const tripsBefore = lane === 'engine' ? await b.sqlTrips() : 0;
  const { placed } = await b.referenceCalls(lane, PLAN.cpuCalls, PLAN.cpuRate);
  await b.drain(lane, placed, 0, lifetimeMs * 4 + 20000);
  const used = cpuOf(child) - before;
  const splitAfter = cpuSplitMs(child.pid);
  const completed = (await b.counts(lane)).destroyed;
  let trips = 0;
  if (lane === 'engine') {
    // The writes the calls left queued (their last commits) belong to them.
    await settle(b);
    trips = (await b.sqlTrips()) - tripsBefore;
  }
  return {
    calls: completed, cpuMs: round(used, 0),
    perCallMs: completed > 0 ? round(used / completed) : 0,
    ...(splitBefore && splitAfter && completed > 0 ? {
      kernelPerCallMs: round((splitAfter.system - splitBefore.system) / completed),
    } : {}),
    simPerCallMs: completed > 0 ? round((cpuOf(b.sim) - simBefore) / completed) : 0,
    ...(lane === 'engine' && completed > 0 && tripsBefore >= 0 ? { sqlTripsPerCall: round(trips / completed, 2) } : {}),
  };
}

/**
 * The CPU-per-call phase again, with the engine restarted on PostgreSQL (a fresh database on
 * PG_BENCH_URL): the engine's CPU, and the CPU of the PostgreSQL backends serving it (its pool's
 * connections; the server's shared processes, WAL writer and checkpointer, are not counted).
 */
async function postgresPhase(b: Bench, lifetimeMs: number, sqlite: CpuFigures, floor: CpuFigures, cleanups: Array<() => Promise<void>>): Promise<PostgresCpu | { skipped: string }> {
  if (process.env.BENCH_POSTGRES === '0') return { skipped: 'BENCH_POSTGRES=0' };
  const admin = new pg.Client({ connectionString: PG_BENCH_URL, connectionTimeoutMillis: 3000 });
  try {
    await admin.connect();
  } catch (err) {
    return { skipped: `no PostgreSQL at PG_BENCH_URL (${(err as Error).message})` };
  }
  const name = `bench_${randomBytes(4).toString('hex')}`;
  await admin.query(`CREATE DATABASE ${name}`);
  cleanups.push(async () => {
    await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`).catch(() => undefined);
    await admin.end();
  });
  const url = new URL(PG_BENCH_URL);
  url.pathname = `/${name}`;
  log('CPU per call on PostgreSQL: the engine restarted with DATABASE_URL (a fresh database)');
  await b.switchToPostgres(url.toString());
  await b.resetProxy();
  const warm = await b.referenceCalls('engine', PLAN.warmupCalls, 100);
  await b.drain('engine', warm.placed, 0, 30000);
  const backends = async (): Promise<Map<number, number>> => {
    const rows = (await admin.query<{ pid: number }>('SELECT pid FROM pg_stat_activity WHERE datname = $1', [name])).rows;
    return new Map(rows.map((r) => [r.pid, cpuMs(r.pid) ?? 0]));
  };
  const before = await backends();
  // Without SQLite's statement count (the probe counts better-sqlite3 statements: none here).
  const { sqlTripsPerCall: _none, ...engine } = await cpuPerCall(b, 'engine', lifetimeMs);
  const after = await backends();
  let serverMs = 0;
  for (const [pid, ms] of after) serverMs += ms - (before.get(pid) ?? 0);
  return {
    engine,
    serverPerCallMs: engine.calls > 0 ? round(serverMs / engine.calls) : 0,
    vsSqlite: ratio(engine.perCallMs, sqlite.perCallMs),
    vsFloor: ratio(engine.perCallMs, floor.perCallMs),
  };
}

async function throughputStep(b: Bench, rate: number, lifetimeMs: number): Promise<ThroughputStep> {
  await settle(b);
  await b.resetProxy();
  const count = Math.round(rate * PLAN.stepSec);
  const cpu0 = { engine: cpuOf(b.engine), sim: cpuOf(b.sim), proxy: cpuOf(b.proxy), harness: process.cpuUsage() };
  const start = performance.now();
  const load = await b.engineCalls(b.referenceFlowId, REF_NUMBER, count, rate);
  const loadEnd = performance.now();
  // Sessions queue when the engine originates later than the API accepted them.
  const caughtUp = await waitUntil(async () => (await b.counts('engine')).originates >= load.accepted, 1000, 20);
  const drain = await b.drain('engine', load.accepted, 0, lifetimeMs * 3 + 3000);
  const elapsedSec = (performance.now() - start) / 1000;
  const report = (await b.proxyReport()).engine;
  const harness = process.cpuUsage(cpu0.harness);
  const api = summarize(load.latencies);
  const errors = count - load.accepted;
  const loadSec = (loadEnd - start) / 1000;
  const harnessCpuMs = cpuOf(b.sim) - cpu0.sim + cpuOf(b.proxy) - cpu0.proxy + (harness.user + harness.system) / 1000;
  const sustained = errors === 0 && api.p99 < 50 && caughtUp && drain.drained && drain.ms <= lifetimeMs * 2 + 1000;
  return {
    rate, calls: count, accepted: load.accepted, errors, statuses: load.statuses, apiMs: api,
    completedPerSec: round(report.channelsDestroyed / (loadSec + drain.ms / 1000), 1),
    originatesCaughtUp: caughtUp, drainMs: round(drain.ms, 0), maxLive: report.maxLive,
    stasisToFirstRequestMs: report.stasisToFirstRequestMs, dtmfToNextRequestMs: report.dtmfToNextRequestMs,
    engineCpuPct: round(((cpuOf(b.engine) - cpu0.engine) / (elapsedSec * 1000)) * 100, 0),
    harnessCpuPct: round((harnessCpuMs / (elapsedSec * 1000)) * 100, 0),
    driverMaxLagMs: round(load.maxLagMs, 1),
    sustained,
  };
}

async function main(): Promise<void> {
  const started = new Date();
  const t0 = performance.now();
  const b = new Bench();
  const cleanups: Array<() => Promise<void>> = [];
  const cleanup = (): void => {
    void b.stop().finally(() => process.exit(130));
  };
  process.once('SIGINT', cleanup);
  try {
    log(`starting simulator, proxy, engine and floor${b.pinned ? ' (engine and floor pinned to CPU 1, the rest to CPU 0)' : ' (no CPU pinning: fewer than 2 CPUs or no taskset)'}`);
    await b.start();
    await b.seed();

    log('request sequence of one reference call: engine vs floor');
    const engineTrace = await b.traceOneCall('engine');
    const floorTrace = await b.traceOneCall('floor');
    const engineSeq = normalizeTrace(engineTrace);
    const floorSeq = normalizeTrace(floorTrace);
    const lastEvent = [...engineTrace].reverse().find((e) => e.kind === 'event' && e.type === 'ChannelDestroyed');
    const lifetimeMs = Math.max(200, Math.round(lastEvent?.t ?? 1000));
    log(`  one call lives ${lifetimeMs} ms; engine sends ${engineSeq.length} requests, floor ${floorSeq.length}`);
    for (const line of compareSequences(engineSeq, floorSeq)) log(`  differs: ${line}`);
    if (process.env.BENCH_VERBOSE === '1') {
      for (const e of engineTrace) log(`  engine ${round(e.t, 1)} ${e.kind} ${e.type ?? `${e.method} ${e.path}?${e.query} ${e.body ?? ''} → ${e.status}`}`);
      for (const e of floorTrace) log(`  floor ${round(e.t, 1)} ${e.kind} ${e.type ?? `${e.method} ${e.path}?${e.query} ${e.body ?? ''} → ${e.status}`}`);
    }

    const oneSession = await b.sessionOfOneCall();
    log(`  a reference session ends ${oneSession.state} with ${oneSession.timelineEvents} timeline events, variables ${JSON.stringify(oneSession.variables)}`);
    if (oneSession.state !== 'completed') throw new Error(`the reference flow did not complete (state ${oneSession.state}): the figures would be meaningless`);

    log(`warm-up: ${PLAN.warmupCalls} reference calls each`);
    for (const lane of ['engine', 'floor'] as const) {
      await b.resetProxy();
      const { placed } = await b.referenceCalls(lane, PLAN.warmupCalls, 100);
      await b.drain(lane, placed, 0, 30000);
    }

    // The leak baseline comes before the held calls: memory must come back after they end too.
    await settle(b);
    const leakBaseline = await b.memory();
    b.callsSinceBaseline = 0;
    if (HEAP_SNAPSHOTS) await b.heapSnapshot('baseline');

    log(`concurrency: ${PLAN.holdCalls} live calls held (pause flow), ramp ${PLAN.holdRate}/s`);
    await b.resetProxy();
    const memBefore = leakBaseline;
    const rampMs = (PLAN.holdCalls / PLAN.holdRate) * 1000;
    const placedHold = await b.holdCalls('engine', PLAN.holdCalls, PLAN.holdRate);
    // The engine may originate slower than the calls are offered: wait for all of them.
    await waitUntil(async () => (await b.counts('engine')).live >= placedHold, rampMs + 30000, 100);
    const heldLive = (await b.counts('engine')).live;
    await b.engine.call({ probe: 'eld-start' });
    await sleep(PLAN.holdWindowMs);
    const eldReply = await b.engine.call<{ eld?: { p50: number; p99: number; max: number; mean: number; count: number } }>({ probe: 'eld-stop' });
    const memHeld = await b.memory();
    const liveAtSample = (await b.counts('engine')).live;
    await b.hangUpAll('engine', 60000);
    const holdReport = (await b.proxyReport()).engine;
    const heldSessions = Math.min(heldLive, liveAtSample) || 1;

    const latency: LatencyRow[] = [];
    for (const level of PLAN.levels) {
      for (const lane of ['engine', 'floor'] as const) {
        log(`latency at ${level} live calls: ${lane}`);
        latency.push(await latencyLevel(b, lane, level, lifetimeMs));
      }
    }

    log(`CPU per call: ${PLAN.cpuCalls} reference calls at ${PLAN.cpuRate}/s each`);
    const cpuEngine = await cpuPerCall(b, 'engine', lifetimeMs);
    const cpuFloor = await cpuPerCall(b, 'floor', lifetimeMs);

    const steps: ThroughputStep[] = [];
    for (const rate of PLAN.rates) {
      log(`throughput: ${rate} calls/s for ${PLAN.stepSec} s`);
      const step = await throughputStep(b, rate, lifetimeMs);
      steps.push(step);
      log(`  API p99 ${step.apiMs.p99} ms, errors ${step.errors}, completed ${step.completedPerSec}/s, engine CPU ${step.engineCpuPct}%, ${step.sustained ? 'sustained' : 'NOT sustained'}`);
      if (!step.sustained) break;
    }
    const best = steps.filter((s) => s.sustained).reduce<ThroughputStep | undefined>((a, s) => (!a || s.rate > a.rate ? s : a), undefined);

    // The leak check tops the calls up to PLAN.leakCalls at a rate the engine sustains, within the
    // time budget: a slow engine gets fewer calls and no verdict (the report says so).
    const needed = Math.max(0, PLAN.leakCalls - b.callsSinceBaseline);
    const topUpRate = Math.max(50, Math.min(400, Math.floor((best?.rate ?? 50) * 0.8)));
    const remainingSec = (BUDGET_OVERRIDE ?? PLAN.budgetSec) - (performance.now() - t0) / 1000 - 15;
    const topUp = Math.min(needed, Math.max(0, Math.floor(remainingSec * topUpRate)));
    if (topUp > 0) {
      const rate = topUpRate;
      log(`leak check: ${topUp} more calls at ${rate}/s (${b.callsSinceBaseline} since the baseline so far${topUp < needed ? `; ${needed} needed, the time budget allows ${topUp}` : ''})`);
      await b.resetProxy();
      const load = await b.engineCalls(b.referenceFlowId, REF_NUMBER, topUp, rate);
      await b.drain('engine', load.accepted, 0, lifetimeMs * 4 + 30000);
    }
    await settle(b);
    const leakFinal = await b.memory();
    if (HEAP_SNAPSHOTS) await b.heapSnapshot('final');
    const finalReport = (await b.proxyReport()).engine;
    const postgres = await postgresPhase(b, lifetimeMs, cpuEngine, cpuFloor, cleanups);

    const results: BenchResults = {
      startedAt: started.toISOString(),
      durationSec: 0,
      quick: QUICK,
      machine: {
        cpus: cpus().length, cpuModel: cpus()[0]?.model ?? 'unknown', node: process.version,
        pinning: `${b.pinned ? 'engine and floor on CPU 1; simulator, proxy and load generator on CPU 0 (taskset)' : 'none'}${b.proxyReniced ? '; proxy at nice -10' : ''}`,
      },
      setup: {
        sessionTimelineEvents: oneSession.timelineEvents,
        soundMs: SOUND_MS, answerAfterMs: ANSWER_MS, dtmfDelayMs: DTMF_DELAY_MS, callLifetimeMs: lifetimeMs,
        referenceFlow: REFERENCE_FLOW,
      },
      requestSequence: { engine: engineSeq, floor: floorSeq, differences: compareSequences(engineSeq, floorSeq) },
      latency,
      cpuPerCall: {
        engine: cpuEngine, floor: cpuFloor, ratio: ratio(cpuEngine.perCallMs, cpuFloor.perCallMs), postgres,
      },
      throughput: { steps, maxSustainedRate: best?.rate ?? 0, completedPerSecAtMax: best?.completedPerSec ?? 0 },
      concurrency: {
        target: PLAN.holdCalls, reached: heldSessions, maxLive: holdReport.maxLive,
        before: memBefore, held: memHeld,
        rssPerSessionBytes: Math.round((memHeld.rssBytes - memBefore.rssBytes) / heldSessions),
        heapPerSessionBytes: Math.round((memHeld.heapUsedBytes - memBefore.heapUsedBytes) / heldSessions),
        eventLoopDelayMs: eldReply.eld ?? null,
      },
      leak: {
        callsSinceBaseline: b.callsSinceBaseline, baseline: leakBaseline, final: leakFinal,
        rssChangePct: round(((leakFinal.rssBytes - leakBaseline.rssBytes) / leakBaseline.rssBytes) * 100, 2),
        heapChangePct: round(((leakFinal.heapUsedBytes - leakBaseline.heapUsedBytes) / leakBaseline.heapUsedBytes) * 100, 2),
        heapDataChangePct: round((((leakFinal.heapUsedBytes - leakFinal.heapCodeBytes) - (leakBaseline.heapUsedBytes - leakBaseline.heapCodeBytes)) / (leakBaseline.heapUsedBytes - leakBaseline.heapCodeBytes)) * 100, 2),
        listenersChange: leakFinal.listeners - leakBaseline.listeners,
        listenersChangeByKind: kindChange(leakBaseline.listenersByKind, leakFinal.listenersByKind),
      },
      ariSockets: {
        maxOpen: finalReport.httpSocketsMaxOpenTotal, used: finalReport.httpSocketsUsedTotal, webSockets: finalReport.webSockets,
        firstRequestsAtMax: finalReport.httpSocketsFirstRoutesAtMax,
      },
      engineLogLines: b.engine.lines,
      targets: [],
    };
    results.targets = evaluateTargets(results);
    results.durationSec = round((performance.now() - t0) / 1000, 1);

    const dir = join(ROOT, 'bench/results');
    mkdirSync(dir, { recursive: true });
    const stamp = started.toISOString().replace(/[:.]/g, '-');
    const text = `${JSON.stringify(results, null, 2)}\n`;
    writeFileSync(join(dir, `${stamp}.json`), text);
    writeFileSync(join(dir, 'latest.json'), text);
    printReport(results);
    log(`results: bench/results/${stamp}.json and bench/results/latest.json`);
    if (b.engine.lines > 0) log(`the engine wrote ${b.engine.lines} log lines at warn level or above; last ones:\n${b.engine.output()}`);
  } catch (err) {
    for (const child of [b.engine, b.floor, b.proxy, b.sim]) {
      if (child && child.lines > 0) process.stderr.write(`last output of ${child.name}:\n${child.output()}\n`);
    }
    throw err;
  } finally {
    process.off('SIGINT', cleanup);
    await withTimeout(b.stop(), 20000, 'stopping the children took too long').catch((err: unknown) => {
      log(String(err));
    });
    for (const c of cleanups) await c();
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`bench failed: ${err instanceof Error ? err.stack ?? err.message : String(err)}\n`);
  process.exitCode = 1;
});

