// PostgreSQL "restarted" under load, with three engine processes and two simulators: a TCP proxy
// between the engines and PostgreSQL (never the shared server itself) is cut for longer than the
// session lease, then restored, while calls are being placed. While it is down: /ready 503 on
// every engine, new calls 503 with Retry-After. After: no accepted session lost (each ends as its
// callee scripted, with one session.ended delivered), and no engine took another's calls over
// because their leases lapsed during the outage.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { PG_TEST_URL, postgresSkip } from '../support/postgres.js';
import { startTcpProxy, type TcpProxy } from '../support/tcp-proxy.js';
import { FINAL_STATES, startCluster, type Cluster } from '../support/cluster-harness.js';
import { waitUntil } from '../support/wait-until.js';

const missing = await postgresSkip();
const LEASE_MS = 4_000;
let cluster: Cluster;
let proxy: TcpProxy;

const MEDIUM = { name: 'Three seconds', steps: [{ id: 'wait', type: 'pause', ms: 3_000 }, { id: 'bye', type: 'hangup' }] };

before(async () => {
  if (missing) return;
  const target = new URL(PG_TEST_URL);
  proxy = await startTcpProxy(target.hostname, Number(target.port || 5432));
  cluster = await startCluster({
    engines: 3, simulators: 2, leaseMs: LEASE_MS, flows: { medium: MEDIUM },
    engineDatabaseUrl: (url) => proxy.url(url),
  });
});

after(async () => {
  await cluster?.close();
  await proxy?.close();
});

async function readyStatus(i: number): Promise<{ status: number; body: any }> {
  try {
    const r = await cluster.engines[i]!.request('GET', '/ready', undefined, null);
    return { status: r.status, body: r.body };
  } catch {
    return { status: 0, body: undefined };
  }
}

test('PostgreSQL cut under load for longer than the lease: /ready 503 meanwhile, no accepted session lost', { skip: missing }, async () => {
  const accepted: string[] = [];
  const unavailable: Array<string | null> = [];
  let placing = true;
  let n = 0;
  const load = (async () => {
    while (placing) {
      const i = n++ % 3;
      const res = await cluster.place(i, 'medium').catch(() => ({ status: 0, body: undefined }));
      if (res.status === 200) accepted.push(res.body.id);
      else if (res.status === 503) unavailable.push('x');
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  })();
  await waitUntil(() => accepted.length >= 15, { message: 'calls accepted before the cut', timeoutMs: 30_000 });
  const beforeCut = accepted.length;

  proxy.cut('reset');
  const cutAt = Date.now();
  for (let i = 0; i < 3; i += 1) {
    const down = await waitUntil(async () => {
      const r = await readyStatus(i);
      return r.status === 503 ? r : undefined;
    }, { message: `engine ${i + 1} /ready 503 while PostgreSQL is cut`, timeoutMs: 30_000, intervalMs: 100 });
    assert.equal(down.body.database, false);
  }
  const refused = await cluster.place(0, 'medium');
  assert.equal(refused.status, 503, JSON.stringify(refused.body));
  await waitUntil(() => Date.now() - cutAt > LEASE_MS * 1.5, { message: 'the outage to outlast the lease', timeoutMs: 30_000, intervalMs: 100 });

  proxy.restore();
  for (let i = 0; i < 3; i += 1) {
    await waitUntil(async () => (await readyStatus(i)).status === 200, { message: `engine ${i + 1} ready again`, timeoutMs: 60_000, intervalMs: 200 });
  }
  const afterRestore = accepted.length;
  await waitUntil(() => accepted.length >= afterRestore + 9, { message: 'calls accepted after the restore', timeoutMs: 30_000 });
  placing = false;
  await load;
  assert.ok(beforeCut >= 15);

  const final = new Map<string, any>();
  await waitUntil(async () => {
    for (const id of accepted) {
      if (final.has(id)) continue;
      const s = await cluster.session(final.size % 3, id).catch(() => undefined);
      if (s && FINAL_STATES.has(s.state)) final.set(id, s);
    }
    return final.size === accepted.length;
  }, { message: () => `${accepted.length} accepted sessions final (${final.size} so far)`, timeoutMs: 90_000, intervalMs: 500 });
  for (const id of accepted) assert.equal(final.get(id).state, 'completed', `session ${id}: ${final.get(id).endReason}`);
  await cluster.receiver.waitFor(() => accepted.every((id) => cluster.endedBySession().get(id) === 1), 60_000).catch(() => {
    const wrong = accepted.filter((id) => cluster.endedBySession().get(id) !== 1).map((id) => `${id}: ${cluster.endedBySession().get(id) ?? 0}`);
    assert.fail(`session.ended not delivered exactly once: ${wrong.join(', ')}`);
  });
  for (const id of accepted) assert.equal(cluster.endedBySession().get(id), 1, `one session.ended for ${id}`);
  assert.equal((await cluster.channelsUp()).total, 0, 'no call left up');
});
