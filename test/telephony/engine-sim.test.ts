// The telephony engine end to end below HTTP: real ari-client adapter, the simulator over real
// sockets, a real SQLite file. Answered/busy/no-answer/failed/rejected calls, far-end hangups,
// reconnects with reconciliation, and nothing left behind.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { startSimulator, type RunningSimulator } from '../../src/sim/index.js';
import { openSqliteStore } from '../../src/store/sqlite-store.js';
import type { Store } from '../../src/store/store.js';
import { loadConfig } from '../../src/config.js';
import { createAriClientPort, type AriClientPort } from '../../src/telephony/ari/ari-client-adapter.js';
import { createTelephonyEngine, type TelephonyEngine } from '../../src/telephony/engine.js';
import type { FlowDocument } from '../../src/domain/flow.js';
import type { Session } from '../../src/domain/model.js';
import { waitUntil } from '../support/wait-until.js';
import { menuFlow } from '../support/flows.js';
import { createSession } from '../support/session-writers.js';

const SCALE = 0.05;
const S = 1 / SCALE; // script milliseconds per real millisecond
const ACCOUNT = 'acct';
const FINAL = ['completed', 'busy', 'no-answer', 'failed', 'canceled'];

const MENU = menuFlow({ timeoutMs: 1500, attempts: 1 });
const LONG: FlowDocument = { name: 'Long', steps: [{ id: 'wait', type: 'pause', ms: 120_000 }] };
const GATHER_ONLY: FlowDocument = { name: 'Gather', steps: [{ id: 'g', type: 'gather', timeoutMs: 60_000, variable: 'x' }] };

const SCRIPTS = {
  '+18144043093': { result: 'answer' as const, answerAfterMs: 5 * S, dtmf: [{ digits: '1', afterPlaybackStarted: 2, delayMs: 2 * S }] },
  '+18144043094': { result: 'answer' as const, answerAfterMs: 5 * S, dtmf: [{ digits: '2', afterPlaybackStarted: 2, delayMs: 2 * S }] },
  '+12025550100': { result: 'busy' as const, answerAfterMs: 5 * S },
  '+12025550101': { result: 'no-answer' as const },
  '+12025550102': { result: 'congestion' as const, answerAfterMs: 5 * S },
  '+12025550103': { result: 'reject' as const, answerAfterMs: 5 * S },
  // Answers and stays: the tests hang it up from the far end once the step under test runs.
  '+12025550104': { result: 'answer' as const, answerAfterMs: 5 * S },
  '+12025550105': { result: 'answer' as const, answerAfterMs: 5 * S },
};


