import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { openSqliteStore } from '../../src/store/sqlite-store.js';
import { MIGRATIONS } from '../../src/store/migrations.js';
import type { Store } from '../../src/store/store.js';
import { newSession, sampleFlow, tempDir, type TempDir } from '../support/store-temp.js';
import { appendSessionEvent, createSession, setSessionVariable } from '../support/session-writers.js';

async function rawQuery<T>(file: string, sql: string): Promise<T[]> {
  const db = new Database(file, { readonly: true });
  try {
    return db.prepare(sql).all() as T[];
  } finally {
    db.close();
  }
}

// What only SQLite does: its WAL file, reopening it, and surviving a SIGKILL. The Store contract
// itself runs on both dialects in store-contract.test.ts.
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

  test('reopen after close keeps everything', async () => {
    const file = dir.file('reopen.sqlite');
    const first = await openSqliteStore(file);
    const flow = await first.createFlow('acc-r', sampleFlow('Kept'));
    const s = newSession('acc-r', { flowId: flow.id });
    await createSession(first, s);
    await appendSessionEvent(first, s.id, 'state', { state: 'queued' });
    // Not awaited: close() commits what is queued.
    void setSessionVariable(first, s.id, 'k', 'v');
    const update = first.updateFlow('acc-r', flow.id, sampleFlow('Kept 2'));
    await first.close();
    assert.equal((await update)?.version, 2);
    await assert.rejects(first.getSession('acc-r', s.id), { name: 'DbClosedError' });
    await assert.rejects(appendSessionEvent(first, s.id, 'late', {}), { name: 'DbClosedError' });
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
