// End to end: POST /sessions/outgoing → ari-client originate → simulator callee → flow → timeline.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startE2E, type E2E } from '../support/e2e-stack.js';
import { menuFlow } from '../support/flows.js';

const MENU_FLOW = menuFlow({ timeoutMs: 1500, attempts: 1 });

const FINAL = new Set(['completed', 'busy', 'no-answer', 'failed', 'canceled']);
const isFinal = (s: { state: string }) => FINAL.has(s.state);
const timelineOf = (s: any): any[] => s.timeline ?? s.events ?? [];

describe('outgoing sessions end to end', () => {
  let e2e: E2E;
  let flowId: string;

  before(async () => {
    e2e = await startE2E({}, {
      '+18144043093': { result: 'answer', answerAfterMs: 200, dtmf: [{ digits: '1', afterPlaybackStarted: 2, delayMs: 100 }] },
      '+18144043094': { result: 'answer', answerAfterMs: 200, dtmf: [{ digits: '2', afterPlaybackStarted: 2, delayMs: 100 }] },
      '+12025550100': { result: 'busy', answerAfterMs: 100 },
      '+12025550101': { result: 'no-answer' },
      '+12025550102': { result: 'congestion', answerAfterMs: 100 },
      '+12025550103': { result: 'answer', answerAfterMs: 100, hangupAfterMs: 300 },
    });
    const created = await e2e.request('POST', '/flows', { body: MENU_FLOW });
    assert.equal(created.status, 201, created.text);
    flowId = created.body.id;
  });
  after(async () => { await e2e?.close(); });

  test('an answered call runs playback → gather → branch → playback → hangup and ends completed', async () => {
    const res = await e2e.request('POST', '/sessions/outgoing', { body: { flowId, numberToDial: '+18144043093', callerId: '+12125550100' } });
    assert.equal(res.status, 200, res.text);
    assert.equal(res.body.flowId, flowId);
    assert.equal(res.body.flowVersion, 1);
    assert.equal(res.body.callerId, '+12125550100');
    assert.equal(res.body.numberToDial, '+18144043093');
    assert.ok(['queued', 'dialing', 'ringing'].includes(res.body.state));

    const session = await e2e.waitForSession(res.body.id, isFinal);
    assert.equal(session.state, 'completed');
    assert.equal(session.variables.choice, '1');
    const steps = timelineOf(session).filter((e) => e.type === 'step.started').map((e) => e.data.stepId);
    assert.deepEqual(steps, ['hello', 'menu', 'yes', 'bye']);
    const states = timelineOf(session).filter((e) => e.type === 'state').map((e) => e.data.state);
    assert.deepEqual(states.filter((s: string) => s !== 'queued'), ['dialing', 'ringing', 'in-progress', 'completed']);
  });

  test('the other digit takes the other branch', async () => {
    const res = await e2e.request('POST', '/sessions/outgoing', { body: { flowId, numberToDial: '+18144043094' } });
    assert.equal(res.status, 200, res.text);
    const session = await e2e.waitForSession(res.body.id, isFinal);
    assert.equal(session.state, 'completed');
    assert.equal(session.variables.choice, '2');
    const steps = timelineOf(session).filter((e) => e.type === 'step.started').map((e) => e.data.stepId);
    assert.deepEqual(steps, ['hello', 'menu', 'no', 'bye']);
  });

  for (const [number, expected] of [['+12025550100', 'busy'], ['+12025550101', 'no-answer'], ['+12025550102', 'failed']] as const) {
    test(`a ${expected} callee ends the session ${expected} without running the flow`, async () => {
      const res = await e2e.request('POST', '/sessions/outgoing', { body: { flowId, numberToDial: number } });
      assert.equal(res.status, 200, res.text);
      const session = await e2e.waitForSession(res.body.id, isFinal);
      assert.equal(session.state, expected);
      assert.equal(timelineOf(session).filter((e) => e.type === 'step.started').length, 0);
    });
  }

  test('the callee hanging up mid-flow ends the session cleanly', async () => {
    const res = await e2e.request('POST', '/sessions/outgoing', { body: { flowId, numberToDial: '+12025550103' } });
    const session = await e2e.waitForSession(res.body.id, isFinal);
    assert.equal(session.state, 'completed');
    assert.ok(session.endReason, 'the end reason is recorded');
    assert.ok(!timelineOf(session).some((e) => e.type === 'step.started' && e.data.stepId === 'yes'));
  });

  test('invalid numbers are refused with a field error and never reach ARI', async () => {
    const before = e2e.sim.originateCount();
    for (const bad of ['8144043093', '+1814404309', '+999123', 'abc', '+1814404309@', '+1/8144043093', '+1&8144043093', '+18144043093,+1', '+1 814 404 3093', '', '+123456789012345678901234567890']) {
      const res = await e2e.request('POST', '/sessions/outgoing', { body: { flowId, numberToDial: bad } });
      assert.equal(res.status, 400, `${bad}: ${res.text}`);
      assert.equal(res.body.responseStatus.errors[0].fieldName, 'numberToDial', bad);
    }
    assert.equal(e2e.sim.originateCount(), before);
  });

  test('an XML request gets an XML session back, and the call is placed', async () => {
    const xml = `<NewOutgoingSession xmlns:i="http://www.w3.org/2001/XMLSchema-instance" xmlns="http://schemas.datacontract.org/2004/07/Voice.Api.Sessions"><NumberToDial>+18144043093</NumberToDial><FlowId>${flowId}</FlowId></NewOutgoingSession>`;
    const res = await e2e.request('POST', '/sessions/outgoing', { raw: xml, contentType: 'application/xml', headers: { accept: 'application/xml' } });
    assert.equal(res.status, 200, res.text);
    assert.match(res.headers.get('content-type') ?? '', /xml/);
    const id = /<Id>([^<]+)<\/Id>/.exec(res.text)?.[1];
    assert.ok(id, res.text);
    const session = await e2e.waitForSession(id, isFinal);
    assert.equal(session.state, 'completed');
  });

  test('another account cannot see the session or use the flow', async () => {
    const res = await e2e.request('POST', '/sessions/outgoing', { body: { flowId, numberToDial: '+18144043093' } });
    const other = e2e.token({ accountId: 'other-account' });
    const get = await e2e.request('GET', `/sessions/${res.body.id}`, { token: other });
    assert.equal(get.status, 404);
    const place = await e2e.request('POST', '/sessions/outgoing', { token: other, body: { flowId, numberToDial: '+18144043093' } });
    assert.equal(place.status, 404);
    await e2e.waitForSession(res.body.id, isFinal);
  });

  test('a phone dialing a number nobody owns into the application is hung up at once, not left ringing', async () => {
    const res = await fetch(`${e2e.sim.url}/sim/inbound`, {
      method: 'POST', headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ from: 'PJSIP/phone1', exten: '+12025550100', app: 'engine', args: ['inbound', '+12025550100'] }),
    });
    assert.equal(res.status, 200);
    const { channelId } = await res.json() as { channelId: string };
    const deadline = Date.now() + 5000;
    while (e2e.sim.channels().some((c) => c.id === channelId) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    assert.ok(!e2e.sim.channels().some((c) => c.id === channelId), 'the inbound channel was hung up');
  });
});
