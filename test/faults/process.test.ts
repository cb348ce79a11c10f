// The engine as a real process: SIGTERM drains and exits 0, SIGKILL under load loses no accepted
// session and leaves none live after the restart, and no secret reaches stdout/stderr even across
// an ARI disconnect. Asterisk is the simulator in this test process: it outlives the engine.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startSimulator, type RunningSimulator } from '../../src/sim/index.js';
import { waitUntil } from '../support/wait-until.js';
import { openSqliteStore } from '../../src/store/sqlite-store.js';
import type { FlowDocument } from '../../src/domain/flow.js';
import {
  FAULTS_ACCOUNT, FAULTS_JWT_SECRET, FINAL_STATES, LIVE_STATES, failedWithReason, faultsToken, seedDatabase,
  spawnEngine, timelineOf, waitForStatus, type EngineProcess,
} from '../support/faults-engine.js';

const ARI_USERNAME = 'engine';
const ARI_PASSWORD = 'ari-Pa55word-f4ults-7c1d9e';

/** Answered calls that stay up far longer than any test: only a drain or a kill ends them. */
const LONG_FLOW: FlowDocument = { name: 'Long', steps: [{ id: 'wait', type: 'pause', ms: 120000 }, { id: 'bye', type: 'hangup' }] };
/** Ends by itself well within the drain time. */
const SHORT_FLOW: FlowDocument = { name: 'Short', steps: [{ id: 'wait', type: 'pause', ms: 300 }, { id: 'bye', type: 'hangup' }] };
const FLOWS = { long: LONG_FLOW, short: SHORT_FLOW };

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Pids of every process descending from `root`, from /proc (Linux). */
function descendants(root: number): number[] {
  const parentOf = new Map<number, number>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      // The command name is in parentheses and may hold spaces: the ppid is the 2nd field after it.
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      parentOf.set(Number(entry), Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]));
    } catch {
      // The process exited while we read.
    }
  }
  const found: number[] = [];
  const walk = (pid: number): void => {
    for (const [child, parent] of parentOf) if (parent === pid) { found.push(child); walk(child); }
  };
  walk(root);
  return found;
}

/** True while `pid` exists and still runs the engine (a pid may be reused by another process). */
function runsEngine(pid: number): boolean {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('src/main.ts');
  } catch {
    return false;
  }
}

