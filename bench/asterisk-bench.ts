// `npm run bench:asterisk`: the reference call (bench/lib/reference-flow.ts) on a real Asterisk,
// placed through the engine and through the floor (bench/floor.ts) in one run, with the CPU each
// of them spends per call and what Asterisk itself spends per call meanwhile.
// Processes: the measuring ARI proxy (bench/ari-proxy.ts, pointed at the Asterisk), the engine as
// `npm start` runs it (src/main.ts, nothing preloaded), the floor; Asterisk is read from /proc.
// CPU of a process = utime + stime from /proc/<pid>/stat (every thread) over a phase. The lanes
// take turns, round after round (engine then floor, then floor then engine, ...), so that a load
// change on the shared machine falls on both. Asterisk's own figure has its idle rate, measured
// just before each phase, taken out. Settings (environment) and how to read the output:
// docs/benchmarks.md ("On a real Asterisk").
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createServer } from 'node:net';
import { performance } from 'node:perf_hooks';
import { randomBytes } from 'node:crypto';
import { Child, withTimeout } from './lib/child.js';
import { ApiClient, getStatus } from './lib/api.js';
import { sleep } from './lib/pacer.js';
import { cpuMs } from './lib/proc.js';
import { ratio, round } from './lib/stats.js';
import { compareSequences, normalizeTrace } from './lib/sequence.js';
import { floorMedia, referenceFlow, type ReferenceSounds } from './lib/reference-flow.js';
import type { LaneCounts, LaneName, LaneReport, ProxyReply, TraceEntry } from './ari-proxy.js';
import type { FloorReply } from './floor.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

const USAGE = `npm run bench:asterisk places the reference call on a real Asterisk. It needs:
  BENCH_ARI_URL        the Asterisk's ARI, e.g. http://127.0.0.1:8088 (loaded with asterisk-config/)
  BENCH_ARI_PASSWORD   the password of an ARI user with write access
  BENCH_ASTERISK_PID   the Asterisk process, e.g. $(cat <astrundir>/asterisk.pid), to read its CPU
optional:
  BENCH_ARI_USERNAME   default engine
  BENCH_ENDPOINT       the callee, answering and pressing 1 (default Local/dtmf1@test-callees)
  BENCH_CALLS          calls per lane and round (default 40), BENCH_RATE calls/s (default 2),
  BENCH_ROUNDS         rounds (default 3)`;

/**
 * Sounds of Asterisk's English core set. The callee (`dtmf1` in [test-callees]) presses 1 four
 * seconds after it answers: the 16 s prompt is still playing then (the welcome takes 1.4 s), so
 * the digit interrupts it (barge-in), as in the simulator bench.
 */
const SOUNDS: ReferenceSounds = {
  welcome: 'sound:hello-world', prompt: 'sound:vm-options', thanks: 'sound:auth-thankyou', other: 'sound:goodbye',
};
const REF_NUMBER = '+14155550101';
const CALLER_ID = '+12125551234';
const ACCOUNT = 'bench';
const WARMUP_CALLS = 20;
const IDLE_SAMPLE_MS = 3000;

interface Settings {
  ariUrl: URL;
  username: string;
  password: string;
  asteriskPid: number;
  endpoint: string;
  calls: number;
  rate: number;
  rounds: number;
}

function positive(name: string, fallback: number): number {
  const text = process.env[name];
  if (text === undefined || text === '') return fallback;
  const value = Number(text);
  if (!Number.isFinite(value) || value <= 0) throw new Error(`${name} must be a positive number, not ${text}`);
  return value;
}

