// `npm run bench` (second part): what webhooks cost. The engine (bench/webhook-engine-host.ts: the
// `npm start` wiring) and the simulator run as processes of their own; the receiver and the load
// generator run here. Two phases of the same calls at the same rate: webhooks off, then one
// subscription to the state changes (5 events a call) delivered to a local receiver. Reported:
// the engine's CPU per call in each phase, and the delivery latency of every event, from the
// commit of its outbox row to the receiver's first byte of it. BENCH_QUICK=1: fewer calls.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';
import { randomBytes } from 'node:crypto';
import { Child } from './lib/child.js';
import { ApiClient, putJson } from './lib/api.js';
import { pace, sleep } from './lib/pacer.js';
import { cpuMs } from './lib/proc.js';
import { round, summarize } from './lib/stats.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const QUICK = process.env.BENCH_QUICK === '1';
const CALLS = QUICK ? 300 : 1500;
const RATE = 100;
const NUMBER = '+14155550101';
const CALLER_ID = '+12125551234';
const ACCOUNT = 'bench';
const FLOW = { name: 'webhook bench', steps: [{ id: 'hello', type: 'playback', media: ['sound:hello-world'] }, { id: 'end', type: 'hangup' }] };
const LIVE = ['queued', 'dialing', 'ringing', 'in-progress'];

const now = (): number => performance.timeOrigin + performance.now();

interface Phase { calls: number; accepted: number; cpuMsPerCall: number | null; wallSec: number }

async function liveCount(api: ApiClient): Promise<number> {
  let n = 0;
  for (const state of LIVE) {
    const res = await api.request('GET', `/sessions?state=${state}&countPerPage=1`);
    n += Number((res.body as { totalCount?: number } | undefined)?.totalCount ?? 0);
  }
  return n;
}

