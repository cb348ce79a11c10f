// The WAL's checkpoints run in a worker thread, never inside a commit on the event loop
// (src/store/wal-checkpointer.ts): the writing connection's automatic checkpoint is off, and the
// worker moves the committed frames into the database file.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { Db } from '../../src/store/db.js';
import type { CheckpointResult } from '../../src/store/wal-checkpointer.js';
import { tempDir, type TempDir } from '../support/store-temp.js';
import { waitUntil } from '../support/wait-until.js';

describe('WAL checkpoints off the event loop', () => {
  let dir: TempDir;
  before(() => {
    dir = tempDir('wal-checkpointer-');
  });
  after(() => dir.remove());

  test('the writer never checkpoints; the worker moves every committed frame into the file', async () => {
    const file = dir.file('wal.sqlite');
    const db = await Db.open(file);
    try {
      assert.equal((await db.get<{ journal_mode: string }>('PRAGMA journal_mode = WAL'))?.journal_mode, 'wal');
      const checkpointer = db.startCheckpointer(file, 20);
      assert.equal((await db.get<{ wal_autocheckpoint: number }>('PRAGMA wal_autocheckpoint'))?.wal_autocheckpoint, 0);
      await db.exclusive(() => db.execRaw('CREATE TABLE items (id INTEGER PRIMARY KEY, v TEXT NOT NULL)'));
      const results: CheckpointResult[] = [];
      checkpointer.onCheckpoint((result) => results.push(result));
      // ~2 MB of WAL, beyond what SQLite's own 1,000-page checkpoint would have let it grow to.
      for (let i = 0; i < 200; i++) {
        await db.enqueue([{ sql: 'INSERT INTO items (v) VALUES (?)', params: ['x'.repeat(10_000)] }]);
      }
      const result = await waitUntil(() => results.find((r) => r.frames > 100 && r.checkpointed === r.frames), {
        message: () => `a checkpoint of the written frames; seen: ${JSON.stringify(results.slice(-3))}`,
      });
      assert.ok(result.checkpointed > 100, `checkpointed ${result.checkpointed} frames`);
    } finally {
      await db.close();
    }
  });
});
