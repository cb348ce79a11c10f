// Calls that come in, end to end: the simulator's phone dials into the application with the lab
// dialplan's arguments → the real ari-client → the engine looks the number up, answers and runs
// its inbound flow; unknown numbers are refused. Real HTTP, real SQLite.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startE2E, type E2E } from '../support/e2e-stack.js';
import { startReceiver, type Receiver } from '../support/webhook-receiver.js';

const FINAL = new Set(['completed', 'busy', 'no-answer', 'failed', 'canceled']);
const isFinal = (s: { state: string }) => FINAL.has(s.state);

const GREETING = {
  name: 'Inbound greeting',
  steps: [
    { id: 'menu', type: 'gather', prompt: ['sound:hello-world'], maxDigits: 1, timeoutMs: 3000, attempts: 1, variable: 'choice', noInput: 'bye' },
    { id: 'bye', type: 'hangup' },
  ],
};

describe('inbound calls end to end', () => {
  let e2e: E2E;
  let receiver: Receiver;
  let flowId: string;
  const OWNED = '+15005550006';
  const HELD = '+15005550007';

  before(async () => {
    receiver = await startReceiver();
    e2e = await startE2E({ ALLOW_PRIVATE_DESTINATIONS: 'true' });
    const flow = await e2e.request('POST', '/flows', { body: GREETING });
    assert.equal(flow.status, 201, flow.text);
    flowId = flow.body.id;
    const number = await e2e.request('POST', '/phone-numbers', { body: { number: OWNED, name: 'Support line', inboundFlowId: flowId } });
    assert.equal(number.status, 201, number.text);
    assert.equal(number.body.inboundFlowId, flowId);
  });
  after(async () => {
    await e2e?.close();
    await receiver?.close();
  });

  const callIn = async (dialed: string): Promise<string> => {
    const res = await fetch(`${e2e.sim.url}/sim/inbound`, {
      method: 'POST', headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ from: 'PJSIP/phone1', exten: dialed, app: 'engine', args: ['inbound', dialed, '1001'], callerId: '"Lab Phone 1" <1001>' }),
    });
    assert.equal(res.status, 200);
    return ((await res.json()) as { channelId: string }).channelId;
  };

  const sessionOfChannel = async (channelId: string): Promise<any> => {
    const deadline = Date.now() + 10_000;
    while (Date.now() < deadline) {
      const list = await e2e.request('GET', '/sessions?countPerPage=100');
      assert.equal(list.status, 200, list.text);
      for (const item of list.body.items) {
        if (item.direction !== 'inbound') continue;
        const detail = await e2e.request('GET', `/sessions/${item.id}`);
        if (detail.body.channelId === channelId) return { item, detail: detail.body };
      }
      await new Promise((r) => setTimeout(r, 25));
    }
    throw new Error(`no inbound session for channel ${channelId}`);
  };

  test('a call to an owned number with a flow runs it as an inbound session: ringing, in-progress, completed', async () => {
    const channelId = await callIn(OWNED);
    const { item, detail } = await sessionOfChannel(channelId);
    assert.equal(item.direction, 'inbound', 'ListSessions shows the direction');
    assert.equal(item.from, '1001');
    assert.equal(item.to, OWNED);
    assert.equal(item.flowId, flowId);
    // The caller presses 2 once the prompt plays: the same gather path as on an outgoing call.
    await e2e.waitForSession(detail.id, (s) => s.timeline.some((e: any) => e.type === 'playback.started'));
    const dtmf = await fetch(`${e2e.sim.url}/sim/channels/${channelId}/dtmf`, {
      method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ digits: '2' }),
    });
    assert.equal(dtmf.status, 204);
    const done = await e2e.waitForSession(detail.id, isFinal);
    assert.equal(done.state, 'completed', done.endReason);
    assert.equal(done.variables.choice, '2');
    const states = done.timeline.filter((e: any) => e.type === 'state').map((e: any) => e.data.state);
    assert.deepEqual(states, ['queued', 'ringing', 'in-progress', 'completed']);
    assert.ok(done.dateAnswered, 'answered by the engine');
    const destroyed = done.timeline.find((e: any) => e.type === 'ari.channel-destroyed');
    assert.equal(destroyed?.data.leg, channelId, 'the leg is named on its timeline rows');
    assert.equal(done.legs.length, 1);
    assert.equal(done.legs[0].role, 'caller');
    assert.equal(done.legs[0].number, '1001');
    assert.match(done.legs[0].endpoint, /^PJSIP\/phone1-/, 'the caller\'s channel name');
    assert.equal(done.legs[0].state, 'ended');
    assert.ok(!e2e.sim.channels().some((c) => c.id === channelId), 'the caller was hung up');
  });

  test('a call to a number nobody owns is refused with cause congestion and counted, without a session', async () => {
    const before = e2e.stack.engine.stats().inboundRefusals['unknown-number'];
    const channelId = await callIn('+15005550999');
    const deadline = Date.now() + 5000;
    while (e2e.sim.channels().some((c) => c.id === channelId) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    assert.ok(!e2e.sim.channels().some((c) => c.id === channelId), 'the call was hung up');
    assert.equal(e2e.stack.engine.stats().inboundRefusals['unknown-number'], before + 1);
    const hangup = e2e.sim.requests().find((r) => r.method === 'DELETE' && r.path.endsWith(`/channels/${channelId}`));
    assert.equal(hangup?.query.reason, 'congestion');
  });

  test('a number without an inbound flow refuses calls; the demo number carries the demo flow', async () => {
    const numbers = await e2e.request('GET', '/phone-numbers');
    const demo = numbers.body.items.find((n: any) => n.number === '+12125550100');
    assert.equal(demo?.inboundFlowId, 'demo-flow');
    const cleared = await e2e.request('PATCH', `/phone-numbers/${demo.id}`, { body: { inboundFlowId: null } });
    assert.equal(cleared.status, 200, cleared.text);
    assert.equal(cleared.body.inboundFlowId, null);
    const refusedBefore = e2e.stack.engine.stats().inboundRefusals['no-inbound-flow'];
    const channelId = await callIn('+12125550100');
    const deadline = Date.now() + 5000;
    while (e2e.stack.engine.stats().inboundRefusals['no-inbound-flow'] === refusedBefore && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    assert.equal(e2e.stack.engine.stats().inboundRefusals['no-inbound-flow'], refusedBefore + 1);
    assert.ok(channelId);
    const bad = await e2e.request('PATCH', `/phone-numbers/${demo.id}`, { body: { inboundFlowId: 'no-such-flow' } });
    assert.equal(bad.status, 400, bad.text);
    assert.equal(bad.body.responseStatus.errors[0].fieldName, 'inboundFlowId');
  });

  test('an inbound session has the account\'s webhooks and live control: answered and ended events, a redirect', async () => {
    const hook = await e2e.request('POST', '/webhooks', { body: { url: `${receiver.url}/hook`, events: ['session.ringing', 'session.answered'] } });
    assert.equal(hook.status, 201, hook.text);
    const wait = await e2e.request('POST', '/flows', { body: { name: 'Hold line', steps: [{ id: 'wait', type: 'pause', ms: 60_000 }] } });
    const other = await e2e.request('POST', '/flows', { body: { name: 'Other', steps: [{ id: 'mark', type: 'set', variable: 'redirected', value: 'yes' }, { id: 'bye', type: 'hangup' }] } });
    const number = await e2e.request('POST', '/phone-numbers', { body: { number: HELD, inboundFlowId: wait.body.id } });
    assert.equal(number.status, 201, number.text);
    const channelId = await callIn(HELD);
    const { detail } = await sessionOfChannel(channelId);
    await e2e.waitForSession(detail.id, (x) => x.timeline.some((e: any) => e.type === 'step.started'));
    const redirected = await e2e.request('POST', `/sessions/${detail.id}/redirect`, { body: { flowId: other.body.id } });
    assert.equal(redirected.status, 204, redirected.text);
    const done = await e2e.waitForSession(detail.id, isFinal);
    assert.equal(done.state, 'completed', done.endReason);
    assert.equal(done.variables.redirected, 'yes');
    const events = await receiver.waitFor((all) => all.some((r) => r.json.sessionId === detail.id && r.json.type === 'session.ended'));
    const types = events.filter((r) => r.json.sessionId === detail.id).map((r) => r.json.type);
    assert.deepEqual(types.filter((t) => t !== 'session.ended'), ['session.ringing', 'session.answered']);
    assert.equal(types.filter((t) => t === 'session.ended').length, 1);
    for (const r of events.filter((e) => e.json.sessionId === detail.id)) {
      assert.equal(r.json.session.direction, 'inbound', `${r.json.type} carries the direction`);
    }
  });
});
