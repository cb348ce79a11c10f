// Calls with two legs, end to end: POST /sessions/outgoing → the flow plays a prompt → `dial`
// connects a second number in a mixing bridge (POST /channels/create + /dial through the real
// ari-client to the simulator) → the outcome picks the branch. Real HTTP, real SQLite.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startE2E, type E2E } from '../support/e2e-stack.js';

const FINAL = new Set(['completed', 'busy', 'no-answer', 'failed', 'canceled']);
const isFinal = (s: { state: string }) => FINAL.has(s.state);

const CALLER = '+18144043093';
const ANSWERS = '+13125550001';
const BUSY = '+13125550002';
const NO_ANSWER = '+13125550003';
const LONG_CALL = '+13125550004';
/** Routed to a PJSIP endpoint the simulator does not know (an unregistered phone). */
const UNREGISTERED = '+12025550109';

const dialFlow = (to: string, extra: Record<string, unknown> = {}) => ({
  name: `Dial ${to}`,
  steps: [
    { id: 'hello', type: 'playback', media: ['sound:hello-world'] },
    {
      id: 'connect', type: 'dial', to, timeoutMs: 2000, variable: 'dialed',
      onAnswered: 'after', onBusy: 'busy', onNoAnswer: 'noanswer', onFailed: 'failed', ...extra,
    },
    { id: 'after', type: 'playback', media: ['sound:goodbye'], next: 'bye' },
    { id: 'busy', type: 'playback', media: ['sound:busy'], next: 'bye' },
    { id: 'noanswer', type: 'playback', media: ['sound:no-answer'], next: 'bye' },
    { id: 'failed', type: 'playback', media: ['sound:failed'], next: 'bye' },
    { id: 'bye', type: 'hangup' },
  ],
});

