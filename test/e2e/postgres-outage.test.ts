// PostgreSQL unreachable under a live engine (issue 22): a real PostgreSQL behind a TCP proxy that
// the test cuts and restores (the shared server itself is never restarted: other test files use it).
// While it is cut: /ready is 503 and names the database problem without its URL or password; POST
// /sessions/outgoing is 503 with Retry-After in the API's error shape; a call in progress goes on,
// its writes held in memory. Restored: everything held is committed in order, the webhooks go out.
// With a short hold bound, a call whose writes cannot be kept is hung up and ends `failed`.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startE2E, type E2E } from '../support/e2e-stack.js';
import { menuFlow } from '../support/flows.js';
import { freshDatabase, postgresSkip, type TestDatabase } from '../support/postgres.js';
import { startTcpProxy, type TcpProxy } from '../support/tcp-proxy.js';
import { startReceiver, type Receiver } from '../support/webhook-receiver.js';
import { waitUntil } from '../support/wait-until.js';

const skip = await postgresSkip();
const FINAL = new Set(['completed', 'busy', 'no-answer', 'failed', 'canceled']);
const CALLEE = '+18144043095';
/** Trust authentication accepts any password: one in the URL shows it never leaks. */
const PASSWORD = 'pw-must-not-leak-7d3f';

interface Rig { db: TestDatabase; proxy: TcpProxy; e2e: E2E; hooks: Receiver; flowId: string; loopFlowId: string }

async function startRig(env: Record<string, string>): Promise<Rig> {
  const db = await freshDatabase('t_outage');
  const target = new URL(db.url);
  const proxy = await startTcpProxy(target.hostname, Number(target.port || 5432));
  const url = new URL(proxy.url(db.url));
  url.password = PASSWORD;
  if (!url.username) url.username = 'postgres';
  const hooks = await startReceiver();
  const e2e = await startE2E({
    DATABASE_URL: url.toString(), ALLOW_PRIVATE_DESTINATIONS: 'true', WEBHOOK_RETRY_BASE_MS: '100', WEBHOOK_RETRY_MAX_DELAY_MS: '500',
    DATABASE_STATEMENT_TIMEOUT_MS: '5000', ...env,
  }, { [CALLEE]: { result: 'answer', answerAfterMs: 100 } });
  // The gather waits long for a digit: the call stays up until the test sends one.
  const created = await e2e.request('POST', '/flows', { body: menuFlow({ timeoutMs: 120_000, attempts: 1 }) });
  assert.equal(created.status, 201, created.text);
  // A call that keeps writing (one playback after another) until it is hung up.
  const loop = await e2e.request('POST', '/flows', { body: { name: 'Loop', steps: [{ id: 'again', type: 'playback', media: ['sound:hello-world'], next: 'again' }] } });
  assert.equal(loop.status, 201, loop.text);
  return { db, proxy, e2e, hooks, flowId: created.body.id, loopFlowId: loop.body.id };
}

async function stopRig(rig: Rig | undefined): Promise<void> {
  if (!rig) return;
  rig.proxy.restore();
  await rig.e2e.close();
  await rig.hooks.close();
  await rig.proxy.close();
  await rig.db.drop();
}

/** Places a call and waits until its flow runs `stepId` (committed, read back). */
async function callAt(rig: Rig, flowId: string, stepId: string): Promise<{ id: string; channelId: string }> {
  const res = await rig.e2e.request('POST', '/sessions/outgoing', {
    body: { flowId, numberToDial: CALLEE, callerId: '+12125550100', statusCallback: `${rig.hooks.url}/cb` },
  });
  assert.equal(res.status, 200, res.text);
  await rig.e2e.waitForSession(res.body.id, (s) => (s.timeline ?? s.events ?? []).some((e: any) => e.type === 'step.started' && e.data.stepId === stepId));
  // The simulator's channel of the call: originated with the session id as its Stasis argument.
  const channel = rig.e2e.sim.channels().find((c) => c.requests.some((r) => r.query?.appArgs === res.body.id));
  assert.ok(channel, 'the call\'s channel in the simulator');
  return { id: res.body.id, channelId: channel.id };
}