function settings(): Settings {
  const missing = ['BENCH_ARI_URL', 'BENCH_ARI_PASSWORD', 'BENCH_ASTERISK_PID'].filter((n) => !process.env[n]);
  if (missing.length > 0) throw new Error(`${missing.join(', ')} not set.\n\n${USAGE}`);
  let ariUrl: URL;
  try {
    ariUrl = new URL(process.env.BENCH_ARI_URL ?? '');
  } catch {
    throw new Error(`BENCH_ARI_URL is not a URL: ${process.env.BENCH_ARI_URL}\n\n${USAGE}`);
  }
  const asteriskPid = Number(process.env.BENCH_ASTERISK_PID);
  let comm = '';
  try {
    comm = readFileSync(`/proc/${asteriskPid}/comm`, 'utf8').trim();
  } catch {
    throw new Error(`BENCH_ASTERISK_PID=${process.env.BENCH_ASTERISK_PID}: no such process here (/proc/<pid>/stat is read: Linux, same machine)`);
  }
  if (!comm.startsWith('asterisk')) throw new Error(`BENCH_ASTERISK_PID=${asteriskPid} is "${comm}", not asterisk`);
  return {
    ariUrl, asteriskPid,
    username: process.env.BENCH_ARI_USERNAME || 'engine',
    password: process.env.BENCH_ARI_PASSWORD ?? '',
    endpoint: process.env.BENCH_ENDPOINT || 'Local/dtmf1@test-callees',
    calls: Math.round(positive('BENCH_CALLS', 40)),
    rate: positive('BENCH_RATE', 2),
    rounds: Math.round(positive('BENCH_ROUNDS', 3)),
  };
}

function log(text: string): void {
  process.stdout.write(`${new Date().toISOString().slice(11, 19)} ${text}\n`);
}

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

async function waitUntil(check: () => Promise<boolean>, timeoutMs: number, pollMs = 100): Promise<boolean> {
  const deadline = performance.now() + timeoutMs;
  while (performance.now() < deadline) {
    if (await check()) return true;
    await sleep(pollMs);
  }
  return check();
}

/** One lane's phase: its calls, the CPU of the lane's process and of Asterisk over the phase. */
interface Phase {
  round: number;
  lane: LaneName;
  placed: number;
  completed: number;
  wallMs: number;
  laneCpuMs: number;
  asteriskCpuMs: number;
  /** Asterisk's CPU in ms per second of wall time, measured idle just before the phase. */
  asteriskIdleMsPerSec: number;
  requestsByRoute: Record<string, number>;
  loadAverage: number[];
}

class RealBench {
  proxy!: Child;
  engine!: Child;
  floor!: Child;
  api!: ApiClient;
  enginePort = 0;
  flowId = '';
  readonly dir = mkdtempSync(join(tmpdir(), 'engine-asterisk-bench-'));
  readonly secret = randomBytes(32).toString('hex');
  // Own application names: an engine or a test run on the same Asterisk keeps its events.
  readonly suffix = randomBytes(3).toString('hex');

  constructor(readonly s: Settings) {}

