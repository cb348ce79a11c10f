import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import sqlite3 from 'sqlite3';
import { openSqliteStore } from '../../src/store/sqlite-store.js';
import { MIGRATIONS } from '../../src/store/migrations.js';
import type { Store } from '../../src/store/store.js';
import { newSession, sampleFlow, tempDir, type TempDir } from '../support/store-temp.js';

function rawQuery<T>(file: string, sql: string): Promise<T[]> {
  return new Promise((resolve, reject) => {
    const db = new sqlite3.Database(file, sqlite3.OPEN_READONLY, (openErr) => {
      if (openErr) return reject(openErr);
      db.all(sql, (err: Error | null, rows: T[]) => {
        db.close();
        if (err) reject(err);
        else resolve(rows);
      });
    });
  });
}

describe('sqlite store', () => {
  let dir: TempDir;
  let store: Store;
  let dbFile: string;

  before(async () => {
    dir = tempDir();
    dbFile = dir.file('nested/folder/engine.sqlite');
    store = await openSqliteStore(dbFile);
  });
  after(async () => {
    await store.close();
    dir.remove();
  });

  test('creates the folder, uses WAL and records every migration once', async () => {
    assert.ok(existsSync(dbFile));
    const mode = await rawQuery<{ journal_mode: string }>(dbFile, 'PRAGMA journal_mode');
    assert.equal(mode[0]?.journal_mode, 'wal');
    const applied = await rawQuery<{ version: number }>(dbFile, 'SELECT version FROM schema_migrations ORDER BY version');
    assert.deepEqual(applied.map((r) => r.version), MIGRATIONS.map((m) => m.version));
  });

  test('a second open of the same file is a no-op and sees the data', async () => {
    const flow = await store.createFlow('acc-reopen', sampleFlow('Reopen'));
    const second = await openSqliteStore(dbFile);
    try {
      const seen = await second.getFlow('acc-reopen', flow.id);
      assert.equal(seen?.name, 'Reopen');
      const applied = await rawQuery<{ n: number }>(dbFile, 'SELECT COUNT(*) AS n FROM schema_migrations');
      assert.equal(applied[0]?.n, MIGRATIONS.length);
    } finally {
      await second.close();
    }
  });

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

  describe('sessions', () => {
    test('create, get, update state and variables', async () => {
      const input = newSession('acc-s');
      const created = await store.createSession(input);
      assert.equal(created.state, 'queued');
      assert.deepEqual(created.variables, {});
      await store.updateSession(input.id, { state: 'in-progress', dateAnswered: '2024-01-01T00:00:01.000Z' });
      await store.setSessionVariable(input.id, 'choice', '1');
      await store.setSessionVariable(input.id, 'choice', '2');
      await store.setSessionVariable(input.id, 'other', 'x');
      await store.updateSession(input.id, { state: 'completed', endReason: 'hangup', dateEnded: '2024-01-01T00:00:09.000Z' });
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
      await store.createSession(input);
      await assert.rejects(store.createSession(input), { name: 'AppError', kind: 'conflict' });
    });

    test('read-your-writes: reads see every write issued before them, without awaiting the writes', async () => {
      const input = newSession('acc-ryw');
      void store.createSession(input);
      void store.updateSession(input.id, { state: 'ringing' });
      void store.setSessionVariable(input.id, 'v', '1');
      void store.appendSessionEvent(input.id, 'state', { state: 'ringing' });
      const got = await store.getSession('acc-ryw', input.id);
      assert.equal(got?.state, 'ringing');
      assert.deepEqual(got?.variables, { v: '1' });
      assert.equal((await store.listSessionEvents(input.id)).length, 1);
      assert.equal(await store.countLiveSessions('acc-ryw'), 1);
    });

    test('event order and seq under batched, interleaved appends', async () => {
      const sessions = Array.from({ length: 30 }, () => newSession('acc-ev'));
      await Promise.all(sessions.map((s) => store.createSession(s)));
      const appends: Promise<void>[] = [];
      for (let i = 0; i < 40; i++) {
        for (const s of sessions) appends.push(store.appendSessionEvent(s.id, 'step', { i }));
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
      await store.createSession(s);
      const good = store.appendSessionEvent(s.id, 'a', {});
      const bad = store.appendSessionEvent('no-such-session', 'a', {});
      const good2 = store.appendSessionEvent(s.id, 'b', {});
      await assert.rejects(bad, { code: 'SQLITE_CONSTRAINT' });
      await good;
      await good2;
      assert.deepEqual((await store.listSessionEvents(s.id)).map((e) => e.type), ['a', 'b']);
    });

    test('an explicit event time is kept', async () => {
      const s = newSession('acc-at');
      await store.createSession(s);
      await store.appendSessionEvent(s.id, 'dtmf', { digit: '5' }, '2024-05-05T10:00:00.000Z');
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
      for (const s of [s1, s2, s3, foreign]) await store.createSession(s);
      await store.updateSession(s2.id, { state: 'completed' });
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
      for (const s of [a, b, done]) await store.createSession(s);
      await store.updateSession(b.id, { state: 'dialing' });
      await store.updateSession(done.id, { state: 'failed', endReason: 'test' });
      const live = (await store.listLiveSessions()).map((s) => s.id);
      assert.ok(live.includes(a.id) && live.includes(b.id));
      assert.ok(!live.includes(done.id));
      assert.equal(await store.countLiveSessions('acc-live-a'), 1);
      assert.equal(await store.countLiveSessions('acc-live-b'), 1);
    });
  });

  describe('idempotency keys', () => {
    test('saved keys are found per account; the first save wins', async () => {
      await store.saveIdempotentSession('acc-i', 'key-1', 'hash-a', 'session-1');
      assert.deepEqual(await store.getIdempotentSession('acc-i', 'key-1'), { sessionId: 'session-1', requestHash: 'hash-a' });
      assert.equal(await store.getIdempotentSession('acc-other', 'key-1'), undefined);
      await store.saveIdempotentSession('acc-i', 'key-1', 'hash-b', 'session-2');
      assert.deepEqual(await store.getIdempotentSession('acc-i', 'key-1'), { sessionId: 'session-1', requestHash: 'hash-a' });
    });

    test('a session created with its key commits both, or neither when the session cannot be created', async () => {
      const draft = { id: 'idem-s1', accountId: 'acc-i2', flowId: 'f', flowVersion: 1, numberToDial: '+18144043093', callerId: '+15551230000', channelId: 'c-idem-1', endpoint: 'PJSIP/x' };
      await store.createSessionWith(draft, {}, { key: 'key-2', requestHash: 'hash-c' });
      assert.deepEqual(await store.getIdempotentSession('acc-i2', 'key-2'), { sessionId: 'idem-s1', requestHash: 'hash-c' });
      // The same session id again: the create fails, and its key is not saved either.
      await assert.rejects(store.createSessionWith(draft, {}, { key: 'key-3', requestHash: 'hash-d' }));
      assert.equal(await store.getIdempotentSession('acc-i2', 'key-3'), undefined);
    });

    test('keys older than 24 h are ignored and replaced', async () => {
      const file = dir.file('idem.sqlite');
      const s = await openSqliteStore(file);
      await s.saveIdempotentSession('acc', 'old', 'hash-old', 'session-old');
      await s.close();
      await new Promise<void>((resolve, reject) => {
        const raw = new sqlite3.Database(file, (e) => {
          if (e) return reject(e);
          raw.run("UPDATE idempotency_keys SET date_created = '2000-01-01T00:00:00.000Z'", (err) => {
            raw.close();
            if (err) reject(err);
            else resolve();
          });
        });
      });
      const reopened = await openSqliteStore(file);
      try {
        assert.equal(await reopened.getIdempotentSession('acc', 'old'), undefined);
        await reopened.saveIdempotentSession('acc', 'old', 'hash-new', 'session-new');
        assert.deepEqual(await reopened.getIdempotentSession('acc', 'old'), { sessionId: 'session-new', requestHash: 'hash-new' });
      } finally {
        await reopened.close();
      }
    });
  });

  test('reopen after close keeps everything', async () => {
    const file = dir.file('reopen.sqlite');
    const first = await openSqliteStore(file);
    const flow = await first.createFlow('acc-r', sampleFlow('Kept'));
    const s = newSession('acc-r', { flowId: flow.id });
    await first.createSession(s);
    void first.appendSessionEvent(s.id, 'state', { state: 'queued' });
    void first.setSessionVariable(s.id, 'k', 'v');
    const update = first.updateFlow('acc-r', flow.id, sampleFlow('Kept 2'));
    await first.close();
    assert.equal((await update)?.version, 2);
    await assert.rejects(first.getSession('acc-r', s.id), { name: 'DbClosedError' });
    await assert.rejects(first.appendSessionEvent(s.id, 'late', {}), { name: 'DbClosedError' });
    await assert.rejects(first.createFlow('acc-r', sampleFlow('Late')), { name: 'DbClosedError' });

    const second = await openSqliteStore(file);
    try {
      assert.equal((await second.getFlow('acc-r', flow.id))?.name, 'Kept 2');
      assert.deepEqual((await second.getSession('acc-r', s.id))?.variables, { k: 'v' });
      assert.equal((await second.listSessionEvents(s.id)).length, 1);
    } finally {
      await second.close();
    }
  });

  test('every session accepted before a SIGKILL is there after reopening', async () => {
    const file = dir.file('crash.sqlite');
    const child = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(new URL('../support/store-crash-child.ts', import.meta.url)), file], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const accepted: string[] = [];
    let buffer = '';
    await new Promise<void>((resolve, reject) => {
      child.on('error', reject);
      child.on('exit', () => resolve());
      child.stdout.setEncoding('utf8');
      child.stdout.on('data', (chunk: string) => {
        buffer += chunk;
        const lines = buffer.split('\n');
        buffer = lines.pop() ?? '';
        for (const line of lines) if (line !== 'ready') accepted.push(line);
        if (accepted.length >= 500 && child.exitCode === null && !child.killed) child.kill('SIGKILL');
      });
    });
    assert.equal(child.signalCode, 'SIGKILL');
    assert.ok(accepted.length >= 500);

    const reopened = await openSqliteStore(file);
    try {
      const missing: string[] = [];
      for (const id of accepted) if (!(await reopened.getSession('crash', id))) missing.push(id);
      assert.deepEqual(missing, []);
      assert.equal(await reopened.isWritable(), true);
    } finally {
      await reopened.close();
    }
  });
});
