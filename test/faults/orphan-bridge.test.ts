// A crash during a bridged dial: the engine (a real child process) is SIGKILLed while its dial
// step holds the caller and the dialed party in a mixing bridge. Asterisk (the simulator, living in
// this test process so that it outlives the engine) keeps both channels and the bridge. After a
// restart on the same database, reconciliation hangs up both legs and destroys the bridge — and
// leaves alone a bridge the engine did not make.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startSimulator, type RunningSimulator } from '../../src/sim/index.js';
import type { FlowDocument } from '../../src/domain/flow.js';
import { FINAL_STATES, seedDatabase, spawnEngine, waitForStatus, type EngineProcess } from '../support/faults-engine.js';
import { waitUntil } from '../support/wait-until.js';

const ARI = { ARI_USERNAME: 'engine', ARI_PASSWORD: 'ari-orphan-bridge-Pa55-7c1d' };
const CALLER = '+18144043093';
const DIALED = '+13125550001';
const FLOW: FlowDocument = {
  name: 'Bridged for long',
  steps: [
    { id: 'connect', type: 'dial', to: DIALED, timeoutMs: 20000, timeLimitMs: 600000, next: 'bye' },
    { id: 'bye', type: 'hangup' },
  ],
};

describe('SIGKILL during a bridged dial, then a restart', { timeout: 120000 }, () => {
  let sim: RunningSimulator;
  let dir: string;
  const engines: EngineProcess[] = [];

  before(async () => {
    sim = await startSimulator({
      port: 0, host: '127.0.0.1', username: ARI.ARI_USERNAME, password: ARI.ARI_PASSWORD,
      scripts: {
        [`PJSIP/${CALLER}@trunk`]: { result: 'answer', answerAfterMs: 50 },
        [`PJSIP/${DIALED}@trunk`]: { result: 'answer', answerAfterMs: 50 },
      },
    });
    dir = mkdtempSync(join(tmpdir(), 'orphan-bridge-'));
  });
  after(async () => {
    for (const e of engines) await e.dispose();
    await sim?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const ari = async (method: string, path: string): Promise<{ status: number; body: any }> => {
    const res = await fetch(`${sim.url}/ari${path}`, {
      method, headers: { authorization: `Basic ${Buffer.from(`${ARI.ARI_USERNAME}:${ARI.ARI_PASSWORD}`).toString('base64')}` },
    });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : undefined };
  };

  const start = async (databasePath: string): Promise<EngineProcess> => {
    const engine = await spawnEngine({ DATABASE_PATH: databasePath, ARI_URL: sim.url, ...ARI, ALLOW_PRIVATE_DESTINATIONS: 'true', LOG_LEVEL: 'info' });
    engines.push(engine);
    await waitForStatus(engine.base, '/ready', 200, 30000).catch((err: Error) => {
      throw new Error(`${err.message}\n${engine.output().slice(-3000)}`);
    });
    return engine;
  };

  test('both legs are hung up and the bridge is destroyed; a bridge the engine did not make stays', async () => {
    const databasePath = join(dir, 'engine.sqlite');
    const flows = await seedDatabase(databasePath, { bridged: FLOW });
    const engine = await start(databasePath);
    const placed = await engine.request('POST', '/sessions/outgoing', { flowId: flows.bridged, numberToDial: CALLER });
    assert.equal(placed.status, 200, placed.text);
    const id: string = placed.body.id;

    // Both legs in the bridge: the dial step is holding them when the kill lands.
    let session: any;
    await waitUntil(async () => {
      session = (await engine.request('GET', `/sessions/${id}`)).body;
      assert.ok(!FINAL_STATES.has(session.state), `the call ended before it was bridged: ${session.endReason}`);
      return session.timeline.filter((e: any) => e.type === 'ari.bridge-entered').length === 2;
    }, { message: 'both legs in the bridge', timeoutMs: 30000 });
    const bridgeId: string = session.timeline.find((e: any) => e.type === 'bridge.created').data.bridgeId;
    const dialedLeg: string = session.timeline.find((e: any) => e.type === 'leg.created').data.leg;
    assert.equal(bridgeId.startsWith(`${session.channelId}-bridge-`), true, `the bridge id names the first channel: ${bridgeId}`);
    const made = await ari('GET', `/bridges/${bridgeId}`);
    assert.equal(made.status, 200);
    assert.equal(made.body.name, id, 'the bridge is named after its session');
    assert.deepEqual([...made.body.channels].sort(), [session.channelId, dialedLeg].sort());
    const foreign = await ari('POST', '/bridges?type=mixing&name=not-the-engines');
    assert.equal(foreign.status, 200);

    engine.child.kill('SIGKILL');
    assert.equal(await engine.exited, 'SIGKILL');
    // Asterisk outlives the engine: the bridge and both legs are still there.
    assert.equal((await ari('GET', `/bridges/${bridgeId}`)).status, 200);
    assert.deepEqual(sim.channels().map((c) => c.id).filter((c) => c === session.channelId || c === dialedLeg).sort(), [session.channelId, dialedLeg].sort());

    const restarted = await start(databasePath);
    await restarted.waitForOutput(/sessions left live by a previous run settled/, 30000);
    const bridges = await ari('GET', '/bridges');
    assert.equal(bridges.status, 200);
    const ids = bridges.body.map((b: any) => b.id);
    assert.equal(ids.includes(bridgeId), false, 'the orphaned bridge is destroyed');
    assert.equal(ids.includes(foreign.body.id), true, 'a bridge the engine did not make is left alone');
    assert.equal((await ari('GET', `/bridges/${bridgeId}`)).status, 404);
    const settledLine = restarted.output().split('\n').find((l) => l.includes('sessions left live by a previous run settled'));
    assert.match(settledLine ?? '', /"bridgesDestroyed":1/);
    // Both legs hung up: the hang-up requests went out, and neither channel is left.
    const hangups = sim.requests().filter((r) => r.method === 'DELETE').map((r) => r.path);
    assert.ok(hangups.includes(`/ari/channels/${session.channelId}`), 'the caller is hung up');
    assert.ok(hangups.includes(`/ari/channels/${dialedLeg}`), 'the dialed party is hung up');
    assert.ok(hangups.includes(`/ari/bridges/${bridgeId}`));
    await waitUntil(() => !sim.channels().some((c) => c.id === session.channelId || c.id === dialedLeg), { message: 'both channels gone from Asterisk' });
    const ended = (await restarted.request('GET', `/sessions/${id}`)).body;
    assert.equal(ended.state, 'failed');
    assert.match(ended.endReason, /engine lost during the call/);
  });
});
