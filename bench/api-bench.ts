// Two figures of the engine's API while calls run (part of `npm run bench`):
//  - GET /sessions/{id} of a finished reference session (about 30 timeline rows): the engine's CPU
//    per request (/proc, every thread), over many sequential requests, and their latency;
//  - /health while 100 flows loop (a `set` step on itself until the loop guard: FLOW_MAX_STEPS,
//    500 by default): latency p50/p99/max of a GET /health every 10 ms until every one ended.
// Processes: the simulator (bench/simulator-host.ts) and the engine as `npm start` runs it, pinned
// to CPU 1 when taskset is there (the bench itself and the simulator on CPU 0).
//   npx tsx bench/api-bench.ts          (BENCH_QUICK=1: fewer requests)
//   BENCH_CPU_PROF=1: the engine writes a V8 CPU profile (bench/results/profiles/) on its way out;
//   API_BENCH_ONLY=get: the GET figure only (a profile of the GETs alone).
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { randomBytes } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import http from 'node:http';
import { performance } from 'node:perf_hooks';
import { Child } from './lib/child.js';
import { ApiClient, getStatus, putJson } from './lib/api.js';
import { cpuMs, tasksetAvailable } from './lib/proc.js';
import { summarize } from './lib/stats.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const QUICK = process.env.BENCH_QUICK === '1';
const GETS = QUICK ? 1000 : 4000;
const LOOPING = 100;
const PROFILE = process.env.BENCH_CPU_PROF === '1';
const ONLY_GET = process.env.API_BENCH_ONLY === 'get';
const NUMBER = '+14155550101';
const CALLER_ID = '+12125551234';
const ACCOUNT = 'bench';
const FINAL = new Set(['completed', 'failed', 'busy', 'no-answer', 'canceled']);

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function until(what: string, probe: () => Promise<boolean> | boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await probe())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
function health(port: number): Promise<number> {
  const start = performance.now();
  return new Promise((resolve, reject) => {
    const req = http.get({ host: '127.0.0.1', port, path: '/health', agent }, (res) => {
      res.resume();
      res.on('end', () => resolve(performance.now() - start));
    });
    req.on('error', reject);
  });
}

const fmt = (s: ReturnType<typeof summarize>): string => `p50 ${s.p50.toFixed(2)} / p99 ${s.p99.toFixed(2)} / max ${s.max.toFixed(2)} ms`;

