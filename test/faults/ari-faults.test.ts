// Asterisk misbehaving under a live engine (in-process, real ari-client over real sockets to the
// simulator): WebSocket drops, restarts, outages, originate errors, DTMF floods, bursts of calls and
// a blocked event loop. Each fault has one outcome: sessions end in a final state with a reason,
// the engine comes back by itself, nothing is placed while ARI is down, and the process stays up.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startE2E, type E2E } from '../support/e2e-stack.js';
import { FINAL_STATES, failedWithReason, timelineOf, waitForStatus } from '../support/faults-engine.js';
import type { FlowDocument } from '../../src/domain/flow.js';
import { DEMO_ACCOUNT_ID as ACCOUNT, DEMO_CALLER_ID as CALLER_ID } from '../../src/demo.js';
import { waitUntil } from '../support/wait-until.js';

const TIME_SCALE = 0.05;
/** Simulator durations are scaled: this many script milliseconds make one real millisecond. */
const SIM_MS = 1 / TIME_SCALE;

const FLOWS: Record<string, FlowDocument> = {
  long: { name: 'Long', steps: [{ id: 'wait', type: 'pause', ms: 120000 }, { id: 'bye', type: 'hangup' }] },
  short: { name: 'Short', steps: [{ id: 'wait', type: 'pause', ms: 200 }, { id: 'bye', type: 'hangup' }] },
  medium: { name: 'Medium', steps: [{ id: 'wait', type: 'pause', ms: 1500 }, { id: 'bye', type: 'hangup' }] },
  flood: {
    name: 'Flood',
    steps: [
      { id: 'code', type: 'gather', maxDigits: 4, timeoutMs: 3000, interDigitTimeoutMs: 1000, attempts: 1, variable: 'code' },
      { id: 'wait', type: 'pause', ms: 100 },
      { id: 'bye', type: 'hangup' },
    ],
  },
  loop: {
    name: 'Loop',
    steps: [
      { id: 'again', type: 'set', variable: 'x', value: '{{x}}1', next: 'tick' },
      { id: 'tick', type: 'pause', ms: 1, next: 'again' },
    ],
  },
  menu: {
    name: 'Menu',
    steps: [
      { id: 'hello', type: 'playback', media: ['sound:hello-world'] },
      { id: 'menu', type: 'gather', prompt: ['sound:press-1'], maxDigits: 1, timeoutMs: 1500, attempts: 1, variable: 'choice', branches: { '1': 'yes' }, noInput: 'bye', noMatch: 'bye' },
      { id: 'yes', type: 'playback', media: ['sound:thank-you'], next: 'bye' },
      { id: 'bye', type: 'hangup' },
    ],
  },
};

const MAX_STEPS = 60;
const FLOODER = '+12025550202';
const MENU_CALLEE = '+12025550203';

const SCRIPTS = {
  // 1,000 digits, one every real millisecond, from the answer on.
  [FLOODER]: { result: 'answer' as const, answerAfterMs: 2 * SIM_MS, dtmf: [{ digits: '0123456789*#'.repeat(84).slice(0, 1000), atMs: 0, gapMs: 1 * SIM_MS }] },
  [MENU_CALLEE]: { result: 'answer' as const, answerAfterMs: 5 * SIM_MS, dtmf: [{ digits: '1', afterPlaybackStarted: 2, delayMs: 2 * SIM_MS }] },
};

const isFinal = (s: { state: string }) => FINAL_STATES.has(s.state);

const rejections: unknown[] = [];
const onRejection = (reason: unknown): void => { rejections.push(reason); };

function assertErrorShape(body: any, text: string): void {
  assert.equal(typeof body?.responseStatus?.errorCode, 'string', text);
  assert.equal(typeof body.responseStatus.message, 'string', text);
  assert.ok(Array.isArray(body.responseStatus.errors ?? []), text);
}

/** Creates the flows; returns their ids by name. */
async function seedFlows(e2e: E2E): Promise<Record<string, string>> {
  const ids: Record<string, string> = {};
  for (const [name, document] of Object.entries(FLOWS)) ids[name] = (await e2e.stack.store.createFlow(ACCOUNT, document)).id;
  return ids;
}

