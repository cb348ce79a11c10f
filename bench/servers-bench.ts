// `npm run bench:servers`: calls per second one engine places and completes over one simulator,
// then over two (ARI_SERVERS), each simulator in a process of its own (bench/simulator-host.ts).
// A call: originate, the callee answers at once, a one-step flow hangs up. The API is driven with a
// bounded number of requests in flight. Figures for docs/scaling.md#capacity.
// SERVERS_BENCH_CALLS (default 600) and SERVERS_BENCH_CONCURRENCY (default 40) size a run.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { randomBytes } from 'node:crypto';
import { Child } from './lib/child.js';
import { loadConfig } from '../src/config.js';
import { createLogger } from '../src/log.js';
import { startStack } from '../src/stack.js';
import { seedDemo, DEMO_CALLER_ID } from '../src/demo.js';
import { engineClient, TEST_JWT_SECRET } from '../test/support/e2e-stack.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const CALLS = Number(process.env.SERVERS_BENCH_CALLS ?? '') || 600;
const CONCURRENCY = Number(process.env.SERVERS_BENCH_CONCURRENCY ?? '') || 40;

async function run(simulators: number): Promise<{ simulators: number; calls: number; seconds: number; perSecond: number; byServer: Record<string, number> }> {
  const password = randomBytes(12).toString('hex');
  const sims = Array.from({ length: simulators }, (_, i) => new Child({
    name: `sim-${i}`, cwd: ROOT, args: ['--import', 'tsx', 'bench/simulator-host.ts'],
    env: { ...process.env, SIM_OPTIONS: JSON.stringify({ username: 'engine', password, requestLogSize: 10, defaultScript: { result: 'answer', answerAfterMs: 0 } }) },
  }));
  const urls = (await Promise.all(sims.map((s) => s.ready()))).map((m) => String(m.url));
  const dir = mkdtempSync(join(tmpdir(), 'servers-bench-'));
  const stack = await startStack(loadConfig({
    JWT_SECRET: TEST_JWT_SECRET, DATABASE_PATH: join(dir, 'engine.sqlite'), PORT: '0', HOST: '127.0.0.1', DRAIN_TIMEOUT_MS: '0',
    MAX_CALLS_PER_SECOND_PER_ACCOUNT: '100000', MAX_LIVE_CALLS_PER_ACCOUNT: '100000', UNAUTHENTICATED_PER_MINUTE: '1000000',
    ARI_SERVERS: JSON.stringify(urls.map((url, i) => ({ name: `sim-${i}`, url, username: 'engine', password }))),
  }), createLogger('silent'));
  try {
    await stack.ariConnected;
    for (const deadline = Date.now() + 30_000; stack.engine.readiness().servers?.some((s) => !s.up);) {
      if (Date.now() > deadline) throw new Error('simulators not all connected');
      await new Promise((r) => setTimeout(r, 50));
    }
    await seedDemo(stack.store);
    const client = engineClient(`http://127.0.0.1:${stack.httpPort}`);
    const flow = await client.request('POST', '/flows', { body: { name: 'hang up', steps: [{ id: 'bye', type: 'hangup' }] } });
    if (flow.status !== 201) throw new Error(`flow: ${flow.text}`);
    const ids: string[] = [];
    let next = 0;
    const started = performance.now();
    const worker = async (): Promise<void> => {
      while (next < CALLS) {
        next += 1;
        const res = await client.request('POST', '/sessions/outgoing', { body: { flowId: flow.body.id, numberToDial: '+18144043093', callerId: DEMO_CALLER_ID } });
        if (res.status !== 200) throw new Error(`place: ${res.status} ${res.text.slice(0, 200)}`);
        ids.push(res.body.id as string);
      }
    };
    await Promise.all(Array.from({ length: CONCURRENCY }, worker));
    while (stack.engine.liveCount() > 0) await new Promise((r) => setTimeout(r, 5));
    const seconds = (performance.now() - started) / 1000;
    const byServer: Record<string, number> = {};
    let completed = 0;
    for (const id of ids) {
      const s = await stack.store.getSession(undefined, id);
      if (s?.state === 'completed') completed += 1;
      const server = s?.asteriskServer ?? '?';
      byServer[server] = (byServer[server] ?? 0) + 1;
    }
    if (completed !== CALLS) throw new Error(`${CALLS - completed} calls did not complete`);
    return { simulators, calls: CALLS, seconds: Math.round(seconds * 100) / 100, perSecond: Math.round(CALLS / seconds), byServer };
  } finally {
    await stack.stop(0);
    await Promise.all(sims.map((s) => s.stop()));
    rmSync(dir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const one = await run(1);
  const two = await run(2);
  process.stdout.write(`${JSON.stringify({ calls: CALLS, concurrency: CONCURRENCY, one, two }, null, 2)}\n`);
  process.stdout.write(`one engine: ${one.perSecond} calls/s over one simulator, ${two.perSecond} calls/s over two (${JSON.stringify(two.byServer)})\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`servers-bench: ${err instanceof Error ? err.stack ?? err.message : String(err)}\n`);
  process.exitCode = 1;
});
