// The outbox in the store, on every dialect (a real SQLite file, a real PostgreSQL database): a unit (state + timeline + outbox rows) commits
// whole or not at all; two workers on one database never split a session's chain nor claim the
// same row; a finished delivery lets go of its claim; claims of a dead worker can be released.
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { OutboxEvent } from '../../src/store/store.js';
import { newSession } from '../support/store-temp.js';
import { storeDialects } from '../support/store-dialects.js';
import { createSession } from '../support/session-writers.js';


const event = (sessionId: string, seq: number, targets = [{ target: 'callback', url: 'http://example.com/h', secret: 'unused-here' }]): OutboxEvent => ({
  id: `evt_${sessionId.replace(/-/g, '')}_${seq}`, sessionId, accountId: 'acct', seq, type: 'session.queued',
  at: new Date().toISOString(), body: JSON.stringify({ seq }), targets,
});
const later = (ms: number) => new Date(Date.now() + ms).toISOString();

for (const dialect of await storeDialects('outbox')) {
  describe(`outbox in the store (${dialect.name})`, { skip: dialect.skip }, () => {
    after(() => dialect.cleanup());

    test('a unit whose timeline row collides is rejected whole: no state, no outbox row; the others of the batch commit', async () => {
      const store = await dialect.open({ database: 'units' });
      try {
        const a = await createSession(store, newSession('acct'));
        const b = await createSession(store, newSession('acct'));
        await store.recordSession(a.id, { timeline: [{ seq: 1, at: a.dateCreated, type: 'state', data: { state: 'dialing' } }] });
        const results = await Promise.allSettled([
          // seq 1 again: a second writer of the same session.
          store.recordSession(a.id, { change: { state: 'ringing' }, timeline: [{ seq: 1, at: a.dateCreated, type: 'state', data: { state: 'ringing' } }], outbox: [event(a.id, 1)] }),
          store.recordSession(b.id, { change: { state: 'dialing' }, timeline: [{ seq: 1, at: b.dateCreated, type: 'state', data: { state: 'dialing' } }], outbox: [event(b.id, 1)] }),
        ]);
        assert.equal(results[0].status, 'rejected');
        assert.equal(results[1].status, 'fulfilled');
        assert.equal((await store.getSession(undefined, a.id))?.state, 'queued', 'the failed unit left no state');
        assert.equal((await store.listDeliveries('acct', { sessionId: a.id }, { page: 1, countPerPage: 10 })).totalCount, 0, 'nor an outbox row');
        assert.equal((await store.getSession(undefined, b.id))?.state, 'dialing');
        assert.equal((await store.listDeliveries('acct', { sessionId: b.id }, { page: 1, countPerPage: 10 })).totalCount, 1);
      } finally {
        await store.close();
      }
    });

    test('two workers on one database: each chain goes to one worker, in order; nothing is claimed twice', async () => {
      // Two stores on one database: two engines.
      const one = await dialect.open({ database: 'claims' });
      const two = await dialect.open({ database: 'claims' });
      try {
        await one.signingSecret('acct');
        const sessions = [];
        for (let i = 0; i < 20; i++) sessions.push(await createSession(one, newSession('acct')));
        await Promise.all(sessions.map((s) => one.recordSession(s.id, {
          timeline: [1, 2, 3].map((seq) => ({ seq, at: s.dateCreated, type: 'state' as const, data: { state: 'queued' as const } })),
          outbox: [1, 2, 3].map((seq) => event(s.id, seq)),
        })));
        const now = new Date().toISOString();
        const [a, b] = await Promise.all([
          one.claimDeliveries('worker-a', now, later(60000), 25),
          two.claimDeliveries('worker-b', now, later(60000), 25),
        ]);
        const keys = [...a, ...b].map((d) => `${d.eventId}/${d.target}`);
        assert.equal(new Set(keys).size, keys.length, 'no row claimed twice');
        const owner = new Map<string, string>();
        for (const [worker, claims] of [['a', a], ['b', b]] as const) {
          const bySession = new Map<string, number[]>();
          for (const d of claims) bySession.set(d.sessionId, [...(bySession.get(d.sessionId) ?? []), d.seq]);
          for (const [sessionId, seqs] of bySession) {
            assert.ok(!owner.has(sessionId) || owner.get(sessionId) === worker, 'a chain is not split between workers');
            owner.set(sessionId, worker);
            assert.deepEqual(seqs, seqs.map((_, i) => i + 1), 'a prefix of the chain, in order');
          }
        }
        assert.ok(a.every((d) => d.secret.startsWith('whsec_')), 'the callback is signed with the account secret');
        // A failure keeps the claim (the worker retries it), so the rest of its chain stays away from the other worker.
        const first = a[0] ?? b[0]!;
        const holder = a.includes(first) ? 'worker-a' : 'worker-b';
        const other = holder === 'worker-a' ? two : one;
        const base = { eventId: first.eventId, target: first.target, at: now, statusCode: 500, error: 'HTTP 500', durationMs: 1, responseExcerpt: null };
        await (holder === 'worker-a' ? one : two).recordAttempt({ ...base, attempt: 1, status: 'pending', nextAttemptAt: now });
        const stolen = await other.claimDeliveries(holder === 'worker-a' ? 'worker-b' : 'worker-a', new Date().toISOString(), later(60000), 100);
        assert.ok(!stolen.some((d) => d.sessionId === first.sessionId), 'the chain stays with its worker');
        // The holder dies: its claims are released, and the chain moves on to the other worker, from its first row.
        await one.releaseClaims([holder]);
        const taken = await other.claimDeliveries('worker-c', new Date().toISOString(), later(60000), 100);
        const chain = taken.filter((d) => d.sessionId === first.sessionId).map((d) => d.seq);
        assert.deepEqual(chain, [1, 2, 3]);
        assert.equal(taken.find((d) => d.seq === 1 && d.sessionId === first.sessionId)?.attempts, 1, 'the attempt count survives');
        await two.recordAttempt({ ...base, attempt: 2, statusCode: 204, error: null, status: 'delivered', nextAttemptAt: now });
        const listed = await one.listDeliveries('acct', { sessionId: first.sessionId }, { page: 1, countPerPage: 10 });
        const delivered = listed.items.find((d) => d.sequence === 1)!;
        assert.equal(delivered.status, 'delivered');
        assert.deepEqual(delivered.attempts.map((x) => x.statusCode), [500, 204]);
      } finally {
        await one.close();
        await two.close();
      }
    });
  });
}