async function main(): Promise<void> {
  const pinned = cpus().length >= 2 && tasksetAvailable();
  if (pinned) execFileSync('taskset', ['-a', '-p', '-c', '0', String(process.pid)], { stdio: 'ignore' });
  const dir = mkdtempSync(join(tmpdir(), 'api-bench-'));
  const ariPassword = randomBytes(12).toString('hex');
  const secret = randomBytes(24).toString('hex');
  const baseEnv = { PATH: process.env.PATH, HOME: process.env.HOME, NODE_ENV: 'production' };
  const children: Child[] = [];
  try {
    const sim = new Child({
      name: 'simulator', cwd: ROOT, args: ['--import', 'tsx', 'bench/simulator-host.ts'], ...(pinned ? { cpu: 0 } : {}),
      env: { ...baseEnv, SIM_OPTIONS: JSON.stringify({ username: 'engine', password: ariPassword, requestLogSize: 10, defaultSoundMs: 150 }) },
    });
    children.push(sim);
    const simUrl = String((await sim.ready()).url);
    await putJson(simUrl, `/sim/callees/${encodeURIComponent(NUMBER)}`, { result: 'answer', answerAfterMs: 50, dtmf: [{ digits: '1', afterPlaybackStarted: 2, delayMs: 60 }] });
    const port = 20000 + Math.floor(Math.random() * 20000);
    const profiles = join(ROOT, 'bench/results/profiles');
    if (PROFILE) mkdirSync(profiles, { recursive: true });
    const engine = new Child({
      name: 'engine', cwd: ROOT, args: [...(PROFILE ? ['--cpu-prof', '--cpu-prof-dir', profiles] : []), '--import', 'tsx', 'src/main.ts'], ...(pinned ? { cpu: 1 } : {}),
      env: {
        ...baseEnv, PORT: String(port), HOST: '127.0.0.1', JWT_SECRET: secret, DATABASE_PATH: join(dir, 'engine.sqlite'),
        ARI_URL: simUrl, ARI_USERNAME: 'engine', ARI_PASSWORD: ariPassword,
        MAX_LIVE_CALLS_PER_ACCOUNT: '100000', MAX_CALLS_PER_SECOND_PER_ACCOUNT: '100000', UNAUTHENTICATED_PER_MINUTE: '1000000',
        DRAIN_TIMEOUT_MS: '0', LOG_LEVEL: 'warn',
      },
    });
    children.push(engine);
    await until('the engine to be ready', async () => (await getStatus(port, '/ready')) === 200, 60000).catch((err: unknown) => {
      throw new Error(`${String(err)}\n${engine.output()}`);
    });
    const api = new ApiClient(port, secret, ACCOUNT);
    await api.request('POST', '/phone-numbers', { number: CALLER_ID, name: 'bench caller ID', enabled: true });
    const flowId = async (document: unknown): Promise<string> => String(((await api.request('POST', '/flows', document)).body as { id: string }).id);
    const state = async (id: string): Promise<string> => String(((await api.request('GET', `/sessions/${id}`)).body as { state?: string }).state);

    // GET /sessions/{id} of a finished reference session.
    const reference = await flowId({
      name: 'reference', steps: [
        { id: 'welcome', type: 'playback', media: ['sound:hello-world'] },
        { id: 'menu', type: 'gather', prompt: ['sound:press-1'], maxDigits: 1, timeoutMs: 3000, variable: 'choice' },
        { id: 'route', type: 'branch', variable: 'choice', cases: { 1: 'thanks' }, default: 'other' },
        { id: 'thanks', type: 'playback', media: ['sound:thank-you'], next: 'end' },
        { id: 'other', type: 'playback', media: ['sound:goodbye'], next: 'end' },
        { id: 'end', type: 'hangup' },
      ],
    });
    const placed = await api.request('POST', '/sessions/outgoing', { flowId: reference, numberToDial: NUMBER, callerId: CALLER_ID });
    const sessionId = String((placed.body as { id: string }).id);
    await until('the reference call to end', async () => FINAL.has(await state(sessionId)), 30000);
    const got = await api.request('GET', `/sessions/${sessionId}`);
    const rows = ((got.body as { timeline?: unknown[] }).timeline ?? []).length;
    for (let i = 0; i < 200; i++) await api.request('GET', `/sessions/${sessionId}`, undefined, false);
    await sleep(300);
    const latencies: number[] = [];
    const cpuBefore = cpuMs(engine.pid);
    for (let i = 0; i < GETS; i++) latencies.push((await api.request('GET', `/sessions/${sessionId}`, undefined, false)).ms);
    const cpuAfter = cpuMs(engine.pid);
    const perGet = cpuBefore === null || cpuAfter === null ? 'n/a' : `${((cpuAfter - cpuBefore) / GETS).toFixed(3)} ms`;
    process.stdout.write(`GET /sessions/{id} (${rows} timeline rows), ${GETS} sequential: engine CPU per request ${perGet}; latency ${fmt(summarize(latencies))}\n`);
    // For scale: the same route, authenticated, for an id that does not exist (a 404 from one
    // indexed lookup): what any GET of the API costs before the session is read and written out.
    const missing = `${sessionId.slice(0, -4)}0000`;
    const cpuBefore404 = cpuMs(engine.pid);
    for (let i = 0; i < GETS; i++) await api.request('GET', `/sessions/${missing}`, undefined, false);
    const cpuAfter404 = cpuMs(engine.pid);
    const per404 = cpuBefore404 === null || cpuAfter404 === null ? 'n/a' : `${((cpuAfter404 - cpuBefore404) / GETS).toFixed(3)} ms`;
    process.stdout.write(`GET /sessions/{unknown id} (404), ${GETS} sequential: engine CPU per request ${per404}\n`);

    // /health while 100 flows loop.
    if (ONLY_GET) {
      api.close();
      agent.destroy();
      return;
    }
    const loop = await flowId({ name: 'loop', steps: [{ id: 'a', type: 'set', variable: 'v', value: 'x', next: 'a' }] });
    for (let i = 0; i < LOOPING; i++) await api.request('POST', '/sessions/outgoing', { flowId: loop, numberToDial: NUMBER, callerId: CALLER_ID });
    const samples: number[] = [];
    const started = performance.now();
    let ended = 0;
    // States are read on another connection, once a second, by one listing (not 100 GETs of
    // sessions of 1,000 rows each, which cost the engine ~0.4 s of CPU a second and put the
    // watcher's own reads in the /health figure): the health probe never waits for them.
    const watcher = (async () => {
      while (ended < LOOPING && performance.now() - started < 120000) {
        await sleep(1000);
        const page = (await api.request('GET', `/sessions?flowId=${loop}&countPerPage=${LOOPING}`)).body as { items?: Array<{ state: string }> };
        ended = (page.items ?? []).filter((s) => FINAL.has(s.state)).length;
      }
    })();
    while (ended < LOOPING && performance.now() - started < 120000) {
      samples.push(await health(port));
      await sleep(10);
    }
    await watcher;
    const loopMs = performance.now() - started;
    process.stdout.write(`/health while ${LOOPING} flows loop to the loop guard (${ended} ended within ${(loopMs / 1000).toFixed(1)} s): ${samples.length} requests, ${fmt(summarize(samples))}\n`);
    api.close();
    agent.destroy();
  } finally {
    // SIGTERM first when profiling: V8 writes the profile on a clean exit only.
    for (const child of children) await child.stop(PROFILE ? 'SIGTERM' : 'SIGKILL', PROFILE ? 10000 : 0);
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`api bench: ${err instanceof Error ? err.stack ?? err.message : String(err)}\n`);
  process.exitCode = 1;
});