describe('ARI faults under a live engine', { timeout: 60000 }, () => {
  let e2e: E2E;
  let flow: Record<string, string> = {};

  before(async () => {
    process.on('unhandledRejection', onRejection);
    e2e = await startE2E({ SIM_TIME_SCALE: String(TIME_SCALE), FLOW_MAX_STEPS: String(MAX_STEPS) }, SCRIPTS);
    flow = await seedFlows(e2e);
  });
  after(async () => {
    await e2e?.close();
    process.off('unhandledRejection', onRejection);
  });

  async function place(flowName: string, numberToDial: string): Promise<string> {
    const res = await e2e.request('POST', '/sessions/outgoing', { body: { flowId: flow[flowName], numberToDial, callerId: CALLER_ID } });
    assert.equal(res.status, 200, res.text);
    return res.body.id as string;
  }

  async function nextCallWorks(): Promise<void> {
    const id = await place('short', '+12025550299');
    const s = await e2e.waitForSession(id, isFinal);
    assert.equal(s.state, 'completed', `a call after the fault works: ${JSON.stringify(s)}`);
  }

  test('WebSocket dropped mid-call: the session ends (carried on or failed with a reason), the engine reconnects', async () => {
    const id = await place('medium', '+12025550210');
    await e2e.waitForSession(id, (s) => s.state === 'in-progress');
    e2e.sim.faults.dropWebSockets();
    const s = await e2e.waitForSession(id, isFinal);
    assert.ok(s.state === 'completed' || failedWithReason(s), `ended ${s.state} / ${s.endReason}`);
    await waitForStatus(e2e.base, '/ready', 200, 10000);
    await nextCallWorks();
  });

  test('callee gone while ARI is down: reconciliation ends the session failed with a reason; /ready 503 then 200', async () => {
    const id = await place('long', '+12025550201');
    await e2e.waitForSession(id, (s) => s.state === 'in-progress');
    const channel = e2e.sim.channels().find((c) => c.endpoint.includes('+12025550201'));
    assert.ok(channel, 'the call is up on the simulator');
    // Outages long enough that a loaded machine still acts inside them.
    e2e.sim.faults.refuseConnections(4000);
    e2e.sim.faults.dropWebSockets();
    await waitForStatus(e2e.base, '/ready', 503, 3500);
    // The far end hangs up during the outage: its events are lost with the WebSocket.
    assert.ok(e2e.sim.hangupFromFarEnd(channel.id));
    await waitForStatus(e2e.base, '/ready', 200, 15000);
    const s = await e2e.waitForSession(id, isFinal);
    assert.ok(failedWithReason(s), `ended ${s.state} / ${s.endReason} / ${JSON.stringify(timelineOf(s).slice(-3))}`);
    await nextCallWorks();
  });

  test('Asterisk restarted mid-call: the session ends failed with a reason, the engine reconnects and calls again', async () => {
    const ids = [await place('long', '+12025550220'), await place('long', '+12025550221')];
    for (const id of ids) await e2e.waitForSession(id, (s) => s.state === 'in-progress');
    await e2e.sim.faults.restart();
    for (const id of ids) {
      const s = await e2e.waitForSession(id, isFinal);
      assert.ok(failedWithReason(s), `ended ${s.state} / ${s.endReason} / ${JSON.stringify(timelineOf(s).slice(-3))}`);
    }
    await waitForStatus(e2e.base, '/ready', 200, 15000);
    await nextCallWorks();
  });

  test('while ARI is down POST /sessions/outgoing answers 503 with Retry-After and places nothing', async () => {
    e2e.sim.faults.refuseConnections(6000);
    e2e.sim.faults.dropWebSockets();
    await waitForStatus(e2e.base, '/ready', 503, 5000);
    const ready = await e2e.request('GET', '/ready', { token: null });
    assert.equal(ready.status, 503);
    const before = e2e.sim.originateCount();
    for (let i = 0; i < 5; i++) {
      const res = await e2e.request('POST', '/sessions/outgoing', { body: { flowId: flow.short, numberToDial: '+12025550230', callerId: CALLER_ID } });
      assert.equal(res.status, 503, res.text);
      const retryAfter = Number(res.headers.get('retry-after'));
      assert.ok(Number.isInteger(retryAfter) && retryAfter >= 1, `Retry-After: ${res.headers.get('retry-after')}`);
      assertErrorShape(res.body, res.text);
    }
    const health = await e2e.request('GET', '/health', { token: null });
    assert.equal(health.status, 200, 'liveness holds while ARI is down');
    await waitForStatus(e2e.base, '/ready', 200, 15000);
    assert.equal(e2e.sim.originateCount(), before, 'nothing was originated while ARI was down');
    await nextCallWorks();
  });

  test('originate answered 500 (Allocation failed): the session ends failed with the reason', async () => {
    e2e.sim.faults.failNext({ method: 'POST', path: /\/channels(\/[^/]+)?$/, status: 500, body: { error: 'Allocation failed' }, count: 1 });
    const res = await e2e.request('POST', '/sessions/outgoing', { body: { flowId: flow.short, numberToDial: '+12025550240', callerId: CALLER_ID } });
    assert.equal(res.status, 200, `the request was valid; the failure belongs to the session: ${res.text}`);
    const s = await e2e.waitForSession(res.body.id, isFinal);
    assert.ok(failedWithReason(s), `ended ${s.state} / ${s.endReason}`);
    assert.equal(timelineOf(s).filter((e) => e.type === 'step.started').length, 0, 'no flow ran');
    await nextCallWorks();
  });

  test('a slow originate answer (1.5 s) and a slow play answer: the call goes on and completes', async () => {
    e2e.sim.faults.delayNext({ method: 'POST', path: /\/channels(\/[^/]+)?$/, delayMs: 1500 });
    e2e.sim.faults.delayNext({ method: 'POST', path: /\/channels\/[^/]+\/play/, delayMs: 800 });
    const id = await place('menu', MENU_CALLEE);
    const s = await e2e.waitForSession(id, isFinal);
    assert.equal(s.state, 'completed', `ended ${s.state} / ${s.endReason}`);
    assert.equal(s.variables.choice, '1', 'the digit pressed after the slow prompt was gathered');
  });

  test('a flow that loops forever is stopped by the step cap, hung up, with a reason', async () => {
    const id = await place('loop', '+12025550250');
    const s = await e2e.waitForSession(id, isFinal, 20000);
    assert.ok(s.endReason, `ended ${s.state} without a reason`);
    const started = timelineOf(s).filter((e) => e.type === 'step.started').length;
    assert.ok(started <= MAX_STEPS + 1, `${started} steps ran with a cap of ${MAX_STEPS}`);
    assert.ok(started >= MAX_STEPS / 2, `the loop did run (${started} steps)`);
    assert.equal(e2e.sim.channels().some((c) => c.endpoint.includes('+12025550250')), false, 'the looping call was hung up');
  });

  test('a DTMF flood of 1,000 digits: the process stays up and the session ends sanely', async () => {
    const id = await place('flood', FLOODER);
    const s = await e2e.waitForSession(id, isFinal, 20000);
    assert.equal(s.state, 'completed', `ended ${s.state} / ${s.endReason}`);
    assert.equal(s.variables.code?.length, 4, `gathered at most maxDigits: ${JSON.stringify(s.variables)}`);
    assert.match(s.variables.code, /^[0-9*#]{4}$/);
    const health = await e2e.request('GET', '/health', { token: null });
    assert.equal(health.status, 200);
    await nextCallWorks();
  });

  test('the event loop blocked for 500 ms mid-call, then the WebSocket dropped: no crash, every session ends', async () => {
    const ids = [];
    for (let i = 0; i < 5; i++) ids.push(await place('menu', MENU_CALLEE));
    await e2e.waitForSession(ids[0]!, (s) => s.state === 'in-progress' || isFinal(s));
    const until = Date.now() + 500;
    while (Date.now() < until) { /* a synchronous stall of the whole process */ }
    // Asterisk does not wait for a peer that stopped answering: it drops the socket.
    e2e.sim.faults.dropWebSockets();
    for (const id of ids) {
      const s = await e2e.waitForSession(id, isFinal, 20000);
      assert.ok(s.state === 'completed' || failedWithReason(s), `ended ${s.state} / ${s.endReason}`);
    }
    await waitForStatus(e2e.base, '/ready', 200, 10000);
    await nextCallWorks();
  });

  test('no live session is left behind by any of the faults above', async () => {
    await waitUntil(async () => e2e.stack.engine.liveCount() === 0 && (await e2e.stack.store.listLiveSessions()).length === 0, { message: 'the last sessions to end' });
    const live = await e2e.stack.store.listLiveSessions();
    assert.deepEqual(live.map((s) => `${s.id} ${s.state}`), []);
    assert.equal(e2e.stack.engine.liveCount(), 0);
  });

  test('no unhandled rejection during the faults', () => {
    assert.deepEqual(rejections.map(String), []);
  });
});

describe('a burst of 150 parallel calls against the per-account caps', { timeout: 60000 }, () => {
  let e2e: E2E;
  let flow: Record<string, string> = {};

  before(async () => {
    e2e = await startE2E({ SIM_TIME_SCALE: String(TIME_SCALE), MAX_CALLS_PER_SECOND_PER_ACCOUNT: '20', MAX_LIVE_CALLS_PER_ACCOUNT: '60' });
    flow = await seedFlows(e2e);
  });
  after(async () => { await e2e?.close(); });

  test('150 POSTs at once: each 200 or 429 with Retry-After, each accepted one reaches a final state, 429s place nothing', async () => {
    const before = e2e.sim.originateCount();
    const results = await Promise.all(Array.from({ length: 150 }, (_, i) => e2e.request('POST', '/sessions/outgoing', {
      body: { flowId: flow.short, numberToDial: `+1202555${String(3000 + i)}`, callerId: CALLER_ID },
    })));
    const accepted = results.filter((r) => r.status === 200);
    const limited = results.filter((r) => r.status === 429);
    assert.equal(accepted.length + limited.length, 150, `statuses: ${[...new Set(results.map((r) => r.status))].join(', ')}`);
    assert.ok(accepted.length >= 1, 'some calls get through');
    assert.ok(limited.length >= 1, 'the caps refuse the excess');
    for (const r of limited) {
      assert.ok(Number(r.headers.get('retry-after')) >= 1, `429 with Retry-After: ${r.headers.get('retry-after')}`);
      assertErrorShape(r.body, r.text);
    }
    for (const r of accepted) {
      const s = await e2e.waitForSession(r.body.id, isFinal, 30000);
      assert.equal(s.state, 'completed', `${r.body.id}: ${s.state} / ${s.endReason}`);
    }
    assert.equal(e2e.sim.originateCount() - before, accepted.length, 'one originate per accepted call, none for a 429');
  });
});
