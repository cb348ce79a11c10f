// `npm run bench` (cluster part): calls per second with one engine and with two on one PostgreSQL.
// The engines and their simulators run as processes (test/support/cluster-harness.ts, the same
// harness as the multi-engine tests); the load generator runs here. For each size, a closed loop
// of CONCURRENCY clients places calls (a 100 ms flow, then hangup) spread over the engines for
// SECONDS; reported: calls accepted per second, placement latency, every call's end checked, and
// the engines' CPU per call. Skipped with a message where PostgreSQL is absent (PG_TEST_URL).
// BENCH_QUICK=1: shorter runs.
import { performance } from 'node:perf_hooks';
import { cpuMs } from './lib/proc.js';
import { round, summarize } from './lib/stats.js';
import { postgresSkip } from '../test/support/postgres.js';
import { FINAL_STATES, startCluster, type Cluster } from '../test/support/cluster-harness.js';
import { waitUntil } from '../test/support/wait-until.js';

const QUICK = process.env.BENCH_QUICK === '1';
const SECONDS = QUICK ? 5 : 15;
const CONCURRENCY = 32;
const FLOW = { name: 'cluster bench', steps: [{ id: 'brief', type: 'pause', ms: 100 }, { id: 'bye', type: 'hangup' }] };

interface Row {
  engines: number;
  accepted: number;
  refused: number;
  callsPerSec: number;
  latencyMs: { p50: number; p99: number };
  allEnded: boolean;
  cpuMsPerCall: number | null;
}

async function measure(engines: number): Promise<Row> {
  const cluster: Cluster = await startCluster({
    engines, simulators: engines, flows: { short: FLOW },
    env: { MAX_LIVE_CALLS_PER_ACCOUNT: '100000', LOG_LEVEL: 'error' },
  });
  try {
    // Warm-up: every engine has placed calls (JIT, pools) before the clock starts.
    await Promise.all(Array.from({ length: engines * 20 }, (_, n) => cluster.place(n % engines, 'short')));
    const pids = cluster.engines.map((e) => e.child.pid!);
    const cpuBefore = pids.map((p) => cpuMs(p));
    const ids: string[] = [];
    const latencies: number[] = [];
    let refused = 0;
    let next = 0;
    const started = performance.now();
    const deadline = started + SECONDS * 1000;
    await Promise.all(Array.from({ length: CONCURRENCY }, async () => {
      while (performance.now() < deadline) {
        const t0 = performance.now();
        const res = await cluster.place(next++ % engines, 'short');
        latencies.push(performance.now() - t0);
        if (res.status === 200) ids.push(res.body.id);
        else refused += 1;
      }
    }));
    const wallSec = (performance.now() - started) / 1000;
    let allEnded = true;
    try {
      await waitUntil(async () => {
        const s = await cluster.session(0, ids[ids.length - 1]!);
        return FINAL_STATES.has(s.state);
      }, { message: 'the last call to end', timeoutMs: 60_000, intervalMs: 200 });
      const sample = ids.filter((_, i) => i % 25 === 0);
      const states = await Promise.all(sample.map(async (id) => (await cluster.session(0, id)).state as string));
      allEnded = states.every((s) => s === 'completed');
    } catch {
      allEnded = false;
    }
    const cpuAfter = pids.map((p) => cpuMs(p));
    const cpu = cpuBefore.every((c) => c !== null) && cpuAfter.every((c) => c !== null)
      ? cpuAfter.reduce((n, c, i) => n + (c! - cpuBefore[i]!), 0) / Math.max(1, ids.length) : null;
    const s = summarize(latencies);
    return {
      engines, accepted: ids.length, refused, callsPerSec: round(ids.length / wallSec, 1),
      latencyMs: { p50: round(s.p50, 1), p99: round(s.p99, 1) }, allEnded, cpuMsPerCall: cpu === null ? null : round(cpu, 2),
    };
  } finally {
    await cluster.close();
  }
}

async function main(): Promise<void> {
  const missing = await postgresSkip();
  if (missing) {
    process.stdout.write(`cluster bench skipped: ${missing}\n`);
    return;
  }
  const rows: Row[] = [];
  for (const engines of [1, 2]) rows.push(await measure(engines));
  process.stdout.write(`\nCluster: calls per second on one PostgreSQL (closed loop, ${CONCURRENCY} clients, ${SECONDS} s, 100 ms flow)\n`);
  process.stdout.write('engines  calls/s  accepted  refused  p50 ms  p99 ms  all ended  engine CPU ms/call\n');
  for (const r of rows) {
    process.stdout.write(`${String(r.engines).padEnd(9)}${String(r.callsPerSec).padEnd(9)}${String(r.accepted).padEnd(10)}${String(r.refused).padEnd(9)}`
      + `${String(r.latencyMs.p50).padEnd(8)}${String(r.latencyMs.p99).padEnd(8)}${String(r.allEnded).padEnd(11)}${r.cpuMsPerCall ?? 'n/a'}\n`);
  }
  process.stdout.write(`${JSON.stringify({ cluster: rows })}\n`);
}

await main();
