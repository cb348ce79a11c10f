// Live control and live events across engines, with real engine processes on one PostgreSQL:
// end, redirect, hold and DTMF sent to an engine that does not run the call act on it (the owner
// answers as it would locally); an SSE client on engine B sees the live events of a call engine A
// runs; an owner that does not answer gets a clear 503, a session that ended a 409.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { postgresSkip } from '../support/postgres.js';
import { FINAL_STATES, followEvents, startCluster, type Cluster } from '../support/cluster-harness.js';
import { waitUntil } from '../support/wait-until.js';

const missing = await postgresSkip();
let cluster: Cluster;

const LONG = { name: 'Long wait', steps: [{ id: 'wait', type: 'pause', ms: 120_000 }, { id: 'bye', type: 'hangup' }] };
const SHORT = { name: 'Short', steps: [{ id: 'brief', type: 'pause', ms: 300 }, { id: 'bye', type: 'hangup' }] };

before(async () => {
  if (missing) return;
  cluster = await startCluster({ engines: 2, simulators: 1, flows: { long: LONG, short: SHORT }, env: { CLUSTER_CONTROL_TIMEOUT_MS: '3000' } });
});

after(async () => {
  await cluster?.close();
});

/** Places a long call on engine 1 and waits until engine 2 reads it answered. */
async function answeredCallOnFirstEngine(): Promise<string> {
  const placed = await cluster.place(0, 'long');
  assert.equal(placed.status, 200, JSON.stringify(placed.body));
  const id = placed.body.id as string;
  await waitUntil(async () => (await cluster.session(1, id)).state === 'in-progress', { message: `session ${id} answered`, timeoutMs: 30_000, intervalMs: 100 });
  return id;
}

test('hold, DTMF and redirect sent to the other engine act on the call; its SSE stream shows them live', { skip: missing }, async () => {
  const id = await answeredCallOnFirstEngine();
  let stream = await followEvents(cluster.engines[1]!, `/sessions/${id}/events`);
  let seen: any[] = [];
  try {
    await waitUntil(() => stream.events.some((e) => e.type === 'session.answered'), { message: 'the replayed answered event on engine 2', timeoutMs: 20_000 });
    const [b] = [cluster.engines[1]!];
    assert.equal((await b.request('POST', `/sessions/${id}/hold`, { hold: true })).status, 204);
    await waitUntil(() => stream.events.some((e) => e.type === 'session.hold' && e.data?.hold !== false), { message: 'the live hold event on engine 2', timeoutMs: 20_000 });
    // The client reconnects (to the same engine) with Last-Event-ID: the stream goes on from there.
    stream.close();
    seen = [...stream.events];
    stream = await followEvents(cluster.engines[1]!, `/sessions/${id}/events`, seen.at(-1).id);
    assert.equal((await b.request('POST', `/sessions/${id}/hold`, { hold: false })).status, 204);
    await waitUntil(() => stream.events.some((e) => e.type === 'session.hold'), { message: 'the live unhold event on the resumed stream', timeoutMs: 20_000 });
    assert.equal((await b.request('POST', `/sessions/${id}/dtmf`, { digits: '12#' })).status, 204);
    const bad = await b.request('POST', `/sessions/${id}/redirect`, { flowId: 'no-such-flow' });
    assert.equal(bad.status, 400, 'the owner checks the flow as it would locally');
    assert.equal((await b.request('POST', `/sessions/${id}/redirect`, { flowId: cluster.flows.short })).status, 204);
    await waitUntil(() => stream.events.some((e) => e.type === 'session.ended'), { message: () => `session.ended on engine 2's stream (got ${stream.events.map((e) => e.type).join(', ')})`, timeoutMs: 30_000 });
    await stream.closed;
    const all = [...seen, ...stream.events];
    const types = all.map((e) => e.type);
    assert.ok(types.includes('session.redirected'), `redirected among ${types.join(', ')}`);
    const seqs = all.map((e) => e.sequence);
    assert.deepEqual(seqs, [...seqs].sort((x, y) => x - y), 'in order');
    assert.equal(new Set(seqs).size, seqs.length, 'no duplicates');
    const ended = await cluster.session(1, id);
    assert.equal(ended.state, 'completed');
    const later = await b.request('POST', `/sessions/${id}/hold`, { hold: true });
    assert.equal(later.status, 409);
    assert.equal(later.body.responseStatus.errorCode, 'SessionNotLive');
  } finally {
    stream.close();
  }
});

test('EndSession sent to the other engine hangs the call up; the account stream there sees it', { skip: missing }, async () => {
  const account = await followEvents(cluster.engines[1]!, '/events');
  try {
    const id = await answeredCallOnFirstEngine();
    const ended = await cluster.engines[1]!.request('DELETE', `/sessions/${id}`);
    assert.equal(ended.status, 200, ended.text);
    const final = await waitUntil(async () => {
      const s = await cluster.session(1, id);
      return FINAL_STATES.has(s.state) ? s : undefined;
    }, { message: `session ${id} final`, timeoutMs: 30_000, intervalMs: 100 });
    assert.equal(final.state, 'completed');
    await waitUntil(() => account.events.some((e) => e.sessionId === id && e.type === 'session.ended'), { message: 'session.ended on engine 2\'s account stream', timeoutMs: 20_000 });
    const again = await cluster.engines[1]!.request('DELETE', `/sessions/${id}`);
    assert.equal(again.status, 409);
  } finally {
    account.close();
  }
});

test('an owner that does not answer: 503 with Retry-After, and the call goes on once it is back', { skip: missing }, async () => {
  const id = await answeredCallOnFirstEngine();
  const owner = cluster.engines[0]!.child;
  owner.kill('SIGSTOP');
  let res;
  try {
    res = await cluster.engines[1]!.request('POST', `/sessions/${id}/dtmf`, { digits: '5' });
  } finally {
    owner.kill('SIGCONT');
  }
  assert.equal(res.status, 503, res.text);
  assert.equal(res.body.responseStatus.errorCode, 'OwnerNotAnswering');
  assert.ok(Number(res.headers.get('retry-after')) >= 1);
  await waitUntil(async () => (await cluster.engines[1]!.request('DELETE', `/sessions/${id}`)).status === 200, { message: 'the end to be accepted once the owner runs again', timeoutMs: 30_000, intervalMs: 200 });
  await waitUntil(async () => FINAL_STATES.has((await cluster.session(0, id)).state), { message: `session ${id} final`, timeoutMs: 30_000, intervalMs: 100 });
});
