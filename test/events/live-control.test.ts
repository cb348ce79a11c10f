// Live control over the real API, ari-client and the simulator: redirect, hold, DTMF, EndSession,
// and the 409 every control gets on a session that is not live.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startE2E, type E2E } from '../support/e2e-stack.js';

const GATHER_FLOW = {
  name: 'Menu',
  steps: [
    { id: 'menu', type: 'gather', maxDigits: 1, timeoutMs: 30000, attempts: 1, variable: 'choice', branches: { '1': 'bye' }, noInput: 'bye', noMatch: 'bye' },
    { id: 'bye', type: 'hangup' },
  ],
};
const OTHER_FLOW = {
  name: 'Other',
  steps: [
    { id: 'intro', type: 'set', variable: 'where', value: 'intro' },
    { id: 'mark', type: 'set', variable: 'redirected', value: 'yes' },
    { id: 'thanks', type: 'playback', media: ['sound:thank-you'] },
    { id: 'bye', type: 'hangup' },
  ],
};
const PAUSE_FLOW = {
  name: 'Pause',
  steps: [
    { id: 'wait', type: 'pause', ms: 30000 },
    { id: 'done', type: 'set', variable: 'after', value: 'resumed' },
    { id: 'bye', type: 'hangup' },
  ],
};

const FINAL = new Set(['completed', 'busy', 'no-answer', 'failed', 'canceled']);
const hasEntry = (type: string, pred: (d: any) => boolean = () => true) => (s: any) => s.timeline.some((e: any) => e.type === type && pred(e.data));