describe('PostgreSQL unreachable, then back', { skip }, () => {
  let rig: Rig;
  before(async () => { rig = await startRig({ DATABASE_OUTAGE_HOLD_MS: '600000' }); });
  after(() => stopRig(rig));

  test('/ready and new calls say so; the live call goes on; nothing accepted is lost; webhooks resume', async () => {
    const { e2e, proxy, hooks } = rig;
    const call = await callAt(rig, rig.flowId, 'menu');
    proxy.cut('reset');

    const ready = await waitUntil(async () => {
      const r = await e2e.request('GET', '/ready', { token: null });
      return r.status === 503 ? r : undefined;
    }, { message: '/ready to answer 503 while the database is cut', timeoutMs: 30_000, intervalMs: 200 });
    assert.equal(ready.body.database, false);
    assert.match(ready.body.reason, /database/i);
    assert.ok(!ready.text.includes(PASSWORD), 'no password in /ready');
    assert.ok(!ready.text.includes('postgres://'), 'no URL in /ready');
    assert.ok(ready.headers.get('retry-after'));

    const refused = await e2e.request('POST', '/sessions/outgoing', { body: { flowId: rig.flowId, numberToDial: CALLEE } });
    assert.equal(refused.status, 503, refused.text);
    assert.ok(Number(refused.headers.get('retry-after')) > 0, 'Retry-After');
    assert.equal(refused.body.responseStatus?.errorCode, 'DatabaseUnavailable');
    assert.ok(!refused.text.includes(PASSWORD));

    // The call goes on without its database: the digit takes the flow to its end, the engine hangs up.
    assert.ok(e2e.sim.sendDtmf(call.channelId, '1'), 'the call is still up in the simulator');
    await waitUntil(() => !e2e.sim.channels().some((c) => c.id === call.channelId),
      { message: 'the engine to finish the flow and hang up while the database is cut', timeoutMs: 30_000 });

    proxy.restore();
    const session = await waitUntil(async () => {
      const r = await e2e.request('GET', `/sessions/${call.id}`);
      return r.status === 200 && FINAL.has(r.body.state) ? r.body : undefined;
    }, { message: 'the held writes to be committed once the database is back', timeoutMs: 60_000, intervalMs: 200 });
    assert.equal(session.state, 'completed');
    assert.equal(session.variables.choice, '1');
    const timeline: any[] = session.timeline ?? session.events;
    assert.deepEqual(timeline.map((e) => e.seq), timeline.map((_, i) => i + 1), 'every row, in order, none lost');
    assert.deepEqual(timeline.filter((e) => e.type === 'step.started').map((e) => e.data.stepId), ['hello', 'menu', 'yes', 'bye']);

    const received = await hooks.waitFor((all) => all.some((r) => r.json?.type === 'session.ended' && r.json?.sessionId === call.id), 60_000);
    const mine = received.filter((r) => r.json?.sessionId === call.id);
    const seqs = mine.map((r) => Number(r.json.sequence));
    assert.deepEqual(seqs, [...seqs].sort((a, b) => a - b), 'webhooks in order');
    assert.equal(mine.filter((r) => r.json?.type === 'session.ended').length, 1, 'one session.ended');

    await waitUntil(async () => (await e2e.request('GET', '/ready', { token: null })).status === 200,
      { message: '/ready to recover', timeoutMs: 30_000, intervalMs: 200 });
  });
});

describe('PostgreSQL unreachable longer than a call\'s writes are held', { skip }, () => {
  let rig: Rig;
  before(async () => { rig = await startRig({ DATABASE_OUTAGE_HOLD_MS: '1000', FLOW_MAX_STEPS: '100000' }); });
  after(() => stopRig(rig));

  test('the call is hung up and ends failed with the reason, with its one session.ended, once the database is back', async () => {
    const { e2e, proxy, hooks } = rig;
    const call = await callAt(rig, rig.loopFlowId, 'again');
    proxy.cut('reset');
    // The call keeps writing; its writes wait past the bound, are given up, and the engine hangs it up.
    await waitUntil(() => !e2e.sim.channels().some((c) => c.id === call.channelId),
      { message: 'the engine to hang up the call whose writes it could not keep', timeoutMs: 60_000 });
    const ready = await e2e.request('GET', '/ready', { token: null });
    assert.equal(ready.status, 503);
    proxy.restore();
    const session = await waitUntil(async () => {
      const r = await e2e.request('GET', `/sessions/${call.id}`);
      return r.status === 200 && FINAL.has(r.body.state) ? r.body : undefined;
    }, { message: 'the session to end once the database is back', timeoutMs: 60_000, intervalMs: 200 });
    assert.equal(session.state, 'failed', JSON.stringify(session));
    assert.match(session.endReason, /database unreachable/);
    await hooks.waitFor((all) => all.some((r) => r.json?.type === 'session.ended' && r.json?.sessionId === call.id), 60_000);
    assert.equal(hooks.received.filter((r) => r.json?.type === 'session.ended' && r.json?.sessionId === call.id).length, 1);
  });
});