describe('telephony engine over ari-client and the simulator', { timeout: 90_000 }, () => {
  let dir: string;
  let sim: RunningSimulator;
  let store: Store;
  let port: AriClientPort;
  let engine: TelephonyEngine;
  const rejections: unknown[] = [];
  const onRejection = (r: unknown) => { rejections.push(r); };

  before(async () => {
    process.on('unhandledRejection', onRejection);
    dir = mkdtempSync(join(tmpdir(), 'telephony-sim-'));
    sim = await startSimulator({ timeScale: SCALE, scripts: SCRIPTS, username: 'engine', password: 'sim-password-xyz' });
    store = await openSqliteStore(join(dir, 'engine.sqlite'));
    await store.ensureAccount(ACCOUNT, 'Account');
    const logger = pino({ level: 'silent' });
    port = createAriClientPort({ url: sim.url, username: sim.username, password: sim.password, app: 'engine', logger, requestTimeoutMs: 2000, reconnect: { initialMs: 50, maxMs: 400 } });
    engine = createTelephonyEngine({
      port, store, logger, config: loadConfig({ JWT_SECRET: 'x'.repeat(40), ORIGINATE_TIMEOUT_SEC: '2' }),
      router: { endpointFor: (n) => `PJSIP/${n}@trunk`, endpointForExtension: () => undefined },
      originateRetry: { attempts: 3, initialMs: 50, maxMs: 200 },
      hangupConfirmMs: 1000,
    });
    await engine.start();
  });
  after(async () => {
    await engine?.stop({ drainMs: 0 });
    await store?.close();
    await sim?.close();
    rmSync(dir, { recursive: true, force: true });
    process.off('unhandledRejection', onRejection);
  });

  async function place(document: FlowDocument, number: string): Promise<Session> {
    const flow = await store.createFlow(ACCOUNT, document);
    const { session, originated } = await engine.placeCall({
      id: randomUUID(), accountId: ACCOUNT, flowId: flow.id, flowVersion: flow.version, numberToDial: number,
      callerId: '+15551230000', channelId: `eng-${randomUUID()}`, endpoint: engine.endpointFor(number), dateCreated: new Date().toISOString(),
    }, flow, (s) => createSession(store, s));
    await originated;
    return session;
  }
  async function waitFor(id: string, ok: (s: Session) => boolean, timeoutMs = 15_000): Promise<Session> {
    let last: Session | undefined;
    return waitUntil(async () => {
      last = await store.getSession(undefined, id);
      return last && ok(last) ? last : undefined;
    }, { message: () => `session ${id}; last: ${JSON.stringify(last)}`, timeoutMs, intervalMs: 20 });
  }
  const waitFinal = (id: string) => waitFor(id, (s) => FINAL.includes(s.state));
  const steps = async (id: string) => (await store.listSessionEvents(id)).filter((e) => e.type === 'step.started').map((e) => e.data.stepId);
  /** The callee hangs up once the step runs (its start is recorded as it begins), not after a fixed time. */
  const hangUpDuring = async (s: Session, stepId: string) => {
    await waitUntil(async () => (await steps(s.id)).includes(stepId), { message: `step ${stepId} to start` });
    assert.ok(sim.hangupFromFarEnd(s.channelId), 'the callee was still on the line');
  };

  test('an answered call runs playback → gather → branch → playback → hangup and ends completed', async () => {
    const s = await place(MENU, '+18144043093');
    const done = await waitFinal(s.id);
    assert.equal(done.state, 'completed', done.endReason ?? '');
    assert.equal(done.variables.choice, '1');
    assert.deepEqual(await steps(s.id), ['hello', 'menu', 'yes', 'bye']);
    const states = (await store.listSessionEvents(s.id)).filter((e) => e.type === 'state').map((e) => e.data.state);
    assert.deepEqual(states, ['dialing', 'ringing', 'in-progress', 'completed']);
    const originate = sim.requests().find((r) => r.method === 'POST' && r.query.channelId === s.channelId);
    assert.equal(originate?.query.appArgs, s.id);
  });

  test('the other digit takes the other branch (say the digits)', async () => {
    const s = await place(MENU, '+18144043094');
    const done = await waitFinal(s.id);
    assert.equal(done.state, 'completed');
    assert.equal(done.variables.choice, '2');
    assert.deepEqual(await steps(s.id), ['hello', 'menu', 'no', 'bye']);
  });

  for (const [number, expected] of [['+12025550100', 'busy'], ['+12025550101', 'no-answer'], ['+12025550102', 'failed'], ['+12025550103', 'no-answer']] as const) {
    test(`${number} ends ${expected} without running the flow`, async () => {
      const s = await place(MENU, number);
      const done = await waitFinal(s.id);
      assert.equal(done.state, expected, done.endReason ?? '');
      assert.ok(done.endReason);
      assert.deepEqual(await steps(s.id), []);
    });
  }

  test('a session the store refuses to create is not placed and leaves nothing live', async () => {
    const flow = await store.createFlow(ACCOUNT, MENU);
    const channelId = `eng-${randomUUID()}`;
    const live = engine.liveCount();
    await assert.rejects(engine.placeCall({
      id: randomUUID(), accountId: ACCOUNT, flowId: flow.id, flowVersion: 1, numberToDial: '+18144043093',
      callerId: '+15551230000', channelId, endpoint: engine.endpointFor('+18144043093'), dateCreated: new Date().toISOString(),
    }, flow, () => Promise.reject(new Error('disk full'))), /disk full/);
    assert.equal(engine.liveCount(), live);
    assert.equal(sim.requests().some((r) => r.query.channelId === channelId), false, 'no originate was sent');
  });

  test('an unknown endpoint (originate 500 Allocation failed) ends failed with the reason', async () => {
    const flow = await store.createFlow(ACCOUNT, MENU);
    const { session, originated } = await engine.placeCall({
      id: randomUUID(), accountId: ACCOUNT, flowId: flow.id, flowVersion: 1, numberToDial: '+18144043093',
      callerId: '+15551230000', channelId: `eng-${randomUUID()}`, endpoint: 'PJSIP/nosuch', dateCreated: new Date().toISOString(),
    }, flow, (s) => createSession(store, s));
    await originated;
    const done = await waitFinal(session.id);
    assert.equal(done.state, 'failed');
    assert.match(done.endReason ?? '', /Allocation failed/);
  });

  test('the callee hanging up mid-playback ends the session completed, cleanly', async () => {
    const s = await place({ name: 'p', steps: [{ id: 'long', type: 'playback', media: ['sound:demo-congrats'] }, { id: 'after', type: 'hangup' }] }, '+12025550104');
    await hangUpDuring(s, 'long');
    const done = await waitFinal(s.id);
    assert.equal(done.state, 'completed');
    assert.deepEqual(await steps(s.id), ['long']);
    assert.ok((await store.listSessionEvents(s.id)).some((e) => e.type === 'step.interrupted'));
  });

  test('the callee hanging up mid-gather ends the session completed, cleanly', async () => {
    const s = await place(GATHER_ONLY, '+12025550104');
    await hangUpDuring(s, 'g');
    const done = await waitFinal(s.id);
    assert.equal(done.state, 'completed');
    assert.ok((await store.listSessionEvents(s.id)).some((e) => e.type === 'step.interrupted' && e.data.stepId === 'g'));
  });

  test('a dropped WebSocket mid-call: reconnected, reconciled, the call goes on', async () => {
    const s = await place({ name: 'p', steps: [{ id: 'wait', type: 'pause', ms: 800 }, { id: 'bye', type: 'hangup' }] }, '+12025550105');
    await waitFor(s.id, (x) => x.state === 'in-progress');
    sim.faults.dropWebSockets();
    const done = await waitFinal(s.id);
    assert.equal(done.state, 'completed', done.endReason ?? '');
    assert.equal(port.isConnected(), true);
  });

  test('callee gone while ARI was unreachable: reconciliation ends the session failed with a reason', async () => {
    const s = await place(LONG, '+12025550105');
    await waitFor(s.id, (x) => x.state === 'in-progress');
    sim.faults.refuseConnections(600);
    const gone = sim.channels().find((c) => c.id === s.channelId);
    assert.ok(gone);
    sim.hangupFromFarEnd(s.channelId);
    const done = await waitFinal(s.id);
    assert.equal(done.state, 'failed');
    assert.match(done.endReason ?? '', /vanished/);
    assert.ok((await store.listSessionEvents(s.id)).some((e) => e.type === 'reconciled'));
  });

  test('nothing is left behind: no live call, no live session, constant listeners, no unhandled rejection', async () => {
    const listeners = port.stats().listeners;
    const ids: string[] = [];
    for (let i = 0; i < 10; i++) ids.push((await place({ name: 'q', steps: [{ id: 'p', type: 'pause', ms: 10 }] }, '+12025550105')).id);
    for (const id of ids) assert.equal((await waitFinal(id)).state, 'completed');
    await waitUntil(() => engine.liveCount() === 0 && port.stats().listeners === listeners, { message: 'the last calls to leave the dispatcher' });
    assert.equal(engine.liveCount(), 0);
    assert.deepEqual((await store.listLiveSessions()).map((s) => s.state), []);
    assert.equal(port.stats().listeners, listeners);
    assert.deepEqual(rejections.map(String), []);
  });
});