  async start(): Promise<void> {
    const baseEnv = { PATH: process.env.PATH, HOME: process.env.HOME, NODE_ENV: 'production' };
    this.proxy = new Child({ name: 'proxy', cwd: ROOT, args: ['--import', 'tsx', 'bench/ari-proxy.ts'], env: { ...baseEnv, PROXY_TARGET: this.s.ariUrl.origin } });
    const proxyReady = (await this.proxy.ready()) as unknown as Extract<ProxyReply, { type: 'ready' }>;

    const routesFile = join(this.dir, 'routes.json');
    writeFileSync(routesFile, JSON.stringify({ rules: [{ match: REF_NUMBER, endpoint: this.s.endpoint }] }));
    this.enginePort = await freePort();
    this.engine = new Child({
      name: 'engine', cwd: ROOT,
      args: ['--import', 'tsx', 'src/main.ts'],
      env: {
        ...baseEnv,
        PORT: String(this.enginePort), HOST: '127.0.0.1',
        JWT_SECRET: this.secret,
        DATABASE_PATH: join(this.dir, 'engine.sqlite'),
        ARI_URL: `http://127.0.0.1:${proxyReady.ports.engine}`,
        ARI_USERNAME: this.s.username, ARI_PASSWORD: this.s.password, ARI_APP: `bench-engine-${this.suffix}`,
        ROUTES_FILE: routesFile,
        MAX_LIVE_CALLS_PER_ACCOUNT: '100000', MAX_CALLS_PER_SECOND_PER_ACCOUNT: '100000',
        UNAUTHENTICATED_PER_MINUTE: '1000000',
        DRAIN_TIMEOUT_MS: '0',
        LOG_LEVEL: 'warn',
      },
    });
    const ready = await waitUntil(async () => (await getStatus(this.enginePort, '/ready')) === 200, 60000, 200);
    if (!ready) throw new Error(`engine not ready after 60 s (GET /ready):\n${this.engine.output()}`);

    this.floor = new Child({
      name: 'floor', cwd: ROOT, args: ['--import', 'tsx', 'bench/floor.ts'],
      env: {
        ...baseEnv, ARI_URL: `http://127.0.0.1:${proxyReady.ports.floor}`,
        ARI_USERNAME: this.s.username, ARI_PASSWORD: this.s.password, FLOOR_APP: `bench-floor-${this.suffix}`,
      },
    });
    await this.floor.ready();
    await this.floor.call({ cmd: 'media', media: floorMedia(SOUNDS) });

    this.api = new ApiClient(this.enginePort, this.secret, ACCOUNT);
    const number = await this.api.request('POST', '/phone-numbers', { number: CALLER_ID, name: 'bench caller ID', enabled: true });
    if (number.status !== 201 && number.status !== 200) throw new Error(`POST /phone-numbers answered ${number.status}: ${JSON.stringify(number.body)}`);
    const flow = await this.api.request('POST', '/flows', referenceFlow(SOUNDS));
    const id = (flow.body as { id?: unknown } | undefined)?.id;
    if (flow.status !== 201 || (typeof id !== 'string' && typeof id !== 'number')) throw new Error(`POST /flows answered ${flow.status}: ${JSON.stringify(flow.body)}`);
    this.flowId = String(id);
  }

  async counts(lane: LaneName): Promise<LaneCounts> {
    return (await this.proxy.call<{ live: Record<LaneName, LaneCounts> }>({ cmd: 'live' })).live[lane];
  }

  async report(lane: LaneName): Promise<LaneReport> {
    return (await this.proxy.call<{ report: Record<LaneName, LaneReport> }>({ cmd: 'report' })).report[lane];
  }

  laneProcess(lane: LaneName): Child {
    return lane === 'engine' ? this.engine : this.floor;
  }

  /** Places `count` reference calls on the lane at `rate`/s; resolves with how many were accepted. */
  async place(lane: LaneName, count: number, rate: number): Promise<number> {
    if (lane === 'floor') {
      const before = await this.floor.call<Extract<FloorReply, { ok: boolean }>>({ cmd: 'stats' });
      const after = await this.floor.call<Extract<FloorReply, { ok: boolean }>>({ cmd: 'calls', calls: { kind: 'reference', count, rate, endpoint: this.s.endpoint, callerId: CALLER_ID } }, 600000);
      return (after.originated ?? 0) - (before.originated ?? 0);
    }
    const body = { flowId: this.flowId, numberToDial: REF_NUMBER, callerId: CALLER_ID };
    const answers: Array<Promise<boolean>> = [];
    const gapMs = 1000 / rate;
    const start = performance.now();
    for (let i = 0; i < count; i++) {
      const due = start + i * gapMs - performance.now();
      if (due > 0) await sleep(due);
      answers.push(this.api.request('POST', '/sessions/outgoing', body, false).then((r) => r.status === 201 || r.status === 200));
    }
    return (await Promise.all(answers)).filter(Boolean).length;
  }

  /** Until every placed call was originated and has ended (ChannelDestroyed). */
  async drain(lane: LaneName, placed: number, timeoutMs: number): Promise<boolean> {
    return waitUntil(async () => {
      const c = await this.counts(lane);
      return c.originates >= placed && c.live === 0;
    }, timeoutMs, 100);
  }

  /** Until the process uses less than 3 % of a CPU (the engine's last writes, GC): that work belongs to the calls. */
  async idle(pid: number, timeoutMs = 10000): Promise<void> {
    const deadline = performance.now() + timeoutMs;
    while (performance.now() < deadline) {
      const before = cpuMs(pid) ?? 0;
      await sleep(500);
      if ((cpuMs(pid) ?? 0) - before <= 15) return;
    }
  }

