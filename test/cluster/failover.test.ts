// Failover with real engine processes on one PostgreSQL: SIGKILL of an engine with 50 live calls.
// A survivor takes its sessions over: every call is hung up in the simulator, every session ends
// `failed` ("engine … lost during the call"), each with exactly one delivered session.ended, all
// within the lease plus 5 s; the survivors' own calls go on. A control for a session of the dead
// engine answers 409 once the session ended.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { postgresSkip } from '../support/postgres.js';
import { FINAL_STATES, startCluster, type Cluster } from '../support/cluster-harness.js';
import { waitUntil } from '../support/wait-until.js';

const missing = await postgresSkip();
const LEASE_MS = 10_000;
let cluster: Cluster;

const LONG = { name: 'Long wait', steps: [{ id: 'wait', type: 'pause', ms: 120_000 }, { id: 'bye', type: 'hangup' }] };

before(async () => {
  if (missing) return;
  cluster = await startCluster({ engines: 3, simulators: 2, leaseMs: LEASE_MS, flows: { long: LONG } });
});

after(async () => {
  await cluster?.close();
});

async function placeMany(engine: number, n: number): Promise<string[]> {
  const ids: string[] = [];
  for (let batch = 0; batch < n; batch += 10) {
    const placed = await Promise.all(Array.from({ length: Math.min(10, n - batch) }, () => cluster.place(engine, 'long')));
    for (const p of placed) {
      assert.equal(p.status, 200, JSON.stringify(p.body));
      ids.push(p.body.id);
    }
  }
  return ids;
}

async function states(engine: number, ids: readonly string[]): Promise<string[]> {
  return Promise.all(ids.map(async (id) => (await cluster.session(engine, id)).state as string));
}

test('SIGKILL of an engine with 50 live calls: all taken over, hung up, ended once, within the lease plus 5 s', { skip: missing }, async () => {
  const doomed = await placeMany(0, 50);
  const survivors = await placeMany(1, 4);
  const all = [...doomed, ...survivors];
  await waitUntil(async () => (await states(2, all)).every((s) => s === 'in-progress'),
    { message: 'all 54 calls answered', timeoutMs: 60_000, intervalMs: 250 });
  const up = await cluster.channelsUp();
  assert.equal(up.total, 54);
  assert.ok(up.bySim.every((n) => n > 0), `calls on both simulators (${up.bySim.join(', ')})`);

  cluster.engines[0]!.child.kill('SIGKILL');
  await cluster.engines[0]!.exited;
  const killedAt = Date.now();
  await waitUntil(async () => (await states(2, doomed)).every((s) => FINAL_STATES.has(s)),
    { message: 'every session of the dead engine final', timeoutMs: 60_000, intervalMs: 200 });
  const settledMs = Date.now() - killedAt;
  assert.ok(settledMs <= LEASE_MS + 5_000, `settled ${settledMs} ms after the kill (lease ${LEASE_MS} ms)`);

  for (const id of doomed) {
    const s = await cluster.session(1, id);
    assert.equal(s.state, 'failed', `session ${id}`);
    assert.match(s.endReason, /engine lost during the call/);
  }
  await waitUntil(async () => (await cluster.channelsUp()).total === survivors.length,
    { message: 'the dead engine\'s calls hung up in the simulator', timeoutMs: 30_000, intervalMs: 200 });
  await cluster.receiver.waitFor(() => doomed.every((id) => cluster.endedBySession().get(id) === 1), 30_000);
  assert.deepEqual((await states(2, survivors)), survivors.map(() => 'in-progress'), 'the survivors\' calls go on');

  const late = await cluster.engines[2]!.request('POST', `/sessions/${doomed[0]}/hold`, { hold: true });
  assert.equal(late.status, 409);

  for (const id of survivors) assert.equal((await cluster.engines[2]!.request('DELETE', `/sessions/${id}`)).status, 200);
  await waitUntil(async () => (await cluster.channelsUp()).total === 0, { message: 'no call left up', timeoutMs: 30_000, intervalMs: 200 });
  await cluster.receiver.waitFor(() => all.every((id) => cluster.endedBySession().get(id) === 1), 30_000);
  for (const [id, n] of cluster.endedBySession()) assert.equal(n, 1, `session.ended delivered once for ${id}`);
});
