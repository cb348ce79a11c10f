// Micro-benchmark of the store's write path: a call's worth of writes (1 create, 30 timeline
// events, 4 state updates, 1 variable) × N calls, with C calls live at once, interleaved as the
// engine issues them (each live call writes one row per tick, without awaiting it, like
// call-session.ts). Prints CPU ms per call (process.cpuUsage: main thread and sqlite's pool
// threads), wall time, and how long countLiveSessions / getSession take under that load.
//   npx tsx bench/store-bench.ts            (N=2000, C=100)
//   STORE_BENCH_CALLS=5000 STORE_BENCH_LIVE=200 npx tsx bench/store-bench.ts
//   STORE_BENCH_CHAINED=1: each call awaits its previous write first (call-session before issue 5)
//   STORE_BENCH_GAP_MS=10: a call waits 10 ms between its writes instead of one tick, as ARI events
//     arrive in the engine (sparse writes: few rows per commit), e.g. LIVE=20, GAP=10 ≈ 55 calls/s
//   STORE_BENCH_DELAY_MS=50: the store's row commit delay (default: the store's own)
//   STORE_BENCH_NO_WRITES=1: the same pacing and reads without the call's 35 writes after the
//     create: the bench's own cost, to subtract
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { openSqliteStore } from '../src/store/sqlite-store.js';
import type { SessionUnit, Store, TimelineRow } from '../src/store/store.js';
import type { SessionState } from '../src/domain/model.js';

const CALLS = Number(process.env.STORE_BENCH_CALLS ?? '') || 2000;
const LIVE = Number(process.env.STORE_BENCH_LIVE ?? '') || 100;
const CHAINED = process.env.STORE_BENCH_CHAINED === '1';
const GAP_MS = Number(process.env.STORE_BENCH_GAP_MS ?? '') || 0;
const NO_WRITES = process.env.STORE_BENCH_NO_WRITES === '1';
const DELAY_MS = process.env.STORE_BENCH_DELAY_MS === undefined ? undefined : Number(process.env.STORE_BENCH_DELAY_MS);
const EVENTS = 30;
const ACCOUNT = 'bench-account';

/** One write of a call: the unit the recorder would issue for its `seq`-th timeline row. */
type Write = (seq: number) => SessionUnit;

/** One call's writes after its create, in the engine's order (units, as telephony/session-recorder.ts issues them). */
function callScript(): Write[] {
  const writes: Write[] = [];
  const updates: Array<{ at: number; state: SessionState }> = [
    { at: 1, state: 'dialing' }, { at: 3, state: 'ringing' }, { at: 6, state: 'in-progress' }, { at: EVENTS, state: 'completed' },
  ];
  // Rows of a call's size; their data is not what the engine writes (the store keeps any).
  const row = (seq: number, type: string, data: Record<string, unknown>) => ({ seq, at: new Date().toISOString(), type, data }) as TimelineRow;
  for (let i = 0; i < EVENTS; i++) {
    const update = updates.find((u) => u.at === i);
    if (update) {
      const change = update.state === 'in-progress' ? { state: update.state, dateAnswered: new Date().toISOString() } : { state: update.state };
      writes.push((seq) => ({ change, timeline: [row(seq, 'state', { state: update.state })] }));
    }
    if (i === 15) writes.push(() => ({ variables: [{ name: 'choice', value: '1' }] }));
    writes.push((seq) => ({ timeline: [row(seq, i % 2 === 0 ? 'step.started' : 'step.finished', { stepId: `step-${i >> 1}`, type: 'playback', result: 'next' })] }));
  }
  const last = updates[updates.length - 1]!;
  writes.push((seq) => ({
    change: { state: last.state, endReason: 'normal clearing', dateEnded: new Date().toISOString() },
    timeline: [row(seq, 'state', { state: last.state })],
  }));
  return writes;
}

const tick = (): Promise<void> => new Promise((resolve) => {
  if (GAP_MS > 0) setTimeout(resolve, GAP_MS);
  else setImmediate(resolve);
});

async function runCall(store: Store, script: Write[]): Promise<void> {
  const id = randomUUID();
  await store.createSessionWith({
    id, accountId: ACCOUNT, flowId: 'bench-flow', flowVersion: 1, numberToDial: '+18144043093',
    callerId: '+12025550123', channelId: `ch-${id}`, endpoint: 'PJSIP/+18144043093@trunk',
  }, {});
  let seq = 0;
  let chain: Promise<void> = Promise.resolve();
  const pending: Promise<void>[] = [];
  for (const write of script) {
    if (NO_WRITES) {
      await tick();
      continue;
    }
    const unit = write(seq + 1);
    if (unit.timeline) seq += 1;
    if (CHAINED) chain = chain.then(() => store.recordSession(id, unit));
    else pending.push(store.recordSession(id, unit));
    await tick();
  }
  await chain;
  await Promise.all(pending);
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'store-bench-'));
  const store = await openSqliteStore(join(dir, 'bench.sqlite'), DELAY_MS === undefined ? {} : { rowCommitDelayMs: DELAY_MS });
  const script = callScript();
  try {
    const readMs: number[] = [];
    const getMs: number[] = [];
    let sampling = true;
    let sampledId: string | undefined;
    // The API's reads under load: how long one count / one session read waits.
    const sampler = (async () => {
      while (sampling) {
        await new Promise((resolve) => setTimeout(resolve, 5));
        const t0 = performance.now();
        await store.countLiveSessions(ACCOUNT);
        readMs.push(performance.now() - t0);
        if (sampledId) {
          const t1 = performance.now();
          await store.getSession(ACCOUNT, sampledId);
          getMs.push(performance.now() - t1);
        }
      }
    })();
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    let next = 0;
    const workers = Array.from({ length: LIVE }, async () => {
      while (next < CALLS) {
        next += 1;
        await runCall(store, script);
      }
    });
    const firstDone = (async () => {
      // A finished session with no pending writes: the read the API makes for GET /sessions/{id}.
      const id = randomUUID();
      await store.createSessionWith({
        id, accountId: ACCOUNT, flowId: 'bench-flow', flowVersion: 1, numberToDial: '+1', callerId: '+2', channelId: id, endpoint: 'x',
      }, {});
      sampledId = id;
    })();
    await Promise.all([...workers, firstDone]);
    const wallMs = performance.now() - t0;
    const cpu = process.cpuUsage(cpu0);
    sampling = false;
    await sampler;
    const cpuMs = (cpu.user + cpu.system) / 1000;
    const pct = (xs: number[], p: number): number => {
      const sorted = [...xs].sort((a, b) => a - b);
      return sorted.length === 0 ? 0 : sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]!;
    };
    const round = (x: number): number => Math.round(x * 1000) / 1000;
    console.log(JSON.stringify({
      calls: CALLS, live: LIVE, chained: CHAINED, gapMs: GAP_MS, noWrites: NO_WRITES, rowCommitDelayMs: DELAY_MS ?? 'default', rowsPerCall: 1 + script.length,
      cpuMsPerCall: round(cpuMs / CALLS), userMsPerCall: round(cpu.user / 1000 / CALLS), systemMsPerCall: round(cpu.system / 1000 / CALLS), wallMs: Math.round(wallMs), callsPerSec: Math.round(CALLS / (wallMs / 1000)),
      countLiveSessionsMs: { p50: round(pct(readMs, 0.5)), p99: round(pct(readMs, 0.99)), n: readMs.length },
      getSessionMs: { p50: round(pct(getMs, 0.5)), p99: round(pct(getMs, 0.99)), n: getMs.length },
    }));
  } finally {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