  async traceOneCall(lane: LaneName): Promise<TraceEntry[]> {
    await this.proxy.call({ cmd: 'reset' });
    await this.proxy.call({ cmd: 'trace-start', lane });
    const placed = await this.place(lane, 1, 1);
    if (!(await this.drain(lane, placed, 60000))) throw new Error(`the ${lane}'s traced call did not end within 60 s`);
    return (await this.proxy.call<{ trace: TraceEntry[] }>({ cmd: 'trace-stop', lane })).trace;
  }

  async phase(roundNo: number, lane: LaneName): Promise<Phase> {
    const proc = this.laneProcess(lane);
    await Promise.all([this.idle(this.engine.pid), this.idle(this.floor.pid)]);
    const idleStart = cpuMs(this.s.asteriskPid) ?? 0;
    const idleT0 = performance.now();
    await sleep(IDLE_SAMPLE_MS);
    const asteriskIdleMsPerSec = ((cpuMs(this.s.asteriskPid) ?? 0) - idleStart) / ((performance.now() - idleT0) / 1000);

    await this.proxy.call({ cmd: 'reset' });
    const t0 = performance.now();
    const lane0 = cpuMs(proc.pid) ?? 0;
    const ast0 = cpuMs(this.s.asteriskPid) ?? 0;
    const placed = await this.place(lane, this.s.calls, this.s.rate);
    const drained = await this.drain(lane, placed, 120000);
    if (!drained) throw new Error(`${lane}: calls still up 120 s after the last was placed (${JSON.stringify(await this.counts(lane))})`);
    await this.idle(proc.pid);
    const wallMs = performance.now() - t0;
    const laneCpuMs = (cpuMs(proc.pid) ?? 0) - lane0;
    const asteriskCpuMs = (cpuMs(this.s.asteriskPid) ?? 0) - ast0;
    const report = await this.report(lane);
    return {
      round: roundNo, lane, placed, completed: report.channelsDestroyed, wallMs: round(wallMs, 0), laneCpuMs, asteriskCpuMs,
      asteriskIdleMsPerSec: round(asteriskIdleMsPerSec, 2), requestsByRoute: report.requestsByRoute,
      loadAverage: loadavg().map((l) => round(l, 2)),
    };
  }

  async completedSessions(): Promise<Record<string, number>> {
    const out: Record<string, number> = {};
    for (const state of ['completed', 'failed', 'busy', 'no-answer', 'canceled']) {
      const res = await this.api.request('GET', `/sessions?state=${state}&countPerPage=1`);
      out[state] = (res.body as { totalCount?: number } | undefined)?.totalCount ?? -1;
    }
    return out;
  }

  /** Hangs up, straight through ARI, every channel of either lane still up (a failed run leaves none behind in Asterisk). */
  async hangUpLeftovers(): Promise<number> {
    if (!this.proxy) return 0;
    const auth = `Basic ${Buffer.from(`${this.s.username}:${this.s.password}`).toString('base64')}`;
    let count = 0;
    for (const lane of ['engine', 'floor'] as const) {
      const { ids } = await this.proxy.call<{ ids: string[] }>({ cmd: 'live-ids', lane });
      for (const id of ids) {
        const res = await fetch(new URL(`/ari/channels/${encodeURIComponent(id)}`, this.s.ariUrl), { method: 'DELETE', headers: { authorization: auth } }).catch(() => undefined);
        if (res?.status === 204) count++;
      }
    }
    return count;
  }

  async stop(): Promise<void> {
    this.api?.close();
    await Promise.allSettled([this.floor?.stop(), this.engine?.stop('SIGTERM', 10000)]);
    await Promise.allSettled([this.proxy?.stop()]);
    rmSync(this.dir, { recursive: true, force: true });
  }
}

interface LaneTotals {
  calls: number;
  cpuPerCallMs: number;
  asteriskPerCallMs: number;
  asteriskRawPerCallMs: number;
  /** The lane's CPU per call over Asterisk's (idle taken out). */
  shareOfAsterisk: number;
  requestsPerCall: Record<string, number>;
}

/** a / b to three digits, 0 when b is not positive. */
function share(a: number, b: number): number {
  return b > 0 ? round(a / b, 3) : 0;
}