describe('live control', () => {
  let e2e: E2E;
  let gatherFlow: string;
  let otherFlow: string;
  let pauseFlow: string;

  before(async () => {
    e2e = await startE2E({ ORIGINATE_TIMEOUT_SEC: '30' }, {
      '+18144043093': { result: 'answer', answerAfterMs: 100 },
      '+12025550104': { result: 'answer', answerAfterMs: 60000 },
    });
    gatherFlow = (await e2e.request('POST', '/flows', { body: GATHER_FLOW })).body.id;
    otherFlow = (await e2e.request('POST', '/flows', { body: OTHER_FLOW })).body.id;
    pauseFlow = (await e2e.request('POST', '/flows', { body: PAUSE_FLOW })).body.id;
    assert.ok(gatherFlow && otherFlow && pauseFlow);
  });
  after(async () => { await e2e?.close(); });

  const place = async (flowId: string, numberToDial = '+18144043093'): Promise<string> => {
    const res = await e2e.request('POST', '/sessions/outgoing', { body: { flowId, numberToDial, callerId: '+12125550100' } });
    assert.equal(res.status, 200, res.text);
    return res.body.id;
  };

  test('redirect mid-gather stops the gather (not the call) and runs the other flow from the given step', async () => {
    const id = await place(gatherFlow);
    await e2e.waitForSession(id, hasEntry('step.started', (d) => d.stepId === 'menu'));
    const res = await e2e.request('POST', `/sessions/${id}/redirect`, { body: { flowId: otherFlow, stepId: 'mark' } });
    assert.equal(res.status, 204, res.text);
    const s = await e2e.waitForSession(id, (x) => FINAL.has(x.state));
    assert.equal(s.state, 'completed');
    assert.equal(s.variables.redirected, 'yes');
    assert.equal(s.variables.where, undefined, 'started at the given step');
    assert.equal(s.variables.choice, undefined, 'the gather gave no result');
    const types = s.timeline.map((e: any) => `${e.type}${e.data.stepId ? `:${e.data.stepId}` : ''}`);
    assert.ok(types.includes('session.redirected:mark'), types.join(' '));
    assert.ok(types.includes('step.interrupted:menu'), types.join(' '));
    assert.ok(!types.includes('gather.input'), 'the old gather timed nothing out');
    const flows = s.timeline.filter((e: any) => e.type === 'flow.started').map((e: any) => e.data.flowId);
    assert.deepEqual(flows, [gatherFlow, otherFlow], 'both flow versions are recorded');
    const steps = s.timeline.filter((e: any) => e.type === 'step.started').map((e: any) => e.data.stepId);
    assert.deepEqual(steps, ['menu', 'mark', 'thanks', 'bye']);
  });

  test('hold plays music on hold and pauses the flow; resume runs the step again and the flow continues', async () => {
    const id = await place(pauseFlow);
    await e2e.waitForSession(id, hasEntry('step.started', (d) => d.stepId === 'wait'));
    const on = await e2e.request('POST', `/sessions/${id}/hold`, { body: { hold: true, mohClass: 'default' } });
    assert.equal(on.status, 204, on.text);
    const held = await e2e.waitForSession(id, hasEntry('session.hold', (d) => d.hold === true));
    assert.ok(held.timeline.some((e: any) => e.type === 'step.interrupted' && e.data.stepId === 'wait'));
    const channel = e2e.sim.channels().find((c) => c.id === held.channelId);
    const moh = channel?.requests.filter((r) => r.path.endsWith('/moh')) ?? [];
    assert.equal(moh.length, 1);
    assert.equal(moh[0]!.method, 'POST');
    assert.equal(moh[0]!.query.mohClass, 'default');
    // Resume, then redirect past the long pause so the test need not wait for it.
    const off = await e2e.request('POST', `/sessions/${id}/hold`, { body: { hold: false } });
    assert.equal(off.status, 204, off.text);
    const resumed = await e2e.waitForSession(id, (s) => s.timeline.filter((e: any) => e.type === 'step.started' && e.data.stepId === 'wait').length === 2);
    assert.ok(resumed.timeline.some((e: any) => e.type === 'session.hold' && e.data.hold === false));
    const stop = e2e.sim.channels().find((c) => c.id === held.channelId)?.requests.filter((r) => r.path.endsWith('/moh') && r.method === 'DELETE') ?? [];
    assert.equal(stop.length, 1, 'music stopped on resume');
    const go = await e2e.request('POST', `/sessions/${id}/redirect`, { body: { flowId: pauseFlow, stepId: 'done' } });
    assert.equal(go.status, 204, go.text);
    const s = await e2e.waitForSession(id, (x) => FINAL.has(x.state));
    assert.equal(s.state, 'completed');
    assert.equal(s.variables.after, 'resumed');
  });

  test('a redirect while on hold stops the music and runs the new flow', async () => {
    const id = await place(pauseFlow);
    await e2e.waitForSession(id, hasEntry('step.started', (d) => d.stepId === 'wait'));
    assert.equal((await e2e.request('POST', `/sessions/${id}/hold`, { body: { hold: true } })).status, 204);
    assert.equal((await e2e.request('POST', `/sessions/${id}/redirect`, { body: { flowId: otherFlow } })).status, 204);
    const s = await e2e.waitForSession(id, (x) => FINAL.has(x.state));
    assert.equal(s.state, 'completed');
    assert.equal(s.variables.redirected, 'yes');
    const holds = s.timeline.filter((e: any) => e.type === 'session.hold').map((e: any) => e.data.hold);
    assert.deepEqual(holds, [true, false]);
    const moh = e2e.sim.channels().find((c) => c.id === s.channelId)?.requests.filter((r) => r.path.endsWith('/moh')).map((r) => r.method)
      ?? e2e.sim.requests().filter((r) => r.path.endsWith(`/channels/${s.channelId}/moh`)).map((r) => r.method);
    assert.deepEqual(moh, ['POST', 'DELETE']);
  });

  test('DTMF goes to the far end through ARI and is in the timeline', async () => {
    const id = await place(pauseFlow);
    const s = await e2e.waitForSession(id, hasEntry('step.started', (d) => d.stepId === 'wait'));
    const res = await e2e.request('POST', `/sessions/${id}/dtmf`, { body: { digits: '12#' } });
    assert.equal(res.status, 204, res.text);
    const sent = e2e.sim.channels().find((c) => c.id === s.channelId)?.requests.filter((r) => r.path.endsWith('/dtmf')) ?? [];
    assert.equal(sent.length, 1);
    assert.equal(sent[0]!.query.dtmf, '12#');
    await e2e.waitForSession(id, hasEntry('dtmf.sent', (d) => d.digits === '12#'));
    const bad = await e2e.request('POST', `/sessions/${id}/dtmf`, { body: { digits: '12x' } });
    assert.equal(bad.status, 400);
    assert.equal(bad.body.responseStatus.errors[0].fieldName, 'digits');
    const end = await e2e.request('DELETE', `/sessions/${id}`);
    assert.equal(end.status, 200);
    const ended = await e2e.waitForSession(id, (x) => FINAL.has(x.state));
    assert.equal(ended.state, 'completed');
    assert.match(ended.endReason, /EndSession/);
  });

  test('controls on a session that is not answered or not live answer 409; unknown sessions 404', async () => {
    const ringing = await place(pauseFlow, '+12025550104');
    await e2e.waitForSession(ringing, (s) => s.state === 'ringing');
    const early = await e2e.request('POST', `/sessions/${ringing}/hold`, { body: { hold: true } });
    assert.equal(early.status, 409);
    assert.match(early.body.responseStatus.message, /not answered yet/);
    assert.equal((await e2e.request('DELETE', `/sessions/${ringing}`)).status, 200);
    const done = await e2e.waitForSession(ringing, (s) => FINAL.has(s.state));
    assert.equal(done.state, 'canceled');
    for (const [method, path, body] of [
      ['POST', 'redirect', { flowId: otherFlow }], ['POST', 'hold', { hold: true }], ['POST', 'dtmf', { digits: '1' }],
    ] as const) {
      const res = await e2e.request(method, `/sessions/${ringing}/${path}`, { body });
      assert.equal(res.status, 409, `${method} ${path}: ${res.text}`);
      assert.equal(res.body.responseStatus.errorCode, 'SessionNotLive');
    }
    const missing = await e2e.request('POST', '/sessions/00000000-0000-0000-0000-000000000000/hold', { body: { hold: true } });
    assert.equal(missing.status, 404);
    const other = await e2e.request('POST', `/sessions/${ringing}/dtmf`, { body: { digits: '1' }, token: e2e.token({ accountId: 'other' }) });
    assert.equal(other.status, 404);
  });

  test('a control racing the far end hanging up ends cleanly (204 or 409, never 500)', async () => {
    const id = await place(pauseFlow);
    const s = await e2e.waitForSession(id, hasEntry('step.started', (d) => d.stepId === 'wait'));
    assert.ok(e2e.sim.hangupFromFarEnd(s.channelId));
    const res = await Promise.all([
      e2e.request('POST', `/sessions/${id}/dtmf`, { body: { digits: '1' } }),
      e2e.request('POST', `/sessions/${id}/hold`, { body: { hold: true } }),
      e2e.request('POST', `/sessions/${id}/redirect`, { body: { flowId: otherFlow } }),
    ]);
    for (const r of res) assert.ok(r.status === 204 || r.status === 409, r.text);
    const ended = await e2e.waitForSession(id, (x) => FINAL.has(x.state));
    assert.equal(ended.state, 'completed');
    assert.equal(ended.timeline.filter((e: any) => e.type === 'state' && e.data.state === 'completed').length, 1);
  });
});
