// "reconcile N": N calls live and answered when the engine is SIGKILLed, then a restart on the
// same database: how long the restarted engine takes to settle the N sessions the dead process
// left live (each call hung up in Asterisk, each session ended `failed`). Part of `npm run bench`.
// Processes: the simulator (bench/simulator-host.ts, standing in for Asterisk, which outlives the
// engine) and the engine as `npm start` runs it (src/main.ts), twice. With RECONCILE_DIAL=1 each
// call is in a dial step, bridged with a second party: the restarted engine also hangs up the N
// dialed parties and destroys the N bridges.
//   npx tsx bench/reconcile-bench.ts              (N=1000)
//   RECONCILE_N=3000 npx tsx bench/reconcile-bench.ts
//   RECONCILE_N=500 RECONCILE_DIAL=1 npx tsx bench/reconcile-bench.ts
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { Child } from './lib/child.js';
import { ApiClient, getStatus, putJson } from './lib/api.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const N = Number(process.env.RECONCILE_N ?? '') || 1000;
const NUMBER = '+14155550103';
const DIALED = '+14155550104';
const DIAL = process.env.RECONCILE_DIAL === '1';
const CALLER_ID = '+12125551234';
const ACCOUNT = 'bench';
/** Target of issue 10: N = 1,000 settled within 3 s of ARI being reachable. */
const TARGET_MS = 3000;

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function until(what: string, probe: () => Promise<boolean> | boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await probe())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

/** Every line `child` writes on stdout (Child keeps only its last lines). */
function collectLines(child: Child): string[] {
  const lines: string[] = [];
  let rest = '';
  child.proc.stdout?.on('data', (chunk: Buffer) => {
    const parts = (rest + chunk.toString('utf8')).split('\n');
    rest = parts.pop() ?? '';
    lines.push(...parts);
  });
  return lines;
}

/** The first JSON log line whose msg is `msg`. */
function logLine(lines: string[], msg: string): Record<string, unknown> | undefined {
  for (const line of lines) {
    if (!line.includes(`"msg":"${msg}"`)) continue;
    try {
      return JSON.parse(line) as Record<string, unknown>;
    } catch {
      // Not a JSON line.
    }
  }
  return undefined;
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'reconcile-bench-'));
  const ariPassword = randomBytes(12).toString('hex');
  const secret = randomBytes(24).toString('hex');
  const baseEnv = { PATH: process.env.PATH, HOME: process.env.HOME, NODE_ENV: 'production' };
  const sim = new Child({
    name: 'simulator', cwd: ROOT, args: ['--import', 'tsx', 'bench/simulator-host.ts'],
    env: { ...baseEnv, SIM_OPTIONS: JSON.stringify({ username: 'engine', password: ariPassword, requestLogSize: 10 }) },
  });
  const simUrl = String((await sim.ready()).url);
  const children: Child[] = [sim];
  const channels = async (): Promise<number> => {
    const res = await fetch(`${simUrl}/sim/stats`);
    return ((await res.json()) as { channels: number }).channels;
  };
  const bridges = async (): Promise<number> => {
    const res = await fetch(`${simUrl}/ari/bridges`, { headers: { authorization: `Basic ${Buffer.from(`engine:${ariPassword}`).toString('base64')}` } });
    return ((await res.json()) as unknown[]).length;
  };
  try {
    for (const number of [NUMBER, DIALED]) {
      if ((await putJson(simUrl, `/sim/callees/${encodeURIComponent(number)}`, { result: 'answer', answerAfterMs: 20 })) >= 300) {
        throw new Error('the simulator refused the callee script');
      }
    }
    const port = 20000 + Math.floor(Math.random() * 20000);
    const engine = (name: string): Child => {
      const child = new Child({
        name, cwd: ROOT, args: ['--import', 'tsx', 'src/main.ts'],
        env: {
          ...baseEnv, PORT: String(port), HOST: '127.0.0.1', JWT_SECRET: secret, DATABASE_PATH: join(dir, 'engine.sqlite'),
          ARI_URL: simUrl, ARI_USERNAME: 'engine', ARI_PASSWORD: ariPassword,
          MAX_LIVE_CALLS_PER_ACCOUNT: '100000', MAX_CALLS_PER_SECOND_PER_ACCOUNT: '100000', UNAUTHENTICATED_PER_MINUTE: '1000000',
          DRAIN_TIMEOUT_MS: '0', LOG_LEVEL: 'info',
        },
      });
      children.push(child);
      return child;
    };

    const first = engine('engine');
    await until('the engine to be ready', async () => (await getStatus(port, '/ready')) === 200, 60000);
    const api = new ApiClient(port, secret, ACCOUNT);
    await api.request('POST', '/phone-numbers', { number: CALLER_ID, name: 'bench caller ID', enabled: true });
    const hold = DIAL
      ? { id: 'wait', type: 'dial', to: DIALED, timeoutMs: 60000, timeLimitMs: 600000 }
      : { id: 'wait', type: 'pause', ms: 600000 };
    const flow = await api.request('POST', '/flows', { name: 'hold', steps: [hold, { id: 'end', type: 'hangup' }] });
    const flowId = String((flow.body as { id: string }).id);
    let placed = 0;
    const client = async (): Promise<void> => {
      while (placed < N) {
        placed += 1;
        const res = await api.request('POST', '/sessions/outgoing', { flowId, numberToDial: NUMBER, callerId: CALLER_ID }, false);
        if (res.status !== 200) throw new Error(`POST /sessions/outgoing answered ${res.status}`);
      }
    };
    await Promise.all(Array.from({ length: 16 }, client));
    const legs = DIAL ? 2 * N : N;
    await until(`${N} calls up`, async () => (await channels()) >= legs && (!DIAL || (await bridges()) >= N), 180000);
    api.close();
    await first.stop('SIGKILL');

    const spawned = performance.now();
    const second = engine('restarted engine');
    const lines = collectLines(second);
    await until('the restarted engine to be ready', async () => (await getStatus(port, '/ready')) === 200, 120000);
    const readyMs = performance.now() - spawned;
    const left = await channels();
    const bridgesLeft = await bridges();
    const connected = logLine(lines, 'ARI connected');
    const settled = logLine(lines, 'sessions left live by a previous run settled');
    if (!connected || !settled) throw new Error(`the restarted engine did not log its reconciliation:\n${second.output()}`);
    const fromAri = Number(settled.time) - Number(connected.time);
    const within = fromAri <= TARGET_MS ? 'within' : 'OVER';
    process.stdout.write([
      `reconcile ${N}${DIAL ? ' bridged' : ''}: ${settled.hungUp} calls hung up, ${settled.gone} already gone, ${settled.failedWrites} failed writes${DIAL ? `, ${settled.bridgesDestroyed} bridges destroyed` : ''}`,
      `  settled ${fromAri} ms after ARI connected (${within} the ${TARGET_MS} ms target); the bulk pass itself ${settled.ms} ms`,
      `  restart to /ready 200: ${Math.round(readyMs)} ms (process start included); channels still up in Asterisk then: ${left}, bridges: ${bridgesLeft}`,
      '',
    ].join('\n'));
    await second.stop('SIGTERM');
    if (left !== 0 || bridgesLeft !== 0 || settled.hungUp !== N || (DIAL && settled.bridgesDestroyed !== N)) process.exitCode = 1;
  } finally {
    for (const child of children) await child.stop('SIGKILL', 0);
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`reconcile bench: ${err instanceof Error ? err.stack ?? err.message : String(err)}\n`);
  process.exitCode = 1;
});
