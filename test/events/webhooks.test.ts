// Signed status webhooks end to end: real HTTP API, real ari-client against the simulator, a
// real SQLite file and a real local HTTP receiver.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startE2E, type E2E } from '../support/e2e-stack.js';
import { startReceiver, type Receiver, type Received } from '../support/webhook-receiver.js';
import { verify } from '../../src/events/signature.js';
import { waitUntil } from '../support/wait-until.js';

const FLOW = {
  name: 'Hello',
  steps: [
    { id: 'hello', type: 'playback', media: ['sound:hello-world'] },
    { id: 'bye', type: 'hangup' },
  ],
};
const LONG_FLOW = {
  name: 'Long',
  steps: [
    { id: 'wait', type: 'pause', ms: 20000 },
    { id: 'bye', type: 'hangup' },
  ],
};

const ofSession = (all: Received[], id: string) => all.filter((r) => r.json?.sessionId === id);
const endedOf = (all: Received[], id: string) => ofSession(all, id).filter((r) => r.json.type === 'session.ended');

describe('status webhooks', () => {
  let e2e: E2E;
  let receiver: Receiver;
  let flowId: string;
  let longFlowId: string;
  let hookSecret: string;
  let hookId: string;

  before(async () => {
    receiver = await startReceiver();
    e2e = await startE2E({ ALLOW_PRIVATE_DESTINATIONS: 'true', WEBHOOK_RETRY_BASE_MS: '50', WEBHOOK_TIMEOUT_MS: '2000', ORIGINATE_TIMEOUT_SEC: '30' }, {
      '+18144043093': { result: 'answer', answerAfterMs: 100 },
      '+12025550100': { result: 'busy', answerAfterMs: 100 },
      '+12025550101': { result: 'no-answer' },
      '+12025550102': { result: 'congestion', answerAfterMs: 100 },
      '+12025550103': { result: 'answer', answerAfterMs: 100, hangupAfterMs: 200 },
      '+12025550104': { result: 'answer', answerAfterMs: 60000 },
    });
    flowId = (await e2e.request('POST', '/flows', { body: FLOW })).body.id;
    longFlowId = (await e2e.request('POST', '/flows', { body: LONG_FLOW })).body.id;
    const hook = await e2e.request('POST', '/webhooks', {
      body: { url: `${receiver.url}/hook`, events: ['session.queued', 'session.dialing', 'session.ringing', 'session.answered', 'session.step.started'] },
    });
    assert.equal(hook.status, 201, hook.text);
    hookSecret = hook.body.secret;
    hookId = hook.body.id;
  });
  after(async () => {
    await e2e?.close();
    await receiver?.close();
  });

  const place = async (numberToDial: string, extra: Record<string, unknown> = {}, flow = flowId): Promise<string> => {
    const res = await e2e.request('POST', '/sessions/outgoing', { body: { flowId: flow, numberToDial, callerId: '+12125550100', ...extra } });
    assert.equal(res.status, 200, res.text);
    return res.body.id;
  };

  for (const [name, number, state] of [
    ['answered', '+18144043093', 'completed'],
    ['busy', '+12025550100', 'busy'],
    ['no-answer', '+12025550101', 'no-answer'],
    ['failed', '+12025550102', 'failed'],
    ['far-end hangup', '+12025550103', 'completed'],
  ] as const) {
    test(`${name}: events in sequence order, exactly one session.ended (${state}), signatures verify`, async () => {
      const id = await place(number);
      await receiver.waitFor((all) => endedOf(all, id).length === 1);
      const session = await e2e.waitForSession(id, (s) => s.state === state);
      const events = ofSession(receiver.received, id);
      const seqs = events.map((r) => r.json.sequence);
      assert.deepEqual(seqs, [...seqs].sort((a, b) => a - b), 'delivered in sequence order');
      assert.equal(new Set(events.map((r) => r.json.id)).size, events.length, 'no duplicates');
      assert.equal(endedOf(events, id).length, 1);
      const ended = endedOf(events, id)[0]!.json;
      assert.equal(ended.data.state, state);
      assert.equal(ended.session.state, state);
      assert.equal(typeof ended.data.reason, 'string');
      assert.equal(ended.data.reason, session.endReason);
      assert.equal(ended.accountId, 'demo');
      assert.match(ended.id, /^evt_[0-9a-f]{32}_\d+$/);
      assert.equal(events[0]!.json.type, 'session.queued');
      for (const r of events) {
        assert.ok(verify(hookSecret, r.headers['x-engine-signature'] as string, r.headers['x-engine-timestamp'] as string, r.body), 'signature verifies');
        assert.equal(r.headers['x-engine-event-id'], r.json.id);
      }
      const tampered = events[0]!.body.replace('"session.queued"', '"session.ended"');
      assert.equal(verify(hookSecret, events[0]!.headers['x-engine-signature'] as string, events[0]!.headers['x-engine-timestamp'] as string, tampered), false);
      if (state === 'completed') {
        assert.ok(events.some((r) => r.json.type === 'session.answered'));
        assert.ok(events.some((r) => r.json.type === 'session.step.started'));
        assert.equal(typeof ended.data.durationSec, 'number');
        assert.equal(ended.data.answeredAt, session.dateAnswered);
      }
    });
  }

  test('EndSession while ringing ends canceled with one session.ended', async () => {
    const id = await place('+12025550104', {}, longFlowId);
    await receiver.waitFor((all) => ofSession(all, id).some((r) => r.json.type === 'session.ringing'));
    const del = await e2e.request('DELETE', `/sessions/${id}`);
    assert.equal(del.status, 200, del.text);
    await receiver.waitFor((all) => endedOf(all, id).length === 1);
    assert.equal(endedOf(receiver.received, id)[0]!.json.data.state, 'canceled');
    // A finished session is left as it is: EndSession, like the other controls, refuses it.
    const again = await e2e.request('DELETE', `/sessions/${id}`);
    assert.equal(again.status, 409, again.text);
    assert.equal(again.body.responseStatus.errorCode, 'SessionNotLive');
    assert.equal((await e2e.request('POST', `/sessions/${id}/dtmf`, { body: { digits: '1' } })).status, 409);
  });

  test('per-call statusCallback: signed with the account secret, only the events asked for (and the end)', async () => {
    const secret = (await e2e.request('GET', '/webhooks/signing-secret')).body.secret as string;
    const id = await place('+18144043093', { statusCallback: `${receiver.url}/call`, statusCallbackEvents: ['session.answered'] });
    await receiver.waitFor((all) => all.some((r) => r.path === '/call' && r.json.sessionId === id && r.json.type === 'session.ended'));
    const mine = receiver.received.filter((r) => r.path === '/call' && r.json.sessionId === id);
    assert.deepEqual(mine.map((r) => r.json.type), ['session.answered', 'session.ended']);
    for (const r of mine) assert.ok(verify(secret, r.headers['x-engine-signature'] as string, r.headers['x-engine-timestamp'] as string, r.body));
    const listed = await e2e.waitForSession(id, (s) => s.webhookDeliveries.some((d: any) => d.type === 'session.ended' && d.status === 'delivered'));
    assert.ok(listed.webhookDeliveries.every((d: any) => d.target === 'callback' || d.target === hookId));
  });

  test('a failing receiver (500, then a timeout) gets retries with the same event id until it succeeds; attempts are listed', async () => {
    const flaky = await startReceiver((_r, i) => (i === 0 ? 500 : i === 1 ? 'hang' : 200));
    try {
      const hook = await e2e.request('POST', '/webhooks', { body: { url: `${flaky.url}/flaky`, events: ['session.queued'] } });
      assert.equal(hook.status, 201, hook.text);
      const id = await place('+12025550100');
      await flaky.waitFor((all) => all.filter((r) => r.json.sessionId === id && r.json.type === 'session.queued').length >= 3);
      const queued = flaky.received.filter((r) => r.json.sessionId === id && r.json.type === 'session.queued');
      assert.equal(new Set(queued.map((r) => r.json.id)).size, 1, 'the same event id on every attempt');
      assert.equal(new Set(queued.map((r) => r.body)).size, 1, 'the same body on every attempt');
      await flaky.waitFor((all) => all.some((r) => r.json.sessionId === id && r.json.type === 'session.ended'));
      // The end is delivered after the queued event, never before it.
      const order = flaky.received.filter((r) => r.json.sessionId === id).map((r) => r.json.type);
      assert.equal(order.lastIndexOf('session.queued') < order.indexOf('session.ended'), true);
      const delivery = await waitUntil(async () => {
        const res = await e2e.request('GET', `/webhooks/${hook.body.id}/deliveries`);
        const d = res.body.items.find((x: any) => x.sessionId === id && x.type === 'session.queued');
        return d?.status === 'delivered' ? d : undefined;
      }, { message: 'the queued event listed as delivered', intervalMs: 20 });
      assert.equal(delivery.attempts.length, 3);
      assert.equal(delivery.attempts[0].statusCode, 500);
      assert.match(delivery.attempts[1].error, /timed out/);
      assert.equal(delivery.attempts[2].statusCode, 200);
      await e2e.request('DELETE', `/webhooks/${hook.body.id}`);
    } finally {
      await flaky.close();
    }
  });

  test('connection refused is retried and recorded', async () => {
    const gone = await startReceiver();
    const url = gone.url;
    await gone.close();
    const hook = await e2e.request('POST', '/webhooks', { body: { url: `${url}/x`, events: ['session.queued'] } });
    const id = await place('+12025550100');
    const d = await waitUntil(async () => {
      const res = await e2e.request('GET', `/webhooks/${hook.body.id}/deliveries`);
      const found = res.body.items.find((x: any) => x.sessionId === id && x.type === 'session.queued');
      return found && found.attempts.length >= 2 ? found : undefined;
    }, { message: 'two attempts of the queued event', intervalMs: 20 });
    assert.equal(d.status, 'pending');
    assert.equal(d.attempts[0].error, 'ECONNREFUSED');
    assert.ok(d.nextAttemptAt);
    const del = await e2e.request('DELETE', `/webhooks/${hook.body.id}`);
    assert.equal(del.status, 204);
  });

  test('webhook CRUD: validation, account isolation, patch, delete', async () => {
    const bad = await e2e.request('POST', '/webhooks', { body: { url: 'ftp://example.com', events: ['nope'] } });
    assert.equal(bad.status, 400);
    const fields = bad.body.responseStatus.errors.map((e: any) => e.fieldName).sort();
    assert.deepEqual(fields, ['events', 'url']);
    const other = await e2e.request('GET', `/webhooks/${hookId}`, { token: e2e.token({ accountId: 'other' }) });
    assert.equal(other.status, 404);
    const patched = await e2e.request('PATCH', `/webhooks/${hookId}`, { body: { enabled: true, events: ['session.ended', 'session.queued', 'session.dialing', 'session.ringing', 'session.answered', 'session.step.started'] } });
    assert.equal(patched.status, 200, patched.text);
    assert.equal(patched.body.enabled, true);
    const list = await e2e.request('GET', '/webhooks');
    assert.ok(list.body.items.some((w: any) => w.id === hookId));
  });
});
