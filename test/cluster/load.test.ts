// Three engines and two simulators on one PostgreSQL, as real processes: 300 calls spread over
// the engines all end as their callees scripted, each with one delivered session.ended; the same
// Idempotency-Key sent to two engines at once places one call.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { postgresSkip } from '../support/postgres.js';
import { FINAL_STATES, startCluster, type Cluster } from '../support/cluster-harness.js';
import { waitUntil } from '../support/wait-until.js';

const missing = await postgresSkip();
let cluster: Cluster;

const BUSY = '+18144040002';
const ANSWERS = '+18144040001';
const SHORT = { name: 'Short', steps: [{ id: 'brief', type: 'pause', ms: 200 }, { id: 'bye', type: 'hangup' }] };
const LONG = { name: 'Long wait', steps: [{ id: 'wait', type: 'pause', ms: 120_000 }, { id: 'bye', type: 'hangup' }] };

before(async () => {
  if (missing) return;
  cluster = await startCluster({
    engines: 3, simulators: 2, flows: { short: SHORT, long: LONG },
    scripts: { [BUSY]: { result: 'busy', answerAfterMs: 200 }, [ANSWERS]: { result: 'answer', answerAfterMs: 200 } },
  });
});

after(async () => {
  await cluster?.close();
});

test('300 calls spread over three engines all end as scripted, each with one session.ended', { skip: missing }, async () => {
  const placed: Array<{ id: string; expect: string }> = [];
  for (let batch = 0; batch < 300; batch += 15) {
    const answers = await Promise.all(Array.from({ length: 15 }, async (_, k) => {
      const n = batch + k;
      const numberToDial = n % 3 === 2 ? BUSY : ANSWERS;
      const res = await cluster.place(n % 3, 'short', { numberToDial });
      assert.equal(res.status, 200, JSON.stringify(res.body));
      return { id: res.body.id as string, expect: numberToDial === BUSY ? 'busy' : 'completed' };
    }));
    placed.push(...answers);
  }
  const final = new Map<string, string>();
  await waitUntil(async () => {
    for (const p of placed) {
      if (final.has(p.id)) continue;
      const s = await cluster.session(final.size % 3, p.id);
      if (FINAL_STATES.has(s.state)) final.set(p.id, s.state);
    }
    return final.size === placed.length;
  }, { message: () => `300 sessions final (${final.size} so far)`, timeoutMs: 120_000, intervalMs: 500 });
  for (const p of placed) assert.equal(final.get(p.id), p.expect, `session ${p.id}`);
  await cluster.receiver.waitFor(() => placed.every((p) => cluster.endedBySession().get(p.id) === 1), 60_000);
  for (const p of placed) assert.equal(cluster.endedBySession().get(p.id), 1, `one session.ended for ${p.id}`);
  // Webhooks once across engines, in order per session (queued, answered when it was, ended).
  const ids = cluster.receiver.received.map((r) => r.json?.id as string);
  assert.equal(new Set(ids).size, ids.length, 'no event delivered twice');
  for (const p of placed) {
    const order = cluster.receiver.received.filter((r) => r.json?.sessionId === p.id).map((r) => r.json.sequence as number);
    assert.deepEqual(order, [...order].sort((x, y) => x - y), `deliveries of ${p.id} in order`);
  }
  const originates = await Promise.all(cluster.sims.map(async (s) => (await s.stats()).originates));
  assert.ok(originates.every((n) => n > 0), `both simulators carried calls (${originates.join(', ')})`);
});

test('the same Idempotency-Key sent to two engines at once places one call', { skip: missing }, async () => {
  const before = (await Promise.all(cluster.sims.map((s) => s.stats()))).reduce((n, s) => n + s.originates, 0);
  const key = `cluster-${Date.now()}`;
  const [a, b] = await Promise.all([0, 1].map((i) => cluster.place(i, 'short', {}, { 'idempotency-key': key })));
  assert.equal(a!.status, 200, JSON.stringify(a!.body));
  assert.equal(b!.status, 200, JSON.stringify(b!.body));
  assert.equal(a!.body.id, b!.body.id, 'one session for both requests');
  await waitUntil(async () => FINAL_STATES.has((await cluster.session(2, a!.body.id)).state), { message: 'the call to end', timeoutMs: 30_000, intervalMs: 100 });
  const after = (await Promise.all(cluster.sims.map((s) => s.stats()))).reduce((n, s) => n + s.originates, 0);
  assert.equal(after - before, 1, 'one originate');
});

test('one simulator stopped: new calls all go to the other', { skip: missing }, async () => {
  const [first, second] = cluster.sims as [typeof cluster.sims[0], typeof cluster.sims[0]];
  await second.kill();
  for (const e of cluster.engines) {
    await waitUntil(async () => {
      const ready = await e.request('GET', '/ready', undefined, null);
      return ready.body.servers?.find((s: any) => s.name === second.name)?.up === false;
    }, { message: `engine ${e.base} to see ${second.name} down`, timeoutMs: 30_000, intervalMs: 200 });
  }
  const before = (await first.stats()).originates;
  const answers = await Promise.all(Array.from({ length: 15 }, (_, n) => cluster.place(n % 3, 'short')));
  for (const a of answers) assert.equal(a.status, 200, JSON.stringify(a.body));
  // Originated after the answer: the calls are awaited to their end, then counted where they went.
  await waitUntil(async () => (await Promise.all(answers.map((a) => cluster.session(0, a.body.id)))).every((s) => FINAL_STATES.has(s.state)),
    { message: 'the 15 calls final', timeoutMs: 60_000, intervalMs: 250 });
  for (const a of answers) assert.equal((await cluster.session(1, a.body.id)).state, 'completed');
  assert.equal((await first.stats()).originates - before, 15, `all 15 calls on ${first.name}`);
});