function totals(phases: Phase[]): LaneTotals {
  const calls = phases.reduce((a, p) => a + p.completed, 0) || 1;
  const lane = phases.reduce((a, p) => a + p.laneCpuMs, 0);
  const asteriskRaw = phases.reduce((a, p) => a + p.asteriskCpuMs, 0);
  const asteriskIdle = phases.reduce((a, p) => a + (p.asteriskIdleMsPerSec * p.wallMs) / 1000, 0);
  const asterisk = Math.max(0, asteriskRaw - asteriskIdle);
  const routes: Record<string, number> = {};
  for (const p of phases) for (const [r, n] of Object.entries(p.requestsByRoute)) routes[r] = (routes[r] ?? 0) + n;
  return {
    calls, cpuPerCallMs: round(lane / calls), asteriskPerCallMs: round(asterisk / calls), asteriskRawPerCallMs: round(asteriskRaw / calls),
    shareOfAsterisk: share(lane, asterisk),
    requestsPerCall: Object.fromEntries(Object.entries(routes).map(([r, n]) => [r, round(n / calls, 2)])),
  };
}

function perRound(phases: Phase[], rounds: number): Array<{ round: number; engineMs: number; floorMs: number; ratio: number | null; engineShareOfAsterisk: number }> {
  const rows = [];
  for (let r = 0; r < rounds; r++) {
    const e = totals(phases.filter((p) => p.round === r && p.lane === 'engine'));
    const f = totals(phases.filter((p) => p.round === r && p.lane === 'floor'));
    rows.push({ round: r + 1, engineMs: e.cpuPerCallMs, floorMs: f.cpuPerCallMs, ratio: ratio(e.cpuPerCallMs, f.cpuPerCallMs), engineShareOfAsterisk: e.shareOfAsterisk });
  }
  return rows;
}