async function runPhase(api: ApiClient, engine: Child, flowId: string): Promise<Phase> {
  const cpuBefore = cpuMs(engine.pid);
  const started = performance.now();
  let accepted = 0;
  const posts: Array<Promise<void>> = [];
  await pace(CALLS, RATE, () => {
    posts.push(api.request('POST', '/sessions/outgoing', { flowId, numberToDial: NUMBER, callerId: CALLER_ID }, false).then((r) => {
      if (r.status === 200) accepted += 1;
    }));
  });
  await Promise.all(posts);
  // Sparse polling (the same in both phases): the calls end by themselves.
  for (let i = 0; i < 600 && (await liveCount(api)) > 0; i++) await sleep(500);
  const cpuAfter = cpuMs(engine.pid);
  return {
    calls: CALLS, accepted, wallSec: round((performance.now() - started) / 1000, 1),
    cpuMsPerCall: cpuBefore === null || cpuAfter === null ? null : round((cpuAfter - cpuBefore) / CALLS, 2),
  };
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'engine-webhook-bench-'));
  const secret = randomBytes(24).toString('hex');
  const ariPassword = randomBytes(12).toString('hex');
  const baseEnv = { PATH: process.env.PATH, HOME: process.env.HOME, NODE_ENV: 'production' };
  const received = new Map<string, number>();
  let receivedCount = 0;
  const receiver = createServer((req: IncomingMessage, res: ServerResponse) => {
    const at = now();
    const id = req.headers['webhook-id'];
    if (typeof id === 'string' && !received.has(id)) received.set(id, at);
    receivedCount += 1;
    req.resume();
    req.on('end', () => res.writeHead(204).end());
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  const receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`;

  const sim = new Child({
    name: 'simulator', cwd: ROOT, args: ['--import', 'tsx', 'bench/simulator-host.ts'],
    env: { ...baseEnv, SIM_OPTIONS: JSON.stringify({ username: 'engine', password: ariPassword, defaultSoundMs: 150, requestLogSize: 10 }) },
  });
  let engine: Child | undefined;
  try {
    const simUrl = String((await sim.ready()).url);
    if ((await putJson(simUrl, `/sim/callees/${encodeURIComponent(NUMBER)}`, { result: 'answer', answerAfterMs: 50 })) >= 300) {
      throw new Error('simulator refused the callee script');
    }
    engine = new Child({
      name: 'engine', cwd: ROOT, args: ['--import', 'tsx', 'bench/webhook-engine-host.ts'],
      env: {
        ...baseEnv, PORT: '0', HOST: '127.0.0.1', JWT_SECRET: secret, DATABASE_PATH: join(dir, 'engine.sqlite'),
        ARI_URL: simUrl, ARI_USERNAME: 'engine', ARI_PASSWORD: ariPassword,
        MAX_LIVE_CALLS_PER_ACCOUNT: '100000', MAX_CALLS_PER_SECOND_PER_ACCOUNT: '100000', UNAUTHENTICATED_PER_MINUTE: '1000000',
        ALLOW_PRIVATE_DESTINATIONS: 'true', DRAIN_TIMEOUT_MS: '0', LOG_LEVEL: 'warn',
      },
    });
    const port = Number((await engine.ready()).port);
    const api = new ApiClient(port, secret, ACCOUNT);
    const flow = await api.request('POST', '/flows', FLOW);
    const number = await api.request('POST', '/phone-numbers', { number: CALLER_ID, name: 'bench', enabled: true });
    const flowId = (flow.body as { id?: string } | undefined)?.id;
    if (!flowId || number.status >= 300) throw new Error(`seeding failed: ${flow.status} ${number.status}`);

    // Warm-up (JIT, caches), then webhooks off.
    await pace(100, RATE, () => void api.request('POST', '/sessions/outgoing', { flowId, numberToDial: NUMBER, callerId: CALLER_ID }, false));
    for (let i = 0; i < 100 && (await liveCount(api)) > 0; i++) await sleep(200);
    const off = await runPhase(api, engine, flowId);

    const hook = await api.request('POST', '/webhooks', { url: receiverUrl });
    if (hook.status !== 201) throw new Error(`webhook not created: ${hook.status}`);
    await engine.call({ type: 'commits' });
    received.clear();
    const on = await runPhase(api, engine, flowId);
    // Every committed event delivered (or the wait gives up after 60 s).
    const commits: Array<[string, number]> = [];
    for (let i = 0; i < 120; i++) {
      commits.push(...(await engine.call<{ commits: Array<[string, number]> }>({ type: 'commits' })).commits);
      if (commits.length > 0 && commits.every(([id]) => received.has(id))) break;
      await sleep(500);
    }
    const latencies = commits.flatMap(([id, at]) => (received.has(id) ? [received.get(id)! - at] : []));
    const latency = summarize(latencies);
    const results = {
      date: new Date().toISOString(), quick: QUICK, rate: RATE, callsPerPhase: CALLS,
      off, on, eventsCommitted: commits.length, eventsDelivered: latencies.length, requestsReceived: receivedCount,
      deliveryLatencyMs: latency,
      cpuPerCallOverheadMs: off.cpuMsPerCall !== null && on.cpuMsPerCall !== null ? round(on.cpuMsPerCall - off.cpuMsPerCall, 2) : null,
    };
    process.stdout.write([
      '',
      `Webhooks at ${RATE} calls/s, ${CALLS} calls per phase (${QUICK ? 'quick' : 'full'} run)`,
      `  CPU per call, webhooks off: ${off.cpuMsPerCall ?? 'n/a'} ms   on (5 events a call): ${on.cpuMsPerCall ?? 'n/a'} ms   overhead: ${results.cpuPerCallOverheadMs ?? 'n/a'} ms`,
      `  delivery latency, outbox commit → receiver: p50 ${latency.p50} ms  p95 ${latency.p95} ms  p99 ${latency.p99} ms  max ${latency.max} ms  (${latencies.length} of ${commits.length} events)`,
      `  accepted calls: off ${off.accepted}/${CALLS}, on ${on.accepted}/${CALLS}`,
      '',
    ].join('\n'));
    const out = join(ROOT, 'bench/results');
    mkdirSync(out, { recursive: true });
    writeFileSync(join(out, `webhooks-${QUICK ? 'quick' : 'full'}.json`), `${JSON.stringify(results, null, 2)}\n`);
    api.close();
  } finally {
    await engine?.stop();
    await sim.stop();
    receiver.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? err.stack ?? err.message : String(err)}\n`);
  process.exitCode = 1;
});
