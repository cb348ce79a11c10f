// SQLite's in-memory live count (one engine per file: exact without a query). The batched session
// writes themselves are in the contract suite (store-contract.test.ts), on both dialects.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { openSqliteStore } from '../../src/store/sqlite-store.js';
import type { Store } from '../../src/store/store.js';
import { newSession, tempDir, type TempDir } from '../support/store-temp.js';
import { createSession, updateSession } from '../support/session-writers.js';

describe('sqlite store: live count in memory', () => {
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

  test('the live count follows creates and final states at once, without awaiting the writes', async () => {
    const acc = 'acc-count';
    const a = newSession(acc);
    const b = newSession(acc);
    const pending: Array<Promise<unknown>> = [createSession(store, a), createSession(store, b)];
    assert.equal(await store.countLiveSessions(acc), 2);
    pending.push(updateSession(store, a.id, { state: 'ringing' }));
    assert.equal(await store.countLiveSessions(acc), 2);
    pending.push(updateSession(store, a.id, { state: 'completed', endReason: 'done' }));
    assert.equal(await store.countLiveSessions(acc), 1);
    await Promise.all(pending);
    assert.equal(await store.countLiveSessions(acc), 1);
    assert.equal(await store.countLiveSessions('acc-count-other'), 0);

    // A duplicate of a live session is refused and not counted twice; of an ended one, not counted.
    await assert.rejects(createSession(store, b), { name: 'AppError', kind: 'conflict' });
    await assert.rejects(createSession(store, a), { name: 'AppError', kind: 'conflict' });
    assert.equal(await store.countLiveSessions(acc), 1);
  });
});
