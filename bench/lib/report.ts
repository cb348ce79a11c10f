// The benchmark's result document (written as JSON), its targets (issue 5) and the printed table.
import type { Summary } from './stats.js';
import { ratio } from './stats.js';
import type { LaneName } from '../ari-proxy.js';

export interface MemorySample {
  rssBytes: number;
  heapUsedBytes: number;
  /** Of heapUsed: compiled code (V8 code spaces). */
  heapCodeBytes: number;
  heapTotalBytes: number;
  externalBytes: number;
  /** Live EventEmitter listeners in the engine (bench/engine-probe.mjs). */
  listeners: number;
  /** The same by "Class:event" (largest 30). */
  listenersByKind: Record<string, number>;
}

export interface LatencyRow {
  lane: LaneName;
  /** Live calls aimed at: held background calls plus the probes' own. */
  level: number;
  background: number;
  probes: number;
  probeRate: number;
  liveObserved: number;
  /** POST /sessions/outgoing response time (engine only). */
  apiMs?: Summary;
  stasisToFirstRequestMs: Summary;
  dtmfToNextRequestMs: Summary;
}

export interface ThroughputStep {
  rate: number;
  calls: number;
  accepted: number;
  errors: number;
  statuses: Record<string, number>;
  apiMs: Summary;
  completedPerSec: number;
  originatesCaughtUp: boolean;
  drainMs: number;
  maxLive: number;
  stasisToFirstRequestMs: Summary;
  dtmfToNextRequestMs: Summary;
  engineCpuPct: number;
  /** Simulator + proxy + load generator, all on the other CPU: near 100 % means the bench, not the engine, was the limit. */
  harnessCpuPct: number;
  driverMaxLagMs: number;
  sustained: boolean;
}

export interface CpuFigures {
  calls: number;
  cpuMs: number;
  perCallMs: number;
  /** The part of perCallMs spent in the kernel (stime: sockets, file writes). */
  kernelPerCallMs?: number;
  simPerCallMs: number;
  /** The engine's SQLite statements per call (statements run, execs). */
  sqlTripsPerCall?: number;
}

/** The same CPU-per-call phase with the engine on PostgreSQL (DATABASE_URL), after the SQLite engine's phases. */
export interface PostgresCpu {
  engine: CpuFigures;
  /** The PostgreSQL server processes serving the engine's connections (their backends only). */
  serverPerCallMs: number;
  /** engine on PostgreSQL ÷ engine on SQLite, and ÷ floor. */
  vsSqlite: number | null;
  vsFloor: number | null;
}

export interface Target {
  name: string;
  target: string;
  value: string;
  met: boolean | null;
}

export interface BenchResults {
  startedAt: string;
  durationSec: number;
  quick: boolean;
  machine: { cpus: number; cpuModel: string; node: string; pinning: string };
  setup: { sessionTimelineEvents: number; soundMs: number; answerAfterMs: number; dtmfDelayMs: number; callLifetimeMs: number; referenceFlow: unknown };
  requestSequence: { engine: string[]; floor: string[]; differences: string[] };
  latency: LatencyRow[];
  cpuPerCall: { engine: CpuFigures; floor: CpuFigures; ratio: number | null; postgres?: PostgresCpu | { skipped: string } };
  throughput: { steps: ThroughputStep[]; maxSustainedRate: number; completedPerSecAtMax: number };
  concurrency: {
    target: number;
    reached: number;
    maxLive: number;
    before: MemorySample;
    held: MemorySample;
    rssPerSessionBytes: number;
    heapPerSessionBytes: number;
    eventLoopDelayMs: { p50: number; p99: number; max: number; mean: number; count: number } | null;
  };
  leak: {
    callsSinceBaseline: number;
    baseline: MemorySample;
    final: MemorySample;
    rssChangePct: number;
    heapChangePct: number;
    /** The heap without compiled code: what calls could leave behind. */
    heapDataChangePct: number;
    listenersChange: number;
    listenersChangeByKind: Record<string, number>;
  };
  ariSockets: { maxOpen: number; used: number; webSockets: number; firstRequestsAtMax: Record<string, number> };
  engineLogLines: number;
  targets: Target[];
}