/** Every secret of the run, raw and in the encodings a careless log line would carry them. */
function assertNoSecrets(output: string, tokens: string[]): void {
  const basic = Buffer.from(`${ARI_USERNAME}:${ARI_PASSWORD}`).toString('base64');
  const forbidden = [ARI_PASSWORD, encodeURIComponent(ARI_PASSWORD), basic, FAULTS_JWT_SECRET, ...tokens];
  for (const secret of forbidden) assert.ok(!output.includes(secret), `a secret leaked to the logs: ${secret.slice(0, 6)}…`);
  // `api_key=` may appear only with its value masked.
  for (const m of output.matchAll(/api_key=([^&\s"'\\]*)/g)) {
    assert.match(m[1] ?? '', /^(\[redacted\]|%5Bredacted%5D|\*+)?$/i, `api_key value in the logs: ${m[0].slice(0, 14)}…`);
  }
}

describe('the engine as a process', { timeout: 180000 }, () => {
  let sim: RunningSimulator;
  const dirs: string[] = [];
  const engines: EngineProcess[] = [];

  before(async () => {
    sim = await startSimulator({ port: 0, host: '127.0.0.1', username: ARI_USERNAME, password: ARI_PASSWORD, timeScale: 0.05 });
  });
  after(async () => {
    for (const engine of engines) await engine.dispose();
    await sim?.close();
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });

  /** Flow ids by name in the current database. */
  let flow: Record<string, string> = {};
  async function freshDatabase(): Promise<string> {
    const dir = mkdtempSync(join(tmpdir(), 'engine-faults-proc-'));
    dirs.push(dir);
    const path = join(dir, 'engine.sqlite');
    flow = await seedDatabase(path, FLOWS);
    return path;
  }

  async function start(databasePath: string, env: Record<string, string> = {}, command?: readonly string[], detached = false): Promise<EngineProcess> {
    const engine = await spawnEngine({
      DATABASE_PATH: databasePath,
      ARI_URL: sim.url,
      ARI_USERNAME,
      ARI_PASSWORD,
      DRAIN_TIMEOUT_MS: '1500',
      ...env,
    }, command, { detached });
    engines.push(engine);
    await waitForStatus(engine.base, '/ready', 200, 30000).catch((err: Error) => {
      throw new Error(`${err.message}\n${engine.output().slice(-3000)}`);
    });
    return engine;
  }

  async function place(engine: EngineProcess, flowId: string, numberToDial: string): Promise<string> {
    const res = await engine.request('POST', '/sessions/outgoing', { flowId, numberToDial });
    assert.equal(res.status, 200, res.text);
    return res.body.id as string;
  }

  async function stateOf(engine: EngineProcess, id: string): Promise<any> {
    const res = await engine.request('GET', `/sessions/${id}`);
    assert.equal(res.status, 200, res.text);
    return res.body;
  }

  test('SIGTERM: stops accepting, lets short calls finish, hangs up the rest after the drain time, marks them, exits 0', async () => {
    const databasePath = await freshDatabase();
    const engine = await start(databasePath);
    const originatesBefore = sim.originateCount();

    const long = [];
    for (const n of ['+12025550140', '+12025550141', '+12025550142']) long.push(await place(engine, flow.long!, n));
    for (const id of long) await waitUntil(async () => (await stateOf(engine, id)).state === 'in-progress', { message: `${id} in progress`, intervalMs: 50 });
    const short = await place(engine, flow.short!, '+12025550143');
    const channelsBefore = sim.channels().length;
    assert.ok(channelsBefore >= 3, `the simulator holds the live calls (${channelsBefore})`);

    engine.child.kill('SIGTERM');
    await engine.waitForOutput(/shutting down/i, 15000);
    // Past this line the engine refuses new work: a connection error or a 503, never a new call.
    let refused: string;
    try {
      const res = await engine.request('POST', '/sessions/outgoing', { flowId: flow.short, numberToDial: '+12025550144' });
      refused = `status ${res.status}`;
      assert.notEqual(res.status, 200, 'a call was accepted during the drain');
    } catch (err) {
      refused = (err as Error).message;
    }
    assert.ok(refused.length > 0);

    const code = await engine.exited;
    assert.equal(code, 0, `exit code; output:\n${engine.output().slice(-2000)}`);
    assert.equal(sim.originateCount() - originatesBefore, 4, 'only the four accepted calls were originated');

    const store = await openSqliteStore(databasePath);
    try {
      for (const id of long) {
        const s = await store.getSession(FAULTS_ACCOUNT, id);
        assert.ok(s, `session ${id} is stored`);
        assert.ok(FINAL_STATES.has(s.state), `drained session ${id} ended in a final state, not ${s.state}`);
        assert.ok(s.endReason, `drained session ${id} says why it ended`);
        assert.ok(s.dateEnded, `drained session ${id} has its end date`);
        const events = await store.listSessionEvents(id);
        assert.ok(events.some((e) => e.type === 'state' && e.data.state === s.state), `the timeline of ${id} records the final state`);
      }
      const finished = await store.getSession(FAULTS_ACCOUNT, short);
      assert.equal(finished?.state, 'completed', 'a call that ends within the drain time finishes normally');
      assert.equal((await store.listLiveSessions()).length, 0, 'no session left live');
    } finally {
      await store.close();
    }
    // The engine hung up what it drained: nothing of it stays up on the trunk.
    await waitUntil(async () => sim.channels().length === 0, { message: 'the simulator to have no channel left', timeoutMs: 5000, intervalMs: 50 });
    assertNoSecrets(engine.output(), [engine.token]);
  });

  /** Places `count` long calls and waits until every one is answered and in its pause. */
  async function placeLongCalls(engine: EngineProcess, count: number, prefix: string): Promise<string[]> {
    const ids: string[] = [];
    for (let i = 0; i < count; i += 1) ids.push(await place(engine, flow.long!, `${prefix}${String(i).padStart(2, '0')}`));
    for (const id of ids) await waitUntil(async () => (await stateOf(engine, id)).state === 'in-progress', { message: `${id} in progress`, intervalMs: 50 });
    return ids;
  }

  /** After the engine exited: every one of `ids` ended, with its reason and end date, and nothing stays live. */
  async function assertAllEnded(databasePath: string, ids: string[]): Promise<void> {
    const store = await openSqliteStore(databasePath);
    try {
      for (const id of ids) {
        const s = await store.getSession(FAULTS_ACCOUNT, id);
        assert.ok(s && FINAL_STATES.has(s.state) && s.endReason && s.dateEnded, `session ${id} ended: ${s?.state} / ${s?.endReason}`);
      }
      assert.equal((await store.listLiveSessions()).length, 0, 'no session left live');
    } finally {
      await store.close();
    }
  }

  test('signals repeated during the drain change nothing: the drain completes, every call is hung up and recorded, exit 0', async (t) => {
    const databasePath = await freshDatabase();
    const engine = await start(databasePath, { DRAIN_TIMEOUT_MS: '3000' });
    const ids = await placeLongCalls(engine, 10, '+120255502');
    const signalled = performance.now();
    engine.child.kill('SIGTERM');
    await engine.waitForOutput(/draining live calls/, 15000);
    // What a supervisor's retry, an impatient operator and a signal to the process group send.
    // One at a time, each once the previous one was seen: the kernel merges a pending signal with
    // another of the same kind.
    for (const [i, signal] of (['SIGTERM', 'SIGINT', 'SIGTERM'] as const).entries()) {
      engine.child.kill(signal);
      await engine.waitForOutput(new RegExp(`"signal":"${signal}","received":${i + 2},"msg":"already shutting down`), 15000);
    }
    assert.equal(await engine.exited, 0, `exit code; output:\n${engine.output().slice(-2000)}`);
    t.diagnostic(`drain with 4 signals: exit 0 after ${Math.round(performance.now() - signalled)} ms (DRAIN_TIMEOUT_MS=3000)`);
    await assertAllEnded(databasePath, ids);
    await waitUntil(async () => sim.channels().length === 0, { message: 'the simulator to have no channel left', timeoutMs: 5000, intervalMs: 50 });
  });

  for (const target of ['npm\'s own pid', 'its whole process group'] as const) {
    test(`\`npm start\` (the README command): SIGTERM to ${target} reaches the engine, which drains and exits 0; no process is left`, { skip: process.platform !== 'linux' && 'reads /proc' }, async () => {
      const databasePath = await freshDatabase();
      const group = target === 'its whole process group';
      // npm's own update check would reach for the network.
      const engine = await start(databasePath, { npm_config_update_notifier: 'false', DRAIN_TIMEOUT_MS: '3000' }, ['npm', 'start'], group);
      const pid = engine.child.pid!;
      const tree = descendants(pid);
      assert.ok(tree.some(runsEngine), `npm runs the engine below it (${tree.join(', ')})`);
      const ids = await placeLongCalls(engine, 5, group ? '+120255504' : '+120255503');
      // The group: what systemd's default KillMode and Ctrl-C in a terminal do; the engine then
      // gets the signal twice, once from the kernel and once forwarded by npm.
      process.kill(group ? -pid : pid, 'SIGTERM');
      assert.equal(await engine.exited, 0, `npm's exit code; output:\n${engine.output().slice(-2000)}`);
      assert.match(engine.output(), /draining live calls/);
      await assertAllEnded(databasePath, ids);
      await waitUntil(async () => sim.channels().length === 0, { message: 'the simulator to have no channel left', timeoutMs: 5000, intervalMs: 50 });
      assert.deepEqual(tree.filter(runsEngine), [], 'no engine process outlives npm');
      assert.deepEqual(descendants(pid), [], 'nothing is left below npm\'s pid');
    });
  }

  test('a start that fails (the database cannot be opened) exits 1 with the reason, instead of living on half-started', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'engine-faults-proc-'));
    dirs.push(dir);
    writeFileSync(join(dir, 'not-a-folder'), '');
    // No ARI_URL: the built-in simulator starts first and its listener would keep the process alive.
    const engine = await spawnEngine({ DATABASE_PATH: join(dir, 'not-a-folder', 'engine.sqlite') });
    engines.push(engine);
    assert.equal(await engine.exited, 1, engine.output().slice(-2000));
    assert.match(engine.output(), /the engine could not start/);
  });

  describe('SIGKILL under load, then a restart on the same database', () => {
    let databasePath: string;
    const accepted: string[] = [];
    const unexpected: string[] = [];
    let restarted: EngineProcess;

    before(async () => {
      databasePath = await freshDatabase();
      const engine = await start(databasePath);
      let stop = false;
      let n = 0;
      // Eight clients placing calls back to back until the kill.
      const client = async (): Promise<void> => {
        while (!stop) {
          const number = `+1202555${String(1000 + (n++ % 9000)).padStart(4, '0')}`;
          try {
            const res = await engine.request('POST', '/sessions/outgoing', { flowId: flow.long, numberToDial: number });
            if (res.status === 200) accepted.push(res.body.id as string);
            else unexpected.push(`${res.status}: ${res.text.slice(0, 200)}`);
          } catch (err) {
            if (!stop) unexpected.push(`request failed: ${(err as Error).message}`);
          }
        }
      };
      const clients = Array.from({ length: 8 }, client);
      await waitUntil(async () => accepted.length >= 20, { message: '20 accepted calls', timeoutMs: 40000, intervalMs: 50 }).catch((err: Error) => {
        throw new Error(`${err.message}: ${accepted.length} accepted, unexpected: ${unexpected.slice(0, 5).join(' | ')}\n${engine.output().slice(-2000)}`);
      });
      stop = true;
      engine.child.kill('SIGKILL');
      assert.equal(await engine.exited, 'SIGKILL');
      await Promise.allSettled(clients);
      restarted = await start(databasePath);
    });

    test('the database opens cleanly and every accepted session is there', async () => {
      assert.ok(accepted.length >= 20);
      assert.deepEqual(unexpected, [], 'every call placed before the kill was accepted');
      for (const id of accepted) {
        const res = await restarted.request('GET', `/sessions/${id}`);
        assert.equal(res.status, 200, `accepted session ${id} survives the kill: ${res.text}`);
      }
    });

    test('none stays live: those cut by the kill end failed with a reason in their timeline', async () => {
      for (const id of accepted) {
        const session = await waitUntil(async () => {
          const s = await stateOf(restarted, id);
          return LIVE_STATES.has(s.state) ? undefined : s;
        }, { message: `${id} to leave its live state`, intervalMs: 50 });
        assert.ok(failedWithReason(session), `session ${id}: ${session.state} / ${session.endReason} / ${JSON.stringify(timelineOf(session).slice(-2))}`);
      }
    });

    test('the calls the killed process left up on Asterisk are hung up, not left running on the trunk', async () => {
      await waitUntil(async () => sim.channels().length === 0, { message: 'the simulator to have no channel left', timeoutMs: 10000, intervalMs: 50 });
    });

    test('the restarted engine places calls again', async () => {
      const id = await place(restarted, flow.short!, '+12025550150');
      const done = await waitUntil(async () => {
        const s = await stateOf(restarted, id);
        return FINAL_STATES.has(s.state) ? s : undefined;
      }, { message: 'the new call to end', intervalMs: 50 });
      assert.equal(done.state, 'completed');
    });

    after(async () => {
      restarted?.child.kill('SIGTERM');
      if (restarted) assert.equal(await restarted.exited, 0);
    });
  });

  test('started while Asterisk is down: /health 200, /ready 503, calls refused with 503 and nothing placed, then it connects by itself', async () => {
    const databasePath = await freshDatabase();
    // Down until the checks below are done (a loaded machine may take seconds to start the
    // child), then back: sim.faults.start() ends the refusal.
    sim.faults.refuseConnections(10 * 60_000);
    const engine = await spawnEngine({ DATABASE_PATH: databasePath, ARI_URL: sim.url, ARI_USERNAME, ARI_PASSWORD });
    engines.push(engine);
    await waitForStatus(engine.base, '/health', 200, 20000);
    const ready = await fetch(`${engine.base}/ready`);
    await ready.arrayBuffer();
    assert.equal(ready.status, 503, 'not ready without Asterisk');
    const before = sim.originateCount();
    const refused = await engine.request('POST', '/sessions/outgoing', { flowId: flow.short, numberToDial: '+12025550170' });
    assert.equal(refused.status, 503, refused.text);
    assert.ok(Number(refused.headers.get('retry-after')) >= 1, 'Retry-After');
    await sim.faults.start();
    await waitForStatus(engine.base, '/ready', 200, 20000);
    assert.equal(sim.originateCount(), before, 'the refused call was not placed later either');
    const id = await place(engine, flow.short!, '+12025550171');
    const done = await waitUntil(async () => {
      const s = await stateOf(engine, id);
      return FINAL_STATES.has(s.state) ? s : undefined;
    }, { message: 'the call to end', intervalMs: 50 });
    assert.equal(done.state, 'completed');
    engine.child.kill('SIGTERM');
    assert.equal(await engine.exited, 0);
    assertNoSecrets(engine.output(), [engine.token]);
  });

  test('no secret in stdout/stderr across calls, an ARI outage and reconnect, bad tokens and a token in the query', async () => {
    const databasePath = await freshDatabase();
    const engine = await start(databasePath, { LOG_LEVEL: 'trace' });
    const token = faultsToken({ sub: 'secret-check' });
    const id = await place(engine, flow.short!, '+12025550160');
    await waitUntil(async () => FINAL_STATES.has((await stateOf(engine, id)).state), { message: 'the first call to end', intervalMs: 50 });

    // ARI down for a while: ari-client's reconnect attempts carry api_key=user:password in their URL.
    sim.faults.refuseConnections(1500);
    sim.faults.dropWebSockets();
    await waitForStatus(engine.base, '/ready', 503, 5000);
    await waitForStatus(engine.base, '/ready', 200, 20000);

    const queryToken = await fetch(`${engine.base}/sessions?access_token=${token}`);
    assert.equal(queryToken.status, 401);
    const badToken = `${token.slice(0, -4)}AAAA`;
    const bad = await engine.request('GET', '/sessions', undefined, badToken);
    assert.equal(bad.status, 401);
    const second = await place(engine, flow.short!, '+12025550161');
    await waitUntil(async () => FINAL_STATES.has((await stateOf(engine, second)).state), { message: 'the second call to end', intervalMs: 50 });

    engine.child.kill('SIGTERM');
    assert.equal(await engine.exited, 0);
    const output = engine.output();
    assert.ok(output.length > 0, 'the engine logged something');
    assertNoSecrets(output, [token, engine.token, badToken]);
  });
});
