// Hundreds of calls live at a SIGKILL, then a restart on the same database: the restarted engine
// settles them in bulk before /ready turns 200, so that the moment /ready says 200 no session is
// live and none of their calls is still up in Asterisk (the simulator, living in this process).
// The time it takes is a figure for `npm run bench` ("reconcile N"), not a bound asserted here.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startSimulator, type RunningSimulator } from '../../src/sim/index.js';
import { openSqliteStore } from '../../src/store/sqlite-store.js';
import type { FlowDocument } from '../../src/domain/flow.js';
import {
  FAULTS_ACCOUNT, LIVE_STATES, seedDatabase, spawnEngine, waitForStatus, type EngineProcess,
} from '../support/faults-engine.js';

const ARI_USERNAME = 'engine';
const ARI_PASSWORD = 'ari-Pa55word-rec0ncile-2b8e';
const CALLS = 300;
const LONG_FLOW: FlowDocument = { name: 'Long', steps: [{ id: 'wait', type: 'pause', ms: 600000 }, { id: 'bye', type: 'hangup' }] };

describe('reconciliation at scale after a SIGKILL', { timeout: 240000 }, () => {
  let sim: RunningSimulator;
  let dir: string;
  let databasePath: string;
  const engines: EngineProcess[] = [];
  const accepted: string[] = [];
  let restarted: EngineProcess;
  /** Live sessions and simulator channels at the first 200 of /ready after the restart. */
  let atReady: { live: number; channels: number };

  const spawn = async (): Promise<EngineProcess> => {
    const engine = await spawnEngine({
      DATABASE_PATH: databasePath, ARI_URL: sim.url, ARI_USERNAME, ARI_PASSWORD, LOG_LEVEL: 'info', DRAIN_TIMEOUT_MS: '1000',
    });
    engines.push(engine);
    return engine;
  };

  const liveCount = async (engine: EngineProcess): Promise<number> => {
    let total = 0;
    for (const state of LIVE_STATES) {
      const res = await engine.request('GET', `/sessions?state=${state}&countPerPage=1`);
      assert.equal(res.status, 200, res.text);
      total += res.body.totalCount as number;
    }
    return total;
  };

  before(async () => {
    sim = await startSimulator({ port: 0, host: '127.0.0.1', username: ARI_USERNAME, password: ARI_PASSWORD, timeScale: 0.05 });
    dir = mkdtempSync(join(tmpdir(), 'engine-reconcile-'));
    databasePath = join(dir, 'engine.sqlite');
    const flow = (await seedDatabase(databasePath, { long: LONG_FLOW })).long!;

    const first = await spawn();
    await waitForStatus(first.base, '/ready', 200, 30000);
    let n = 0;
    const client = async (): Promise<void> => {
      while (n < CALLS) {
        const number = `+1202555${String(1000 + n++).padStart(4, '0')}`;
        const res = await first.request('POST', '/sessions/outgoing', { flowId: flow, numberToDial: number });
        assert.equal(res.status, 200, res.text);
        accepted.push(res.body.id as string);
      }
    };
    await Promise.all(Array.from({ length: 8 }, client));
    // Every call answered and in the application (in its long pause) before the kill: a call still
    // ringing then would enter Stasis with no application registered and be hung up by Asterisk,
    // so its session would rightly end "no longer exists" instead of "hung up".
    const deadline = Date.now() + 60000;
    const answered = (): number => sim.channels().filter((c) => c.state === 'Up' && c.inStasis).length;
    while (answered() < CALLS) {
      if (Date.now() > deadline) throw new Error(`only ${answered()} of ${CALLS} calls answered`);
      await new Promise((r) => setTimeout(r, 50));
    }
    first.child.kill('SIGKILL');
    assert.equal(await first.exited, 'SIGKILL');

    restarted = await spawn();
    await waitForStatus(restarted.base, '/ready', 200, 60000).catch((err: Error) => {
      throw new Error(`${err.message}\n${restarted.output().slice(-3000)}`);
    });
    // Taken right after the first 200: the original sequential reconciliation was still at work then.
    const channels = sim.channels().length;
    atReady = { live: await liveCount(restarted), channels };
  });

  after(async () => {
    for (const engine of engines) await engine.dispose();
    await sim?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test('when /ready first answers 200, no session is live and no call of the killed process is up', () => {
    assert.equal(accepted.length, CALLS);
    assert.deepEqual(atReady, { live: 0, channels: 0 });
  });

  test('every session ends failed with the reason, hung up, in its timeline; the settlement is logged with its duration', async () => {
    restarted.child.kill('SIGTERM');
    assert.equal(await restarted.exited, 0);
    const store = await openSqliteStore(databasePath);
    try {
      for (const id of accepted) {
        const s = await store.getSession(FAULTS_ACCOUNT, id);
        assert.equal(s?.state, 'failed', `${id}: ${s?.state}`);
        assert.equal(s?.endReason, 'engine lost during the call (restarted, killed or cut off): the call was hung up');
      }
      const events = await store.listSessionEvents(accepted[0]!);
      assert.ok(events.some((e) => e.type === 'state' && e.data.state === 'failed'));
    } finally {
      await store.close();
    }
    const line = restarted.output().split('\n').find((l) => l.includes('sessions left live by a previous run settled'));
    assert.ok(line, 'the settlement is logged');
    const logged = JSON.parse(line) as { hungUp: number; gone: number; failedWrites: number; ms: number };
    assert.deepEqual({ hungUp: logged.hungUp, gone: logged.gone, failedWrites: logged.failedWrites }, { hungUp: CALLS, gone: 0, failedWrites: 0 });
    process.stdout.write(`# reconcile ${CALLS} orphaned sessions: ${logged.ms} ms\n`);
  });
});