function row(results: BenchResults, lane: LaneName, level: number): LatencyRow | undefined {
  return results.latency.find((r) => r.lane === lane && r.level === level);
}

export function evaluateTargets(r: BenchResults): Target[] {
  const at1000 = row(r, 'engine', 1000);
  const fullLeak = r.leak.callsSinceBaseline >= 20000;
  const targets: Target[] = [
    {
      name: 'CPU per call vs floor', target: '≤ 2× floor',
      value: `${r.cpuPerCall.engine.perCallMs} ms vs ${r.cpuPerCall.floor.perCallMs} ms (${r.cpuPerCall.ratio ?? 'n/a'}×)`,
      met: r.cpuPerCall.ratio === null ? null : r.cpuPerCall.ratio <= 2,
    },
    {
      name: 'StasisStart → first request p99 @1000 live', target: '≤ 5 ms',
      value: at1000 ? `${at1000.stasisToFirstRequestMs.p99} ms` : 'n/a',
      met: at1000 && at1000.stasisToFirstRequestMs.count > 0 ? at1000.stasisToFirstRequestMs.p99 <= 5 : null,
    },
    {
      name: 'DTMF → next request p99 @1000 live', target: '≤ 5 ms',
      value: at1000 ? `${at1000.dtmfToNextRequestMs.p99} ms` : 'n/a',
      met: at1000 && at1000.dtmfToNextRequestMs.count > 0 ? at1000.dtmfToNextRequestMs.p99 <= 5 : null,
    },
    {
      name: 'Sustained calls/s, one core, API p99 < 50 ms', target: '≥ 200/s',
      value: `${r.throughput.maxSustainedRate}/s (${r.throughput.completedPerSecAtMax} completed/s)`,
      met: r.throughput.maxSustainedRate >= 200,
    },
    {
      name: 'Live calls held', target: '5,000',
      value: `${r.concurrency.reached}`,
      met: r.quick ? null : r.concurrency.reached >= 5000,
    },
    {
      name: 'Memory per live session (RSS)', target: '< 50 KB',
      value: `${kb(r.concurrency.rssPerSessionBytes)} KB RSS, ${kb(r.concurrency.heapPerSessionBytes)} KB heap`,
      met: r.concurrency.rssPerSessionBytes < 50 * 1024,
    },
    {
      name: `Event-loop delay p99 @${r.concurrency.reached} live`, target: '< 20 ms',
      value: r.concurrency.eventLoopDelayMs ? `${r.concurrency.eventLoopDelayMs.p99} ms` : 'n/a',
      met: r.concurrency.eventLoopDelayMs ? r.concurrency.eventLoopDelayMs.p99 < 20 : null,
    },
    {
      name: `Heap (data) back to baseline after ${r.leak.callsSinceBaseline} calls`, target: 'within 5%',
      value: `${r.leak.heapDataChangePct}% (${r.leak.heapChangePct}% with compiled code)`,
      met: fullLeak ? r.leak.heapDataChangePct <= 5 : null,
    },
    {
      name: `RSS back to baseline after ${r.leak.callsSinceBaseline} calls`, target: 'within 5%',
      value: `${r.leak.rssChangePct}%`,
      met: fullLeak ? r.leak.rssChangePct <= 5 : null,
    },
    {
      name: 'Listeners left behind', target: '0 per call',
      value: `${r.leak.listenersChange} after ${r.leak.callsSinceBaseline} calls`,
      // A handful of listeners may come and go with sockets; one per call would be thousands.
      met: r.leak.callsSinceBaseline >= 1000 ? r.leak.listenersChange < 20 : null,
    },
    {
      name: 'Keep-alive sockets to ARI', target: '≤ 20',
      value: `${r.ariSockets.maxOpen} open at most (${r.ariSockets.used} used in all)`,
      met: r.ariSockets.maxOpen <= 20,
    },
  ];
  return targets;
}