async function main(): Promise<void> {
  const s = settings();
  const info = await fetch(new URL('/ari/asterisk/info', s.ariUrl), { headers: { authorization: `Basic ${Buffer.from(`${s.username}:${s.password}`).toString('base64')}` } }).catch((err: unknown) => err as Error);
  if (info instanceof Error || info.status !== 200) {
    throw new Error(`GET ${s.ariUrl.origin}/ari/asterisk/info: ${info instanceof Error ? info.message : info.status} (is ARI up, are the credentials right?)`);
  }
  const version = ((await info.json()) as { system?: { version?: string } }).system?.version ?? 'unknown';
  const started = new Date();
  const load0 = loadavg().map((l) => round(l, 2));
  log(`Asterisk ${version} at ${s.ariUrl.origin} (pid ${s.asteriskPid}); ${s.rounds} rounds of ${s.calls} calls a lane at ${s.rate}/s to ${s.endpoint}; load average ${load0.join(' ')}`);
  const b = new RealBench(s);
  try {
    await b.start();
    const engineSeq = normalizeTrace(await b.traceOneCall('engine'));
    const floorSeq = normalizeTrace(await b.traceOneCall('floor'));
    log(`one call: the engine sends ${engineSeq.length} requests, the floor ${floorSeq.length}`);
    const differences = compareSequences(engineSeq, floorSeq);
    for (const line of differences) log(`  differs: ${line}`);

    log(`warm-up: ${WARMUP_CALLS} calls a lane`);
    for (const lane of ['engine', 'floor'] as const) {
      await b.proxy.call({ cmd: 'reset' });
      const placed = await b.place(lane, WARMUP_CALLS, s.rate);
      await b.drain(lane, placed, 120000);
    }

    const phases: Phase[] = [];
    for (let r = 0; r < s.rounds; r++) {
      const order: LaneName[] = r % 2 === 0 ? ['engine', 'floor'] : ['floor', 'engine'];
      for (const lane of order) {
        const p = await b.phase(r, lane);
        phases.push(p);
        log(`round ${r + 1} ${lane}: ${p.completed} calls, ${round(p.laneCpuMs / (p.completed || 1))} ms CPU a call, Asterisk ${round(p.asteriskCpuMs / (p.completed || 1))} ms a call (idle ${p.asteriskIdleMsPerSec} ms/s), load ${p.loadAverage.join(' ')}`);
      }
    }
    const sessions = await b.completedSessions();
    const engine = totals(phases.filter((p) => p.lane === 'engine'));
    const floor = totals(phases.filter((p) => p.lane === 'floor'));
    const engineToFloor = ratio(engine.cpuPerCallMs, floor.cpuPerCallMs);
    const met = engineToFloor !== null && engineToFloor <= 1.3 && engine.shareOfAsterisk <= 0.15;
    const results = {
      startedAt: started.toISOString(),
      asterisk: { version, ari: s.ariUrl.origin, pid: s.asteriskPid },
      machine: { cpus: cpus().length, cpuModel: cpus()[0]?.model ?? 'unknown', node: process.version, loadAverageStart: load0, loadAverageEnd: loadavg().map((l) => round(l, 2)) },
      setup: { endpoint: s.endpoint, callsPerLaneAndRound: s.calls, rate: s.rate, rounds: s.rounds, sounds: SOUNDS, idleSampleMs: IDLE_SAMPLE_MS },
      requestSequence: { engine: engineSeq, floor: floorSeq, differences },
      engineSessions: sessions,
      engine, floor,
      engineToFloor,
      engineShareOfAsterisk: engine.shareOfAsterisk,
      floorShareOfAsterisk: floor.shareOfAsterisk,
      rounds: perRound(phases, s.rounds),
      phases,
      targets: {
        engineToFloorAtMost: 1.3, engineShareOfAsteriskAtMost: 0.15,
        met,
      },
    };
    const dir = join(ROOT, 'bench/results');
    mkdirSync(dir, { recursive: true });
    const file = join(dir, `asterisk-${started.toISOString().replace(/[:.]/g, '-')}.json`);
    writeFileSync(file, `${JSON.stringify(results, null, 2)}\n`);

    const pct = (x: number): string => `${round(x * 100, 1)} %`;
    process.stdout.write([
      '',
      `CPU per call on Asterisk ${version} (${engine.calls} engine calls, ${floor.calls} floor calls; engine sessions by state ${JSON.stringify(sessions)})`,
      `  engine   ${engine.cpuPerCallMs} ms   Asterisk meanwhile ${engine.asteriskPerCallMs} ms a call (raw ${engine.asteriskRawPerCallMs})   engine/Asterisk ${pct(engine.shareOfAsterisk)}`,
      `  floor    ${floor.cpuPerCallMs} ms   Asterisk meanwhile ${floor.asteriskPerCallMs} ms a call (raw ${floor.asteriskRawPerCallMs})   floor/Asterisk ${pct(floor.shareOfAsterisk)}`,
      `  engine/floor ${results.engineToFloor}× (target ≤ 1.3×), engine/Asterisk ${pct(engine.shareOfAsterisk)} (target ≤ 15 %): ${results.targets.met ? 'met' : 'NOT met'}`,
      `  by round: ${results.rounds.map((r) => `${r.round}: ${r.engineMs}/${r.floorMs} ms = ${r.ratio}×, ${pct(r.engineShareOfAsterisk)}`).join('; ')}`,
      `  load average at start ${load0.join(' ')}, at end ${results.machine.loadAverageEnd.join(' ')}`,
      `results: ${file.slice(ROOT.length)}`,
      '',
    ].join('\n'));
    if (b.engine.lines > 0) log(`the engine wrote ${b.engine.lines} log lines at warn level or above; last ones:\n${b.engine.output()}`);
  } catch (err) {
    for (const child of [b.engine, b.floor, b.proxy]) {
      if (child && child.lines > 0) process.stderr.write(`last output of ${child.name}:\n${child.output()}\n`);
    }
    const left = await b.hangUpLeftovers().catch(() => 0);
    if (left > 0) log(`hung up ${left} channels the run left up in Asterisk`);
    throw err;
  } finally {
    await withTimeout(b.stop(), 20000, 'stopping the children took too long').catch((err: unknown) => log(String(err)));
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`bench:asterisk failed: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exitCode = 1;
});