describe('dial: two legs in a bridge, end to end', () => {
  let e2e: E2E;

  before(async () => {
    const dir = mkdtempSync(join(tmpdir(), 'dial-routes-'));
    const routes = join(dir, 'routes.json');
    writeFileSync(routes, JSON.stringify({ default: 'PJSIP/{number}@trunk', rules: [{ match: UNREGISTERED, endpoint: 'PJSIP/phone9' }] }));
    e2e = await startE2E({ ORIGINATE_TIMEOUT_SEC: '5', ROUTES_FILE: routes }, {
      [CALLER]: { result: 'answer', answerAfterMs: 100 },
      [ANSWERS]: { result: 'answer', answerAfterMs: 200 },
      [BUSY]: { result: 'busy', answerAfterMs: 200 },
      [NO_ANSWER]: { result: 'no-answer' },
      [LONG_CALL]: { result: 'answer', answerAfterMs: 100 },
    });
  });
  after(async () => { await e2e?.close(); });

  const run = async (flow: unknown, numberToDial = CALLER): Promise<any> => {
    const created = await e2e.request('POST', '/flows', { body: flow });
    assert.equal(created.status, 201, created.text);
    const res = await e2e.request('POST', '/sessions/outgoing', { body: { flowId: created.body.id, numberToDial, callerId: '+12125550100' } });
    assert.equal(res.status, 200, res.text);
    return e2e.waitForSession(res.body.id, isFinal, 20_000);
  };
  const stepsOf = (s: any): string[] => s.timeline.filter((e: any) => e.type === 'step.started').map((e: any) => e.data.stepId);
  const rows = (s: any, type: string): any[] => s.timeline.filter((e: any) => e.type === type);

  test('the second party answers, both are bridged, it hangs up: the flow goes on with the caller and ends completed', async () => {
    const created0 = await e2e.request('POST', '/flows', { body: dialFlow(ANSWERS, { announce: ['sound:beep'], record: true }) });
    const placed = await e2e.request('POST', '/sessions/outgoing', { body: { flowId: created0.body.id, numberToDial: CALLER, callerId: '+12125550100' } });
    assert.equal(placed.status, 200, placed.text);
    // Once both are bridged and the announcement started, the dialed party hangs up.
    const live = await e2e.waitForSession(placed.body.id, (x) => rows(x, 'ari.bridge-entered').length === 2 && rows(x, 'bridge.playback').length === 2, 20_000);
    const farEnd = await fetch(`${e2e.sim.url}/sim/channels/${rows(live, 'leg.created')[0].data.leg}/hangup`, { method: 'POST' });
    assert.equal(farEnd.status, 204);
    const s = await e2e.waitForSession(placed.body.id, isFinal, 20_000);
    assert.equal(s.state, 'completed', s.endReason);
    assert.equal(s.variables.dialed, 'answered', JSON.stringify(s.timeline.filter((e: any) => e.type.startsWith('dial') || e.type.startsWith('leg') || e.type === 'error')));
    assert.deepEqual(stepsOf(s), ['hello', 'connect', 'after', 'bye']);
    const created = rows(s, 'leg.created')[0];
    assert.equal(created.data.role, 'dialed');
    assert.equal(created.data.number, ANSWERS);
    const dialed = created.data.leg;
    const entered = rows(s, 'ari.bridge-entered').map((e: any) => e.data.leg);
    assert.deepEqual(entered.sort(), [s.channelId, dialed].sort(), 'both legs entered the bridge');
    assert.ok(rows(s, 'ari.bridge-left').some((e: any) => e.data.leg === dialed), 'the dialed leg left the bridge');
    assert.equal(rows(s, 'bridge.created').length, 1);
    assert.equal(rows(s, 'bridge.destroyed').length, 1);
    assert.equal(rows(s, 'dial.ended')[0].data.outcome, 'answered');
    // Both legs with their causes.
    assert.equal(s.legs.length, 2);
    const [first, second] = s.legs;
    assert.equal(first.role, 'callee');
    assert.equal(first.channelId, s.channelId);
    assert.equal(second.role, 'dialed');
    assert.equal(second.channelId, dialed);
    assert.equal(second.number, ANSWERS);
    for (const leg of s.legs) {
      assert.equal(leg.state, 'ended');
      assert.equal(typeof leg.cause, 'number', `cause of ${leg.role}`);
      assert.ok(leg.dateAnswered, `${leg.role} answered`);
    }
    // ARI as Asterisk documents it: create (with originator) then dial, a mixing bridge.
    const reqs = e2e.sim.requests();
    const create = reqs.find((r) => r.path === '/ari/channels/create');
    assert.equal(create?.query.originator, s.channelId);
    assert.ok(reqs.some((r) => r.path === `/ari/channels/${dialed}/dial`));
    assert.ok(reqs.some((r) => r.method === 'POST' && r.path.startsWith('/ari/bridges/') && r.query.type === 'mixing'));
    // The ringback tone, then the announcement both parties hear, are playbacks on the bridge.
    const onBridge = reqs.filter((r) => /^\/ari\/bridges\/[^/]+\/play\//.test(r.path)).map((r) => r.query.media);
    assert.deepEqual(onBridge.filter((m) => m === 'tone:ring' || m === 'sound:beep'), ['tone:ring', 'sound:beep']);
    assert.ok(rows(s, 'bridge.playback').some((e: any) => e.data.media[0] === 'sound:beep'));
    // The bridged conversation was recorded (POST /bridges/{id}/record) and is a recording of the session.
    assert.ok(reqs.some((r) => /^\/ari\/bridges\/[^/]+\/record$/.test(r.path) && r.query.format === 'wav'));
    assert.equal(rows(s, 'recording.finished')[0]?.data.state, 'done');
    const recordings = await e2e.request('GET', `/sessions/${s.id}/recordings`);
    assert.equal(recordings.status, 200, recordings.text);
    assert.equal(recordings.body.items.length, 1);
    assert.equal(recordings.body.items[0].stepId, 'connect');
  });

  test('a created channel that enters the application late (a loaded Asterisk) is dialed once it is in: no 409, answered', async () => {
    // A real 22.10.1 under CPU load answers POST /channels/create before the channel's StasisStart;
    // a dial sent then gets 409 "Channel not in Stasis application" (trace s-dial-before-stasis-start).
    // 20 s of simulated time: 1 s at the stack's time scale of 0.05.
    e2e.sim.faults.delayCreatedStasisStart(20_000);
    const s = await run(dialFlow(ANSWERS, { timeLimitMs: 1_000 }));
    assert.equal(s.state, 'completed', s.endReason);
    assert.equal(s.variables.dialed, 'answered', JSON.stringify(rows(s, 'dial.ended')));
    const dialed = rows(s, 'leg.created')[0].data.leg;
    const dials = e2e.sim.requests().filter((r) => r.path === `/ari/channels/${dialed}/dial`);
    assert.deepEqual(dials.map((r) => r.status), [204], 'one dial, after the StasisStart');
    const created = e2e.sim.requests().filter((r) => r.path === '/ari/channels/create').at(-1);
    assert.ok(created && Date.parse(dials[0]!.at) - Date.parse(created.at) >= 800, 'the dial waited for the late StasisStart');
  });

  test('a busy second party takes onBusy', async () => {
    const s = await run(dialFlow(BUSY));
    assert.equal(s.state, 'completed', s.endReason);
    assert.equal(s.variables.dialed, 'busy');
    assert.deepEqual(stepsOf(s), ['hello', 'connect', 'busy', 'bye']);
    assert.equal(s.legs[1].cause, 17);
  });

  test('a second party that rings out takes onNoAnswer', async () => {
    const s = await run(dialFlow(NO_ANSWER));
    assert.equal(s.state, 'completed', s.endReason);
    assert.equal(s.variables.dialed, 'no-answer');
    assert.deepEqual(stepsOf(s), ['hello', 'connect', 'noanswer', 'bye']);
    assert.equal(s.legs[1].cause, 19);
  });

  test('a second party that cannot be reached (unregistered endpoint: 500 Allocation failed) takes onFailed', async () => {
    const s = await run(dialFlow(UNREGISTERED));
    assert.equal(s.state, 'completed', s.endReason);
    assert.equal(s.variables.dialed, 'failed');
    assert.deepEqual(stepsOf(s), ['hello', 'connect', 'failed', 'bye']);
    assert.match(rows(s, 'dial.ended')[0].data.reason, /Allocation failed/);
    assert.equal(s.legs[1].state, 'failed');
  });

  test('a callerId the account does not own fails the dial before any channel is made', async () => {
    const s = await run(dialFlow(ANSWERS, { callerId: '+19995550000' }));
    assert.equal(s.variables.dialed, 'failed');
    assert.deepEqual(stepsOf(s), ['hello', 'connect', 'failed', 'bye']);
    assert.match(rows(s, 'dial.ended')[0].data.reason, /not an enabled number/);
    assert.equal(s.legs.length, 1);
  });

  test('the caller hanging up during the bridge hangs up the second party', async () => {
    const created = await e2e.request('POST', '/flows', { body: dialFlow(LONG_CALL) });
    const res = await e2e.request('POST', '/sessions/outgoing', { body: { flowId: created.body.id, numberToDial: CALLER, callerId: '+12125550100' } });
    assert.equal(res.status, 200, res.text);
    // Once both are bridged, the caller hangs up (the simulator's far end).
    const bridged = await e2e.waitForSession(res.body.id, (x) => rows(x, 'ari.bridge-entered').length === 2, 20_000);
    const hangup = await fetch(`${e2e.sim.url}/sim/channels/${bridged.channelId}/hangup`, { method: 'POST' });
    assert.equal(hangup.status, 204);
    const s = await e2e.waitForSession(res.body.id, isFinal, 20_000);
    assert.equal(s.state, 'completed', s.endReason);
    assert.equal(s.variables.dialed, 'canceled');
    assert.deepEqual(stepsOf(s), ['hello', 'connect'], 'the flow ended with the caller');
    const dialed = rows(s, 'leg.created')[0].data.leg;
    assert.ok(e2e.sim.requests().some((r) => r.method === 'DELETE' && r.path === `/ari/channels/${dialed}`), 'the engine hung up the dialed leg');
    assert.ok(!e2e.sim.channels().some((c) => c.id === dialed), 'the dialed leg is gone');
    assert.equal(s.legs[1].state, 'ended');
    assert.equal(typeof s.legs[1].cause, 'number', 'its cause is recorded before the session ended');
  });

  test('timeLimitMs ends the bridge: the dialed party is hung up and the flow goes on', async () => {
    const s = await run(dialFlow(LONG_CALL, { timeLimitMs: 1000, ringback: 'moh' }));
    assert.equal(s.state, 'completed', s.endReason);
    assert.equal(s.variables.dialed, 'answered');
    assert.deepEqual(stepsOf(s), ['hello', 'connect', 'after', 'bye']);
    assert.match(rows(s, 'dial.ended')[0].data.reason, /time limit/);
  });

  test('transfer hands the call to the dialplan and leaves: completed, reason transferred, where it went', async () => {
    const s = await run({
      name: 'Transfer',
      steps: [
        { id: 'hello', type: 'playback', media: ['sound:hello-world'] },
        { id: 'away', type: 'transfer', to: ANSWERS },
      ],
    });
    assert.equal(s.state, 'completed', s.endReason);
    assert.equal(s.endReason, `transferred to ${ANSWERS}`);
    const moved = rows(s, 'session.transferred')[0];
    assert.equal(moved.data.to, ANSWERS);
    assert.equal(moved.data.endpoint, `PJSIP/${ANSWERS}@trunk`);
    assert.equal(s.legs[0].state, 'transferred');
    const reqs = e2e.sim.requests();
    const setVar = reqs.find((r) => r.path === `/ari/channels/${s.channelId}/variable`);
    assert.equal(setVar?.query.variable, 'ENGINE_TRANSFER_TO');
    assert.equal(setVar?.query.value, `PJSIP/${ANSWERS}@trunk`);
    const cont = reqs.find((r) => r.path === `/ari/channels/${s.channelId}/continue`);
    assert.equal(cont?.query.context, 'engine-transfer');
    assert.equal(cont?.query.extension, ANSWERS);
    assert.ok(!reqs.some((r) => r.method === 'DELETE' && r.path === `/ari/channels/${s.channelId}`), 'the engine did not hang up the transferred call');
  });
});
