// The Store contract, run on every dialect: a real SQLite file and a real PostgreSQL 15 database
// (skipped with a message naming what it needs where PostgreSQL is absent; REQUIRE_POSTGRES=1 fails
// instead). What only one dialect does (SQLite's WAL file, its in-memory live count) is tested in
// sqlite-store.test.ts; several engines on one PostgreSQL in store-engines.test.ts.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { Store } from '../../src/store/store.js';
import { IdempotencyKeyTaken } from '../../src/store/store.js';
import { newSession, sampleFlow } from '../support/store-temp.js';
import { appendSessionEvent, createSession, setSessionVariable, updateSession } from '../support/session-writers.js';
import { storeDialects } from '../support/store-dialects.js';
import { pino } from 'pino';
import { RecordingService } from '../../src/services/recordings.js';
import { FakePort } from '../support/telephony-fake-port.js';

for (const dialect of await storeDialects('contract')) {
  describe(`store contract (${dialect.name})`, { skip: dialect.skip }, () => {
    let store: Store;

    before(async () => {
      store = await dialect.open();
    });
    after(() => dialect.cleanup());

    test('isWritable probes the database', async () => {
      assert.equal(await store.isWritable(), true);
    });

    test('accounts: ensureAccount is idempotent', async () => {
      const a = await store.ensureAccount('acc-x', 'Account X');
      const b = await store.ensureAccount('acc-x', 'Other name');
      assert.equal(a.name, 'Account X');
      assert.deepEqual(b, a);
      assert.equal(await store.getAccount('nope'), undefined);
    });

    describe('phone numbers', () => {
      test('add, get, find, update, delete within an account', async () => {
        const added = await store.addPhoneNumber('acc-pn', '+12025550100', 'Main', true);
        assert.notEqual(added, 'duplicate');
        if (added === 'duplicate') return;
        assert.match(added.id, /^[0-9a-f-]{36}$/);
        assert.deepEqual(await store.getPhoneNumber('acc-pn', added.id), added);
        assert.deepEqual(await store.findPhoneNumberByNumber('acc-pn', '+12025550100'), added);

        const updated = await store.updatePhoneNumber('acc-pn', added.id, { enabled: false });
        assert.equal(updated?.enabled, false);
        assert.equal(updated?.name, 'Main');
        const renamed = await store.updatePhoneNumber('acc-pn', added.id, { name: 'Renamed' });
        assert.equal(renamed?.name, 'Renamed');
        assert.equal(renamed?.enabled, false);

        assert.equal(await store.deletePhoneNumber('acc-pn', added.id), true);
        assert.equal(await store.deletePhoneNumber('acc-pn', added.id), false);
        assert.equal(await store.getPhoneNumber('acc-pn', added.id), undefined);
      });

      test('a number is unique across the whole engine', async () => {
        assert.notEqual(await store.addPhoneNumber('acc-u1', '+12025550101', 'A', true), 'duplicate');
        assert.equal(await store.addPhoneNumber('acc-u1', '+12025550101', 'A again', true), 'duplicate');
        assert.equal(await store.addPhoneNumber('acc-u2', '+12025550101', 'B', true), 'duplicate');
      });

      test('another account cannot see, change or delete a number', async () => {
        const added = await store.addPhoneNumber('acc-own', '+12025550102', 'Mine', true);
        if (added === 'duplicate') throw new Error('unexpected duplicate');
        assert.equal(await store.getPhoneNumber('acc-other', added.id), undefined);
        assert.equal(await store.findPhoneNumberByNumber('acc-other', '+12025550102'), undefined);
        assert.equal(await store.updatePhoneNumber('acc-other', added.id, { enabled: false }), undefined);
        assert.equal(await store.deletePhoneNumber('acc-other', added.id), false);
        assert.equal((await store.listPhoneNumbers('acc-other', { page: 1, countPerPage: 10 })).totalCount, 0);
        assert.equal((await store.getPhoneNumber('acc-own', added.id))?.enabled, true);
      });

      test('enabledNumbers lists only enabled numbers of the account', async () => {
        await store.addPhoneNumber('acc-en', '+12025550103', 'on', true);
        await store.addPhoneNumber('acc-en', '+12025550104', 'off', false);
        await store.addPhoneNumber('acc-en-other', '+12025550105', 'theirs', true);
        const numbers = await store.enabledNumbers('acc-en');
        assert.deepEqual(numbers.map((n) => n.number), ['+12025550103']);
      });

      test('pages as Evo Voice does', async () => {
        for (let i = 0; i < 5; i++) await store.addPhoneNumber('acc-page', `+1202555011${i}`, `n${i}`, true);
        const p1 = await store.listPhoneNumbers('acc-page', { page: 1, countPerPage: 2 });
        assert.deepEqual({ ...p1, items: p1.items.map((n) => n.name) },
          { items: ['n0', 'n1'], totalCount: 5, totalPages: 3, hasMorePages: true });
        const p3 = await store.listPhoneNumbers('acc-page', { page: 3, countPerPage: 2 });
        assert.deepEqual({ ...p3, items: p3.items.map((n) => n.name) },
          { items: ['n4'], totalCount: 5, totalPages: 3, hasMorePages: false });
        const p9 = await store.listPhoneNumbers('acc-page', { page: 9, countPerPage: 2 });
        assert.equal(p9.items.length, 0);
        assert.equal(p9.hasMorePages, false);
        const empty = await store.listPhoneNumbers('acc-empty', { page: 1, countPerPage: 2 });
        assert.deepEqual(empty, { items: [], totalCount: 0, totalPages: 0, hasMorePages: false });
      });
    });

    describe('flows', () => {
      test('versions: update stores a new version and keeps the old one', async () => {
        const created = await store.createFlow('acc-f', sampleFlow('V1'));
        assert.equal(created.version, 1);
        const updated = await store.updateFlow('acc-f', created.id, sampleFlow('V2'));
        assert.equal(updated?.version, 2);
        assert.equal(updated?.name, 'V2');
        assert.equal(updated?.dateCreated, created.dateCreated);
        assert.equal((await store.getFlow('acc-f', created.id))?.name, 'V2');
        const v1 = await store.getFlow('acc-f', created.id, 1);
        assert.equal(v1?.name, 'V1');
        assert.deepEqual(v1?.document, sampleFlow('V1'));
        assert.equal(await store.getFlow('acc-f', created.id, 3), undefined);
      });

      test('each version keeps who saved it; a version saved by nobody has no author', async () => {
        const created = await store.createFlow('acc-fa', sampleFlow('A1'), undefined, 'alice');
        assert.equal(created.createdBy, 'alice');
        const updated = await store.updateFlow('acc-fa', created.id, sampleFlow('A2'), 'bob');
        assert.equal(updated?.createdBy, 'bob');
        assert.equal((await store.getFlow('acc-fa', created.id, 1))?.createdBy, 'alice');
        const anonymous = await store.updateFlow('acc-fa', created.id, sampleFlow('A3'));
        assert.equal(anonymous?.createdBy, undefined);
        assert.equal((await store.listFlows('acc-fa', { page: 1, countPerPage: 10 })).items[0]?.createdBy, undefined, 'the latest version, saved by nobody');
      });

      test('reads kept in memory follow every write (flows and owned numbers, read before each change)', async () => {
        const flow = await store.createFlow('acc-cache', sampleFlow('C1'));
        assert.equal((await store.getFlow('acc-cache', flow.id))?.name, 'C1');
        await store.updateFlow('acc-cache', flow.id, sampleFlow('C2'));
        assert.equal((await store.getFlow('acc-cache', flow.id))?.name, 'C2');
        assert.equal((await store.getFlow('acc-cache', flow.id))?.version, 2);
        await store.deleteFlow('acc-cache', flow.id);
        assert.equal(await store.getFlow('acc-cache', flow.id), undefined);
        await store.createFlow('acc-cache', sampleFlow('C3'), flow.id);
        assert.equal((await store.getFlow('acc-cache', flow.id))?.name, 'C3');

        assert.equal(await store.findPhoneNumberByNumber('acc-cache', '+12025550190'), undefined);
        const added = await store.addPhoneNumber('acc-cache', '+12025550190', 'Cached', true);
        if (added === 'duplicate') throw new Error('unexpected duplicate');
        assert.equal((await store.findPhoneNumberByNumber('acc-cache', '+12025550190'))?.enabled, true);
        await store.updatePhoneNumber('acc-cache', added.id, { enabled: false });
        assert.equal((await store.findPhoneNumberByNumber('acc-cache', '+12025550190'))?.enabled, false);
        await store.deletePhoneNumber('acc-cache', added.id);
        assert.equal(await store.findPhoneNumberByNumber('acc-cache', '+12025550190'), undefined);
      });

      test('soft delete hides the flow but keeps its versions for sessions', async () => {
        const created = await store.createFlow('acc-fd', sampleFlow('Doomed'));
        assert.equal(await store.deleteFlow('acc-fd', created.id), true);
        assert.equal(await store.deleteFlow('acc-fd', created.id), false);
        assert.equal(await store.getFlow('acc-fd', created.id), undefined);
        assert.equal(await store.updateFlow('acc-fd', created.id, sampleFlow('Again')), undefined);
        assert.equal((await store.listFlows('acc-fd', { page: 1, countPerPage: 10 })).totalCount, 0);
        assert.equal((await store.getFlow('acc-fd', created.id, 1))?.name, 'Doomed');
      });

      test('a given id is used; taken ids conflict; a deleted flow of the account is revived', async () => {
        const id = 'seeded-flow-id';
        const created = await store.createFlow('acc-seed', sampleFlow('Seed'), id);
        assert.equal(created.id, id);
        assert.equal((await store.getFlow('acc-seed', id))?.name, 'Seed');
        await assert.rejects(store.createFlow('acc-seed', sampleFlow('Again'), id), { name: 'AppError', kind: 'conflict' });
        await assert.rejects(store.createFlow('acc-seed-other', sampleFlow('Theirs'), id), { name: 'AppError', kind: 'conflict' });
        assert.equal(await store.deleteFlow('acc-seed', id), true);
        await assert.rejects(store.createFlow('acc-seed-other', sampleFlow('Theirs'), id), { name: 'AppError', kind: 'conflict' });
        const revived = await store.createFlow('acc-seed', sampleFlow('Seed 2'), id);
        assert.equal(revived.version, 2);
        assert.equal((await store.getFlow('acc-seed', id))?.name, 'Seed 2');
        assert.equal((await store.getFlow('acc-seed', id, 1))?.name, 'Seed');
      });

      test('isolation between accounts', async () => {
        const created = await store.createFlow('acc-fa', sampleFlow('Mine'));
        assert.equal(await store.getFlow('acc-fb', created.id), undefined);
        assert.equal(await store.getFlow('acc-fb', created.id, 1), undefined);
        assert.equal(await store.updateFlow('acc-fb', created.id, sampleFlow('Hijack')), undefined);
        assert.equal(await store.deleteFlow('acc-fb', created.id), false);
        assert.equal((await store.getFlow('acc-fa', created.id))?.name, 'Mine');
      });

      test('list pages the latest version of each flow', async () => {
        const a = await store.createFlow('acc-fl', sampleFlow('A'));
        await store.createFlow('acc-fl', sampleFlow('B'));
        await store.createFlow('acc-fl', sampleFlow('C'));
        await store.updateFlow('acc-fl', a.id, sampleFlow('A2'));
        const page = await store.listFlows('acc-fl', { page: 1, countPerPage: 2 });
        assert.deepEqual(page.items.map((f) => `${f.name}@${f.version}`), ['A2@2', 'B@1']);
        assert.equal(page.totalPages, 2);
        assert.equal(page.hasMorePages, true);
      });
    });

    describe('idempotency keys', () => {
      const draft = (id: string, accountId: string) => ({ id, accountId, flowId: 'f', flowVersion: 1, numberToDial: '+18144043093', callerId: '+15551230000', channelId: `c-${id}`, endpoint: 'PJSIP/x' });

      test('a key is found per account; a live key held by a session refuses another session, which is not created', async () => {
        await createSession(store, draft('idem-a1', 'acc-i'), { key: 'key-1', requestHash: 'hash-a' });
        assert.deepEqual(await store.getIdempotentSession('acc-i', 'key-1'), { sessionId: 'idem-a1', requestHash: 'hash-a' });
        assert.equal(await store.getIdempotentSession('acc-other', 'key-1'), undefined);
        await assert.rejects(createSession(store, draft('idem-a2', 'acc-i'), { key: 'key-1', requestHash: 'hash-b' }),
          (err: unknown) => err instanceof IdempotencyKeyTaken && err.sessionId === 'idem-a1' && err.requestHash === 'hash-a');
        assert.equal(await store.getSession('acc-i', 'idem-a2'), undefined);
        assert.deepEqual(await store.getIdempotentSession('acc-i', 'key-1'), { sessionId: 'idem-a1', requestHash: 'hash-a' });
        // The same key in another account is another key.
        await createSession(store, draft('idem-a3', 'acc-other'), { key: 'key-1', requestHash: 'hash-c' });
      });

      test('a session created with its key commits both, or neither when the session cannot be created', async () => {
        const first = draft('idem-s1', 'acc-i2');
        await store.createSessionWith(first, {}, { key: 'key-2', requestHash: 'hash-c' });
        assert.deepEqual(await store.getIdempotentSession('acc-i2', 'key-2'), { sessionId: 'idem-s1', requestHash: 'hash-c' });
        // The same session id again: the create fails, and its key is not saved either.
        await assert.rejects(store.createSessionWith(first, {}, { key: 'key-3', requestHash: 'hash-d' }), { name: 'AppError', kind: 'conflict' });
        assert.equal(await store.getIdempotentSession('acc-i2', 'key-3'), undefined);
      });

      test('keys older than 24 h are ignored and replaced', async () => {
        await createSession(store, draft('idem-old', 'acc-old'), { key: 'old', requestHash: 'hash-old' });
        await dialect.exec("UPDATE idempotency_keys SET date_created = '2000-01-01T00:00:00.000Z' WHERE account_id = 'acc-old'");
        assert.equal(await store.getIdempotentSession('acc-old', 'old'), undefined);
        await createSession(store, draft('idem-new', 'acc-old'), { key: 'old', requestHash: 'hash-new' });
        assert.deepEqual(await store.getIdempotentSession('acc-old', 'old'), { sessionId: 'idem-new', requestHash: 'hash-new' });
      });
    });

    describe('admission', () => {
      test('the live cap refuses the session beyond it (429 TooManyLiveCalls) and creates nothing', async () => {
        const acc = 'acc-cap';
        for (let i = 0; i < 3; i += 1) await createSession(store, newSession(acc, { admission: { maxLive: 3 } }));
        const refused = newSession(acc, { admission: { maxLive: 3 } });
        await assert.rejects(createSession(store, refused), { name: 'AppError', kind: 'rate-limited', errorCode: 'TooManyLiveCalls' });
        assert.equal(await store.getSession(acc, refused.id), undefined);
        assert.equal(await store.countLiveSessions(acc), 3);
      });
    });

    describe('sessions', () => {
      test('create, get, update state and variables', async () => {
        const input = newSession('acc-s');
        const created = await createSession(store, input);
        assert.equal(created.state, 'queued');
        assert.deepEqual(created.variables, {});
        await updateSession(store, input.id, { state: 'in-progress', dateAnswered: '2024-01-01T00:00:01.000Z' });
        await setSessionVariable(store, input.id, 'choice', '1');
        await setSessionVariable(store, input.id, 'choice', '2');
        await setSessionVariable(store, input.id, 'other', 'x');
        await updateSession(store, input.id, { state: 'completed', endReason: 'hangup', dateEnded: '2024-01-01T00:00:09.000Z' });
        const got = await store.getSession('acc-s', input.id);
        assert.equal(got?.state, 'completed');
        assert.equal(got?.endReason, 'hangup');
        assert.equal(got?.dateAnswered, '2024-01-01T00:00:01.000Z');
        assert.deepEqual(got?.variables, { choice: '2', other: 'x' });
        assert.equal((await store.getSession(undefined, input.id))?.id, input.id);
        assert.equal(await store.getSession('acc-not-mine', input.id), undefined);
      });

      test('a duplicate session id is refused with a conflict', async () => {
        const input = newSession('acc-dup');
        await createSession(store, input);
        await assert.rejects(createSession(store, input), { name: 'AppError', kind: 'conflict' });
      });

      test('read-your-writes: reads see every write issued before them, without awaiting the writes', async () => {
        const input = newSession('acc-ryw');
        // Units are recorded once the create resolved (the engine awaits it before the call's first unit).
        await createSession(store, input);
        void updateSession(store, input.id, { state: 'ringing' });
        void setSessionVariable(store, input.id, 'v', '1');
        // The timeline row as the recorder issues it (its seq known): issued synchronously, like the others.
        void store.recordSession(input.id, { timeline: [{ seq: 1, at: new Date().toISOString(), type: 'state', data: { state: 'ringing' } }] });
        const got = await store.getSession('acc-ryw', input.id);
        assert.equal(got?.state, 'ringing');
        assert.deepEqual(got?.variables, { v: '1' });
        assert.equal((await store.listSessionEvents(input.id)).length, 1);
        assert.equal(await store.countLiveSessions('acc-ryw'), 1);
      });

      test('event order and seq under batched, interleaved appends', async () => {
        const sessions = Array.from({ length: 30 }, () => newSession('acc-ev'));
        await Promise.all(sessions.map((s) => createSession(store, s)));
        const appends: Promise<void>[] = [];
        for (let i = 0; i < 40; i++) {
          for (const s of sessions) appends.push(appendSessionEvent(store, s.id, 'step', { i }));
        }
        await Promise.all(appends);
        for (const s of sessions) {
          const events = await store.listSessionEvents(s.id);
          assert.deepEqual(events.map((e) => e.seq), Array.from({ length: 40 }, (_, i) => i + 1));
          assert.deepEqual(events.map((e) => e.data.i), Array.from({ length: 40 }, (_, i) => i));
          assert.ok(events.every((e) => e.sessionId === s.id && e.type === 'step' && !Number.isNaN(Date.parse(e.at))));
        }
      });

      test('an append for an unknown session fails alone, the rest of its batch commits', async () => {
        const s = newSession('acc-bad');
        await createSession(store, s);
        const good = appendSessionEvent(store, s.id, 'a', {});
        const bad = appendSessionEvent(store, 'no-such-session', 'a', {});
        const good2 = appendSessionEvent(store, s.id, 'b', {});
        await assert.rejects(bad);
        await good;
        await good2;
        assert.deepEqual((await store.listSessionEvents(s.id)).map((e) => e.type), ['a', 'b']);
      });

      test('an explicit event time is kept', async () => {
        const s = newSession('acc-at');
        await createSession(store, s);
        await appendSessionEvent(store, s.id, 'dtmf', { digit: '5' }, '2024-05-05T10:00:00.000Z');
        const [event] = await store.listSessionEvents(s.id);
        assert.equal(event?.at, '2024-05-05T10:00:00.000Z');
        assert.deepEqual(event?.data, { digit: '5' });
      });

      test('filters: state, flowId, number, date range, and paging newest first', async () => {
        const acc = 'acc-filter';
        const flowA = 'flow-a';
        const s1 = newSession(acc, { flowId: flowA, numberToDial: '+18144043093' });
        const s2 = newSession(acc, { flowId: flowA, numberToDial: '+12025550150' });
        const s3 = newSession(acc, { flowId: 'flow-b', callerId: '+12025550199' });
        const foreign = newSession('acc-filter-other', { flowId: flowA });
        for (const s of [s1, s2, s3, foreign]) await createSession(store, s);
        await updateSession(store, s2.id, { state: 'completed' });
        const page = { page: 1, countPerPage: 10 };

        const all = await store.listSessions(acc, {}, page);
        assert.deepEqual(all.items.map((s) => s.id), [s3.id, s2.id, s1.id]);
        assert.deepEqual((await store.listSessions(acc, { state: 'completed' }, page)).items.map((s) => s.id), [s2.id]);
        assert.deepEqual((await store.listSessions(acc, { flowId: flowA }, page)).items.map((s) => s.id), [s2.id, s1.id]);
        assert.deepEqual((await store.listSessions(acc, { number: '+12025550150' }, page)).items.map((s) => s.id), [s2.id]);
        assert.deepEqual((await store.listSessions(acc, { number: '+12025550199' }, page)).items.map((s) => s.id), [s3.id]);
        const created = all.items.map((s) => s.dateCreated).sort();
        const inRange = await store.listSessions(acc, { from: created[0], to: created[2] }, page);
        assert.equal(inRange.totalCount, 3);
        const future = await store.listSessions(acc, { from: '2999-01-01T00:00:00Z' }, page);
        assert.equal(future.totalCount, 0);
        const past = await store.listSessions(acc, { to: '2000-01-01' }, page);
        assert.equal(past.totalCount, 0);
        await assert.rejects(store.listSessions(acc, { from: 'yesterday-ish' }, page), { name: 'AppError', kind: 'validation' });

        const p2 = await store.listSessions(acc, {}, { page: 2, countPerPage: 2 });
        assert.deepEqual({ ids: p2.items.map((s) => s.id), total: p2.totalCount, pages: p2.totalPages, more: p2.hasMorePages },
          { ids: [s1.id], total: 3, pages: 2, more: false });
      });

      test('live sessions: scan across accounts and count per account', async () => {
        const a = newSession('acc-live-a');
        const b = newSession('acc-live-b');
        const done = newSession('acc-live-a');
        for (const s of [a, b, done]) await createSession(store, s);
        await updateSession(store, b.id, { state: 'dialing' });
        await updateSession(store, done.id, { state: 'failed', endReason: 'test' });
        const live = (await store.listLiveSessions()).map((s) => s.id);
        assert.ok(live.includes(a.id) && live.includes(b.id));
        assert.ok(!live.includes(done.id));
        assert.equal(await store.countLiveSessions('acc-live-a'), 1);
        assert.equal(await store.countLiveSessions('acc-live-b'), 1);
      });
    });

    describe('batched session writes', () => {
      test('several updates of one session in one commit apply in order, a later field wins', async () => {
        const s = newSession('acc-upd');
        const t = newSession('acc-upd');
        await Promise.all([createSession(store, s), createSession(store, t)]);
        const writes = [
          updateSession(store, s.id, { state: 'dialing' }),
          updateSession(store, t.id, { state: 'ringing' }),
          updateSession(store, s.id, { state: 'in-progress', dateAnswered: '2024-01-01T00:00:01.000Z' }),
          updateSession(store, s.id, { endReason: 'first' }),
          updateSession(store, s.id, { state: 'completed', endReason: 'normal clearing', dateEnded: '2024-01-01T00:00:09.000Z' }),
          updateSession(store, t.id, { state: 'no-answer', endReason: 'timeout' }),
        ];
        await Promise.all(writes);
        const got = await store.getSession('acc-upd', s.id);
        assert.deepEqual(
          { state: got?.state, endReason: got?.endReason, dateAnswered: got?.dateAnswered, dateEnded: got?.dateEnded },
          { state: 'completed', endReason: 'normal clearing', dateAnswered: '2024-01-01T00:00:01.000Z', dateEnded: '2024-01-01T00:00:09.000Z' });
        const other = await store.getSession('acc-upd', t.id);
        assert.deepEqual({ state: other?.state, endReason: other?.endReason, dateEnded: other?.dateEnded },
          { state: 'no-answer', endReason: 'timeout', dateEnded: null });
      });

      test('variables: the last value of a name in one commit wins; one for an unknown session fails alone', async () => {
        const s = newSession('acc-var');
        await createSession(store, s);
        const writes = [
          setSessionVariable(store, s.id, 'choice', '1'),
          setSessionVariable(store, 'no-such-session', 'choice', 'x'),
          setSessionVariable(store, s.id, 'choice', '2'),
          setSessionVariable(store, s.id, 'quote', 'it\'s "quoted" – ünïcödé'),
        ];
        const settled = await Promise.allSettled(writes);
        assert.deepEqual(settled.map((r) => r.status), ['fulfilled', 'rejected', 'fulfilled', 'fulfilled']);
        assert.deepEqual((await store.getSession('acc-var', s.id))?.variables, { choice: '2', quote: 'it\'s "quoted" – ünïcödé' });
      });

      test('a one-session read sees that session\'s queued writes while other sessions keep writing', async () => {
        const s = newSession('acc-read');
        const busy = newSession('acc-read');
        await Promise.all([createSession(store, s), createSession(store, busy)]);
        const noise = Array.from({ length: 200 }, (_, i) => appendSessionEvent(store, busy.id, 'noise', { i }));
        void store.recordSession(s.id, { change: { state: 'ringing' }, timeline: [{ seq: 1, at: new Date().toISOString(), type: 'state', data: { state: 'ringing' } }] });
        const [got, events] = await Promise.all([store.getSession('acc-read', s.id), store.listSessionEvents(s.id)]);
        assert.equal(got?.state, 'ringing');
        assert.deepEqual(events.map((e) => e.type), ['state']);
        await Promise.all(noise);
      });

      test('a timeline entry that cannot be serialized is refused alone', async () => {
        const s = newSession('acc-json');
        await createSession(store, s);
        const cyclic: Record<string, unknown> = {};
        cyclic.self = cyclic;
        const good = appendSessionEvent(store, s.id, 'ok', {});
        await assert.rejects(appendSessionEvent(store, s.id, 'cyclic', cyclic), TypeError);
        await good;
        assert.deepEqual((await store.listSessionEvents(s.id)).map((e) => e.type), ['ok']);
      });

      test('seq continues across commits, past one statement\'s chunk, and after a reopen', async () => {
        const first = await dialect.open({ database: 'seq' });
        const s = newSession('acc-seq');
        await createSession(first, s);
        await appendSessionEvent(first, s.id, 'one', {});
        // 2,500 appends in one tick: one commit, several statements.
        await Promise.all(Array.from({ length: 2500 }, (_, i) => appendSessionEvent(first, s.id, 'bulk', { i })));
        await appendSessionEvent(first, s.id, 'after', {});
        await first.close();
        const second = await dialect.open({ database: 'seq' });
        try {
          await appendSessionEvent(second, s.id, 'reopened', { nested: { a: [1, 'two', null] }, text: 'a "b"\n\u00e9' });
          const events = await second.listSessionEvents(s.id);
          assert.deepEqual(events.map((e) => e.seq), Array.from({ length: 2503 }, (_, i) => i + 1));
          assert.deepEqual(events.slice(1, 2501).map((e) => e.data.i), Array.from({ length: 2500 }, (_, i) => i));
          assert.deepEqual(events.map((e) => e.type).filter((t) => t !== 'bulk'), ['one', 'after', 'reopened']);
          assert.deepEqual(events[2502]?.data, { nested: { a: [1, 'two', null] }, text: 'a "b"\n\u00e9' });
        } finally {
          await second.close();
        }
      });

      test('the live count of sessions left by a previous run is read at open', async () => {
        const first = await dialect.open({ database: 'left' });
        const live = newSession('acc-left');
        const ended = newSession('acc-left');
        await createSession(first, live);
        await createSession(first, ended);
        void updateSession(first, live.id, { state: 'in-progress' });
        void updateSession(first, ended.id, { state: 'failed', endReason: 'test' });
        // close() commits the queued writes first.
        await first.close();
        const second = await dialect.open({ database: 'left' });
        try {
          assert.equal(await second.countLiveSessions('acc-left'), 1);
          await updateSession(second, live.id, { state: 'failed', endReason: 'reconciled' });
          assert.equal(await second.countLiveSessions('acc-left'), 0);
        } finally {
          await second.close();
        }
      });
    });

    describe('recordings', () => {
      before(async () => {
        await store.ensureAccount('acme', 'Acme');
        await store.ensureAccount('other', 'Other');
      });
      const session = async (id: string, accountId = 'acme') => {
        await createSession(store, { id, accountId, flowId: 'f', flowVersion: 1, numberToDial: '+15551230000', callerId: '+15551230001', channelId: `ch-${id}`, endpoint: 'PJSIP/x' });
      };

      test('a done recording.finished row registers the recording; failed or cancelled ones do not', async () => {
        await session('s1');
        const at = new Date().toISOString();
        await appendSessionEvent(store, 's1', 'recording.finished', { name: 'rec-a', stepId: 'msg', format: 'wav', state: 'done', durationSec: 3 }, at);
        await appendSessionEvent(store, 's1', 'recording.finished', { name: 'rec-b', stepId: 'msg', format: 'wav', state: 'failed' });
        await appendSessionEvent(store, 's1', 'recording.started', { name: 'rec-c' });
        assert.deepEqual(await store.listRecordings('acme', 's1'), [
          { id: 'rec-a', accountId: 'acme', sessionId: 's1', stepId: 'msg', format: 'wav', durationSec: 3, dateCreated: at },
        ]);
        assert.equal(await store.getRecording('other', 'rec-a'), undefined, 'another account');
        assert.deepEqual(await store.listRecordings('other', 's1'), []);
      });

      test('deleting marks it once; the retention sweep deletes old ones from Asterisk and the list', async () => {
        await session('s2');
        await appendSessionEvent(store, 's2', 'recording.finished', { name: 'rec-old', stepId: 'msg', format: 'wav', state: 'done' }, '2020-01-01T00:00:00.000Z');
        await appendSessionEvent(store, 's2', 'recording.finished', { name: 'rec-new', stepId: 'msg', format: 'wav', state: 'done' }, new Date().toISOString());
        const port = new FakePort();
        port.storedFiles.set('rec-old', { data: Buffer.from('old'), contentType: 'audio/wav' });
        const service = new RecordingService(store, port, pino({ level: 'silent' }));
        assert.equal(await service.sweep(30 * 86_400_000), 1);
        assert.equal(port.storedFiles.has('rec-old'), false);
        assert.deepEqual((await store.listRecordings('acme', 's2')).map((r) => r.id), ['rec-new']);
        assert.equal(await store.markRecordingDeleted('acme', 'rec-new', new Date().toISOString()), true);
        assert.equal(await store.markRecordingDeleted('acme', 'rec-new', new Date().toISOString()), false);
      });
    });
  });
}
