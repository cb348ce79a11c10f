// The store's batched session writes (one statement per kind per commit) and its in-memory
// live count, through real SQLite files.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { openSqliteStore } from '../../src/store/sqlite-store.js';
import type { Store } from '../../src/store/store.js';
import { newSession, tempDir, type TempDir } from '../support/store-temp.js';

describe('store: batched session writes and live count', () => {
  let dir: TempDir;
  let store: Store;

  before(async () => {
    dir = tempDir('store-batching-');
    store = await openSqliteStore(dir.file('batching.sqlite'));
  });
  after(async () => {
    await store.close();
    dir.remove();
  });

  test('several updates of one session in one commit apply in order, a later field wins', async () => {
    const s = newSession('acc-upd');
    const t = newSession('acc-upd');
    await Promise.all([store.createSession(s), store.createSession(t)]);
    const writes = [
      store.updateSession(s.id, { state: 'dialing' }),
      store.updateSession(t.id, { state: 'ringing' }),
      store.updateSession(s.id, { state: 'in-progress', dateAnswered: '2024-01-01T00:00:01.000Z' }),
      store.updateSession(s.id, { endReason: 'first' }),
      store.updateSession(s.id, { state: 'completed', endReason: 'normal clearing', dateEnded: '2024-01-01T00:00:09.000Z' }),
      store.updateSession(t.id, { state: 'no-answer', endReason: 'timeout' }),
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
    await store.createSession(s);
    const writes = [
      store.setSessionVariable(s.id, 'choice', '1'),
      store.setSessionVariable('no-such-session', 'choice', 'x'),
      store.setSessionVariable(s.id, 'choice', '2'),
      store.setSessionVariable(s.id, 'quote', 'it\'s "quoted" – ünïcödé'),
    ];
    const settled = await Promise.allSettled(writes);
    assert.deepEqual(settled.map((r) => r.status), ['fulfilled', 'rejected', 'fulfilled', 'fulfilled']);
    assert.deepEqual((await store.getSession('acc-var', s.id))?.variables, { choice: '2', quote: 'it\'s "quoted" – ünïcödé' });
  });

  test('seq continues across commits, past one statement\'s chunk, and after a reopen', async () => {
    const file = dir.file('seq.sqlite');
    const first = await openSqliteStore(file);
    const s = newSession('acc-seq');
    await first.createSession(s);
    await first.appendSessionEvent(s.id, 'one', {});
    // 2,500 appends in one tick: one commit, several statements.
    await Promise.all(Array.from({ length: 2500 }, (_, i) => first.appendSessionEvent(s.id, 'bulk', { i })));
    await first.appendSessionEvent(s.id, 'after', {});
    await first.close();
    const second = await openSqliteStore(file);
    try {
      await second.appendSessionEvent(s.id, 'reopened', { nested: { a: [1, 'two', null] }, text: 'a "b"\n\u00e9' });
      const events = await second.listSessionEvents(s.id);
      assert.deepEqual(events.map((e) => e.seq), Array.from({ length: 2503 }, (_, i) => i + 1));
      assert.deepEqual(events.slice(1, 2501).map((e) => e.data.i), Array.from({ length: 2500 }, (_, i) => i));
      assert.deepEqual(events.map((e) => e.type).filter((t) => t !== 'bulk'), ['one', 'after', 'reopened']);
      assert.deepEqual(events[2502]?.data, { nested: { a: [1, 'two', null] }, text: 'a "b"\n\u00e9' });
    } finally {
      await second.close();
    }
  });

  test('a timeline entry that cannot be serialized is refused alone', async () => {
    const s = newSession('acc-json');
    await store.createSession(s);
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    const good = store.appendSessionEvent(s.id, 'ok', {});
    await assert.rejects(store.appendSessionEvent(s.id, 'cyclic', cyclic), TypeError);
    await good;
    assert.deepEqual((await store.listSessionEvents(s.id)).map((e) => e.type), ['ok']);
  });

  test('the live count follows creates and final states at once, without awaiting the writes', async () => {
    const acc = 'acc-count';
    const a = newSession(acc);
    const b = newSession(acc);
    const pending: Array<Promise<unknown>> = [store.createSession(a), store.createSession(b)];
    assert.equal(await store.countLiveSessions(acc), 2);
    pending.push(store.updateSession(a.id, { state: 'ringing' }));
    assert.equal(await store.countLiveSessions(acc), 2);
    pending.push(store.updateSession(a.id, { state: 'completed', endReason: 'done' }));
    assert.equal(await store.countLiveSessions(acc), 1);
    await Promise.all(pending);
    assert.equal(await store.countLiveSessions(acc), 1);
    assert.equal(await store.countLiveSessions('acc-count-other'), 0);

    // A duplicate of a live session is refused and not counted twice; of an ended one, not counted.
    await assert.rejects(store.createSession(b), { name: 'AppError', kind: 'conflict' });
    await assert.rejects(store.createSession(a), { name: 'AppError', kind: 'conflict' });
    assert.equal(await store.countLiveSessions(acc), 1);
  });

  test('the live count of sessions left by a previous run is read at open', async () => {
    const file = dir.file('live.sqlite');
    const first = await openSqliteStore(file);
    const live = newSession('acc-left');
    const ended = newSession('acc-left');
    await first.createSession(live);
    await first.createSession(ended);
    void first.updateSession(live.id, { state: 'in-progress' });
    void first.updateSession(ended.id, { state: 'failed', endReason: 'test' });
    await first.close();
    const second = await openSqliteStore(file);
    try {
      assert.equal(await second.countLiveSessions('acc-left'), 1);
      await second.updateSession(live.id, { state: 'failed', endReason: 'reconciled' });
      assert.equal(await second.countLiveSessions('acc-left'), 0);
    } finally {
      await second.close();
    }
  });

  test('a one-session read sees that session\'s queued writes while other sessions keep writing', async () => {
    const s = newSession('acc-read');
    const busy = newSession('acc-read');
    await Promise.all([store.createSession(s), store.createSession(busy)]);
    const noise = Array.from({ length: 200 }, (_, i) => store.appendSessionEvent(busy.id, 'noise', { i }));
    void store.updateSession(s.id, { state: 'ringing' });
    void store.appendSessionEvent(s.id, 'state', { state: 'ringing' });
    const [got, events] = await Promise.all([store.getSession('acc-read', s.id), store.listSessionEvents(s.id)]);
    assert.equal(got?.state, 'ringing');
    assert.deepEqual(events.map((e) => e.type), ['state']);
    await Promise.all(noise);
  });
});
