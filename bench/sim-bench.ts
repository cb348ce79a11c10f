// Simulator throughput: originates per second (REST + events delivered on the WebSocket) and
// 2,000 concurrent answered channels held, then hung up. Client and simulator share one process
// and one core here, so the figures are a floor for the simulator alone.
// Run: node --import tsx bench/sim-bench.ts
import { Agent, request } from 'node:http';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { WebSocket } from 'ws';
import { startSimulator, type RunningSimulator } from '../src/sim/index.js';

const USER = 'bench';
const PASS = 'bench';
const APP = 'bench';

function post(agent: Agent, port: number, method: string, path: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, method, path, agent, auth: `${USER}:${PASS}` }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
    });
    req.on('error', reject);
    req.end();
  });
}

async function runPool<T>(items: T[], concurrency: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const item = items[next++] as T;
      await fn(item);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
}

function waitUntil(cond: () => boolean, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    const until = Date.now() + timeoutMs;
    const tick = () => {
      if (cond()) resolve(true);
      else if (Date.now() > until) resolve(false);
      else setTimeout(tick, 5);
    };
    tick();
  });
}

export async function benchSimulator(): Promise<Record<string, number>> {
  const sim: RunningSimulator = await startSimulator({
    username: USER, password: PASS, timeScale: 1, defaultScript: { result: 'answer', answerAfterMs: 0 },
  });
  const agent = new Agent({ keepAlive: true, maxSockets: 64 });
  const counts = new Map<string, number>();
  const ws = new WebSocket(`ws://127.0.0.1:${sim.port}/ari/events?app=${APP}&api_key=${USER}:${PASS}`);
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  ws.on('message', (data) => {
    // Count without parsing everything: the type is the first field.
    const text = String(data);
    const type = text.slice(9, text.indexOf('"', 9));
    counts.set(type, (counts.get(type) ?? 0) + 1);
  });
  const count = (t: string) => counts.get(t) ?? 0;
  try {
    // 1. Originate rate: 3,000 originates, 64 in flight, until every StasisStart has arrived.
    const n = 3000;
    const ids: string[] = [];
    const t0 = performance.now();
    await runPool(Array.from({ length: n }, (_, i) => i), 64, async (i) => {
      const r = await post(agent, sim.port, 'POST', `/ari/channels?endpoint=PJSIP/%2B1555${String(i).padStart(7, '0')}@trunk&app=${APP}`);
      if (r.status !== 200) throw new Error(`originate ${r.status} ${r.body}`);
      ids.push((JSON.parse(r.body) as { id: string }).id);
    });
    const started = await waitUntil(() => count('StasisStart') >= n, 30000);
    const originateSec = (performance.now() - t0) / 1000;
    if (!started) throw new Error(`only ${count('StasisStart')} of ${n} StasisStart`);
    const rssHeld = process.memoryUsage().rss;

    // 2. Hold: all 3,000 are live and answered at once; hang them all up.
    const live = sim.channels().length;
    const t1 = performance.now();
    await runPool(ids, 64, async (id) => {
      const r = await post(agent, sim.port, 'DELETE', `/ari/channels/${id}`);
      if (r.status !== 204) throw new Error(`hangup ${r.status} ${r.body}`);
    });
    await waitUntil(() => count('ChannelDestroyed') >= n, 30000);
    const hangupSec = (performance.now() - t1) / 1000;

    return {
      originates: n,
      originatesPerSec: Math.round(n / originateSec),
      concurrentChannelsHeld: live,
      hangupsPerSec: Math.round(n / hangupSec),
      eventsDelivered: [...counts.values()].reduce((a, b) => a + b, 0),
      rssMbWithChannelsHeld: Math.round(rssHeld / 1e6),
    };
  } finally {
    ws.terminate();
    agent.destroy();
    await sim.close();
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  benchSimulator().then((r) => {
    process.stdout.write(`${JSON.stringify(r, null, 2)}\n`);
  }, (err: unknown) => {
    process.stderr.write(`sim bench failed: ${(err as Error).message}\n`);
    process.exitCode = 1;
  });
}
