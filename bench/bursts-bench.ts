// RSS over repeated bursts of concurrent calls (part of `npm run bench`): BURSTS times, 1,000 held
// calls (answer, then a 10-minute pause) offered at 250/s, all live at once, then ended by far-end
// hangups through the simulator's control API; after each burst, once every channel is gone, the
// engine's RSS and heap after a forced GC (bench/engine-probe.mjs). Target (issue 20): RSS flat
// within ±10 MiB from the first burst to the last; the first burst is the warm-up (code compiled,
// pools and caches filled).
// Processes: the simulator (bench/simulator-host.ts) and the engine as `npm start` runs it, pinned
// to CPU 1 when taskset is there (the bench itself and the simulator on CPU 0).
//   npx tsx bench/bursts-bench.ts      (BURSTS=5, BURST_CALLS=1000; BENCH_QUICK=1: 3 bursts of 300)
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { randomBytes } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { Child } from './lib/child.js';
import { ApiClient, getStatus, postJson, putJson } from './lib/api.js';
import { pace, sleep } from './lib/pacer.js';
import { tasksetAvailable } from './lib/proc.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const QUICK = process.env.BENCH_QUICK === '1';
const BURSTS = Number(process.env.BURSTS ?? '') || (QUICK ? 3 : 5);
const CALLS = Number(process.env.BURST_CALLS ?? '') || (QUICK ? 300 : 1000);
const RATE = 250;
const HANGUP_RATE = 400;
const NUMBER = '+14155550102';
const CALLER_ID = '+12125551234';
const MiB = 1024 * 1024;

interface Sample { rss: number; heapUsed: number; heapTotal: number; external: number; listeners: number }
interface SimChannel { id: string; state: string; inStasis: boolean }

async function until(what: string, probe: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await probe())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(200);
  }
}

async function main(): Promise<void> {
  const pinned = cpus().length >= 2 && tasksetAvailable();
  if (pinned) execFileSync('taskset', ['-a', '-p', '-c', '0', String(process.pid)], { stdio: 'ignore' });
  const dir = mkdtempSync(join(tmpdir(), 'bursts-bench-'));
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
    await putJson(simUrl, `/sim/callees/${encodeURIComponent(NUMBER)}`, { result: 'answer', answerAfterMs: 50 });
    const port = 20000 + Math.floor(Math.random() * 20000);
    const engine = new Child({
      name: 'engine', cwd: ROOT, args: ['--expose-gc', '--import', 'tsx', '--import', './bench/engine-probe.mjs', 'src/main.ts'], ...(pinned ? { cpu: 1 } : {}),
      env: {
        ...baseEnv, PORT: String(port), HOST: '127.0.0.1', JWT_SECRET: secret, DATABASE_PATH: join(dir, 'engine.sqlite'),
        ARI_URL: simUrl, ARI_USERNAME: 'engine', ARI_PASSWORD: ariPassword,
        MAX_LIVE_CALLS_PER_ACCOUNT: '100000', MAX_CALLS_PER_SECOND_PER_ACCOUNT: '100000', UNAUTHENTICATED_PER_MINUTE: '1000000',
        DRAIN_TIMEOUT_MS: '0', LOG_LEVEL: 'warn',
        ...(process.env.MALLOC_ARENA_MAX ? { MALLOC_ARENA_MAX: process.env.MALLOC_ARENA_MAX } : {}),
      },
    });
    children.push(engine);
    await until('the engine to be ready', async () => (await getStatus(port, '/ready')) === 200, 60000).catch((err: unknown) => {
      throw new Error(`${String(err)}\n${engine.output()}`);
    });
    const api = new ApiClient(port, secret, 'bench');
    await api.request('POST', '/phone-numbers', { number: CALLER_ID, name: 'bench caller ID', enabled: true });
    const flowId = String(((await api.request('POST', '/flows', {
      name: 'hold', steps: [{ id: 'wait', type: 'pause', ms: 600000 }, { id: 'end', type: 'hangup' }],
    })).body as { id: string }).id);
    const channels = async (): Promise<SimChannel[]> => (await (await fetch(new URL('/sim/channels', simUrl))).json()) as SimChannel[];
    const sample = async (): Promise<Sample> => (await engine.call({ probe: 'sample', gc: true })) as unknown as Sample;
    const inProgress = async (): Promise<number> =>
      Number(((await api.request('GET', '/sessions?state=in-progress&countPerPage=1')).body as { totalCount?: number }).totalCount);

    const samples: Sample[] = [await sample()];
    for (let b = 1; b <= BURSTS; b++) {
      let accepted = 0;
      const posts: Array<Promise<unknown>> = [];
      await pace(CALLS, RATE, () => {
        posts.push(api.request('POST', '/sessions/outgoing', { flowId, numberToDial: NUMBER, callerId: CALLER_ID }, false).then((r) => {
          if (r.status >= 200 && r.status < 300) accepted += 1;
        }));
      });
      await Promise.all(posts);
      await until(`${accepted} calls of burst ${b} to be answered`, async () => (await inProgress()) >= accepted, 120000);
      // Far-end hangups of every channel up, again until the engine has no call in progress (a
      // channel listed between its answer and its state change is caught by the next pass).
      let hungUp = 0;
      await until(`the calls of burst ${b} to end`, async () => {
        if ((await inProgress()) === 0) return true;
        const ids = (await channels()).filter((c) => c.state === 'Up').map((c) => c.id);
        hungUp += ids.length;
        await pace(ids.length, HANGUP_RATE, (i) => {
          void postJson(simUrl, `/sim/channels/${encodeURIComponent(ids[i] ?? '')}/hangup`, {});
        });
        return false;
      }, 120000).catch(async (err: unknown) => {
        throw new Error(`${String(err)}: ${await inProgress()} in progress, ${hungUp} hung up, ${(await channels()).length} channels in the simulator`);
      });
      // Write-behind and the sessions' last rows settle before the sample.
      await sleep(2000);
      const s = await sample();
      samples.push(s);
      process.stdout.write(`burst ${b}: ${accepted} calls live at once, then hung up; engine after GC: RSS ${(s.rss / MiB).toFixed(1)} MiB, heap ${(s.heapUsed / MiB).toFixed(1)} MiB used of ${(s.heapTotal / MiB).toFixed(1)}, external ${(s.external / MiB).toFixed(1)} MiB, listeners ${s.listeners}\n`);
    }
    const first = samples[1]!;
    const last = samples[samples.length - 1]!;
    process.stdout.write(`RSS from burst 1 to burst ${BURSTS}: ${((last.rss - first.rss) / MiB).toFixed(1)} MiB (heap ${((last.heapUsed - first.heapUsed) / MiB).toFixed(1)} MiB); `
      + `baseline before burst 1: RSS ${(samples[0]!.rss / MiB).toFixed(1)} MiB. Target: within ±10 MiB\n`);
    api.close();
  } finally {
    for (const child of children) await child.stop('SIGKILL', 0);
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`bursts bench: ${err instanceof Error ? err.stack ?? err.message : String(err)}\n`);
  process.exitCode = 1;
});
