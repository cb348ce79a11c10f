// A live-call cap of 10 per account holds across three engines on one PostgreSQL: 30 calls asked
// of the three engines at once, 10 placed, the rest refused with 429 whichever engine got them.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { postgresSkip } from '../support/postgres.js';
import { FINAL_STATES, startCluster, type Cluster } from '../support/cluster-harness.js';
import { waitUntil } from '../support/wait-until.js';

const missing = await postgresSkip();
let cluster: Cluster;

const LONG = { name: 'Long wait', steps: [{ id: 'wait', type: 'pause', ms: 120_000 }, { id: 'bye', type: 'hangup' }] };

before(async () => {
  if (missing) return;
  cluster = await startCluster({ engines: 3, simulators: 1, flows: { long: LONG }, env: { MAX_LIVE_CALLS_PER_ACCOUNT: '10' } });
});

after(async () => {
  await cluster?.close();
});

test('a live-call cap of 10 per account holds across three engines', { skip: missing }, async () => {
  const answers = await Promise.all(Array.from({ length: 30 }, (_, n) => cluster.place(n % 3, 'long')));
  const placed = answers.filter((a) => a.status === 200).map((a) => a.body.id as string);
  const refused = answers.filter((a) => a.status === 429);
  assert.equal(placed.length, 10, `placed ${placed.length}: ${answers.map((a) => a.status).join(',')}`);
  assert.equal(refused.length, 20);
  assert.ok(refused.every((r) => typeof r.body.responseStatus?.message === 'string'));
  assert.equal((await cluster.place(1, 'long')).status, 429, 'still full');
  for (const id of placed) assert.equal((await cluster.engines[2]!.request('DELETE', `/sessions/${id}`)).status, 200);
  await waitUntil(async () => (await Promise.all(placed.map((id) => cluster.session(0, id)))).every((s) => FINAL_STATES.has(s.state)),
    { message: 'the 10 calls ended', timeoutMs: 30_000, intervalMs: 200 });
  const again = await cluster.place(1, 'long');
  assert.equal(again.status, 200, 'room again once they ended');
  assert.equal((await cluster.engines[0]!.request('DELETE', `/sessions/${again.body.id}`)).status, 200);
});