const kb = (bytes: number): string => (bytes / 1024).toFixed(1);
const mb = (bytes: number): string => (bytes / 1024 / 1024).toFixed(1);
const pad = (text: string | number, width: number): string => String(text).padEnd(width);
const lpad = (text: string | number, width: number): string => String(text).padStart(width);
const fmt = (s: Summary | undefined): string => (s && s.count > 0 ? `${s.p50} / ${s.p95} / ${s.p99} / ${s.max}` : 'n/a');
const fmtRatio = (e: Summary, f: Summary | undefined, key: 'p50' | 'p99'): string => {
  const r = f ? ratio(e[key], f[key]) : null;
  return r === null ? 'n/a' : `${r}×`;
};

export function printReport(r: BenchResults): void {
  const out: string[] = [];
  out.push('');
  out.push(`Benchmark ${r.quick ? '(QUICK smoke run: sizes reduced) ' : ''}— ${r.machine.cpus} CPUs, ${r.machine.cpuModel}, Node ${r.machine.node}`);
  out.push(`Pinning: ${r.machine.pinning}. One reference call lives ${r.setup.callLifetimeMs} ms (sounds ${r.setup.soundMs} ms, answer ${r.setup.answerAfterMs} ms) and leaves ${r.setup.sessionTimelineEvents} timeline events.`);
  out.push('');
  out.push(r.requestSequence.differences.length === 0
    ? `Floor sends the same ${r.requestSequence.engine.length} ARI requests per reference call as the engine.`
    : `WARNING: floor and engine request sequences differ:\n  ${r.requestSequence.differences.join('\n  ')}`);
  out.push('');
  out.push('Latency, ms (p50 / p95 / p99 / max), measured at the ARI proxy; ratio = engine/floor');
  out.push(`${pad('live', 6)}${pad('who', 8)}${pad('observed', 10)}${pad('POST /sessions/outgoing', 30)}${pad('StasisStart → 1st request', 32)}${pad('DTMF → next request', 32)}`);
  const levels = [...new Set(r.latency.map((l) => l.level))];
  for (const level of levels) {
    const engine = row(r, 'engine', level);
    const floor = row(r, 'floor', level);
    for (const l of [engine, floor]) {
      if (!l) continue;
      out.push(`${pad(level, 6)}${pad(l.lane, 8)}${pad(l.liveObserved, 10)}${pad(fmt(l.apiMs), 30)}${pad(fmt(l.stasisToFirstRequestMs), 32)}${pad(fmt(l.dtmfToNextRequestMs), 32)}`);
    }
    if (engine && floor) {
      out.push(`${pad('', 6)}${pad('ratio', 8)}${pad('', 10)}${pad('', 30)}${pad(`p50 ${fmtRatio(engine.stasisToFirstRequestMs, floor.stasisToFirstRequestMs, 'p50')}, p99 ${fmtRatio(engine.stasisToFirstRequestMs, floor.stasisToFirstRequestMs, 'p99')}`, 32)}${pad(`p50 ${fmtRatio(engine.dtmfToNextRequestMs, floor.dtmfToNextRequestMs, 'p50')}, p99 ${fmtRatio(engine.dtmfToNextRequestMs, floor.dtmfToNextRequestMs, 'p99')}`, 32)}`);
    }
  }
  out.push('');
  const c = r.cpuPerCall;
  out.push(`CPU per completed call: engine ${c.engine.perCallMs} ms (${c.engine.calls} calls), floor ${c.floor.perCallMs} ms (${c.floor.calls} calls), ratio ${c.ratio ?? 'n/a'}×; simulator ${c.engine.simPerCallMs} ms`);
  if (c.engine.kernelPerCallMs !== undefined && c.floor.kernelPerCallMs !== undefined) {
    out.push(`  of which in the kernel: engine ${c.engine.kernelPerCallMs} ms, floor ${c.floor.kernelPerCallMs} ms`);
  }
  if (c.engine.sqlTripsPerCall !== undefined) out.push(`SQLite statements per call (engine): ${c.engine.sqlTripsPerCall}`);
  if (c.postgres && 'skipped' in c.postgres) out.push(`On PostgreSQL: skipped (${c.postgres.skipped})`);
  else if (c.postgres) {
    out.push(`On PostgreSQL: engine ${c.postgres.engine.perCallMs} ms per call (${c.postgres.engine.calls} calls), ${c.postgres.vsSqlite ?? 'n/a'}× the engine on SQLite, ${c.postgres.vsFloor ?? 'n/a'}× the floor; PostgreSQL's backends ${c.postgres.serverPerCallMs} ms per call`);
  }
  out.push('');
  out.push('Throughput (reference flow, rising rate, engine on one core)');
  out.push(`${lpad('rate/s', 7)} ${lpad('done/s', 7)} ${lpad('errors', 7)} ${pad(' API ms p50/p95/p99/max', 30)}${pad('Stasis→req p99', 15)}${lpad('maxLive', 8)} ${lpad('engCPU', 7)} ${lpad('harness', 8)}  verdict`);
  for (const s of r.throughput.steps) {
    out.push(`${lpad(s.rate, 7)} ${lpad(s.completedPerSec, 7)} ${lpad(s.errors, 7)} ${pad(` ${fmt(s.apiMs)}`, 30)}${pad(String(s.stasisToFirstRequestMs.p99), 15)}${lpad(s.maxLive, 8)} ${lpad(`${s.engineCpuPct}%`, 7)} ${lpad(`${s.harnessCpuPct}%`, 8)}  ${s.sustained ? 'sustained' : `NOT sustained${s.originatesCaughtUp ? '' : ' (sessions queued)'}`}`);
  }
  out.push('');
  const k = r.concurrency;
  out.push(`Concurrency: ${k.reached} live calls held (target ${k.target}); RSS ${mb(k.before.rssBytes)} → ${mb(k.held.rssBytes)} MB, heap ${mb(k.before.heapUsedBytes)} → ${mb(k.held.heapUsedBytes)} MB (after GC)`);
  out.push(`  per session: ${kb(k.rssPerSessionBytes)} KB RSS, ${kb(k.heapPerSessionBytes)} KB heap; event-loop delay p50/p99/max ${k.eventLoopDelayMs ? `${k.eventLoopDelayMs.p50} / ${k.eventLoopDelayMs.p99} / ${k.eventLoopDelayMs.max}` : 'n/a'} ms`);
  const lk = r.leak;
  out.push(`Leak check over ${lk.callsSinceBaseline} calls: RSS ${mb(lk.baseline.rssBytes)} → ${mb(lk.final.rssBytes)} MB (${lk.rssChangePct}%), heap ${mb(lk.baseline.heapUsedBytes)} → ${mb(lk.final.heapUsedBytes)} MB (${lk.heapChangePct}%; without compiled code ${lk.heapDataChangePct}%), listeners ${lk.listenersChange >= 0 ? '+' : ''}${lk.listenersChange}`);
  const changed = Object.entries(lk.listenersChangeByKind).sort((a, b) => Math.abs(b[1]) - Math.abs(a[1])).slice(0, 5);
  if (changed.length > 0) out.push(`  listener changes by kind: ${changed.map(([k, n]) => `${k} ${n >= 0 ? '+' : ''}${n}`).join(', ')}`);
  out.push(`ARI sockets from the engine: ${r.ariSockets.maxOpen} keep-alive sockets open at most, ${r.ariSockets.used} used over the run, ${r.ariSockets.webSockets} WebSocket(s)`);
  out.push(`  at the most, the open sockets had started with: ${Object.entries(r.ariSockets.firstRequestsAtMax).map(([k, n]) => `${n}× ${k}`).join(', ')}`);
  out.push('');
  out.push('Targets');
  for (const t of r.targets) {
    const verdict = t.met === null ? 'not judged' : t.met ? 'met' : 'MISSED';
    out.push(`  ${pad(verdict, 11)} ${pad(t.name, 48)} ${pad(t.target, 12)} ${t.value}`);
  }
  out.push(`\nDone in ${r.durationSec} s.`);
  process.stdout.write(`${out.join('\n')}\n`);
}
