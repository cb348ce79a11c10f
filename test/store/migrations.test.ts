import { createSession } from '../support/session-writers.js';
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { Db } from '../../src/store/db.js';
import { migrate, MIGRATIONS, type Migration } from '../../src/store/migrations.js';
import { openSqliteStore } from '../../src/store/sqlite-store.js';
import { tempDir, type TempDir } from '../support/store-temp.js';
import { PgDb } from '../../src/store/postgres/pg-db.js';
import { migratePostgres } from '../../src/store/postgres/pg-migrate.js';
import { freshDatabase, postgresSkip, type TestDatabase } from '../support/postgres.js';

describe('migrations', () => {
  let dir: TempDir;
  before(() => { dir = tempDir('store-migrations-'); });
  after(() => dir.remove());

  test('numbered, applied once, in order; a second run applies nothing', async () => {
    const db = await Db.open(dir.file('a.sqlite'));
    try {
      assert.deepEqual(await migrate(db), MIGRATIONS.map((m) => m.version));
      assert.deepEqual(await migrate(db), []);
      const rows = await db.all<{ version: number; name: string }>('SELECT version, name FROM schema_migrations ORDER BY version');
      assert.deepEqual(rows.map((r) => r.version), MIGRATIONS.map((m) => m.version));
    } finally {
      await db.close();
    }
  });

  test('a failing migration is rolled back and not recorded; the earlier ones stay', async () => {
    const steps: Migration[] = [
      { version: 1, name: 'one', sql: 'CREATE TABLE one (x INTEGER)' },
      { version: 2, name: 'broken', sql: 'CREATE TABLE two (x INTEGER); INSERT INTO nowhere VALUES (1);' },
    ];
    const db = await Db.open(dir.file('b.sqlite'));
    try {
      await assert.rejects(migrate(db, steps), /nowhere/);
      const recorded = await db.all<{ version: number }>('SELECT version FROM schema_migrations');
      assert.deepEqual(recorded.map((r) => r.version), [1]);
      const tables = await db.all<{ name: string }>("SELECT name FROM sqlite_master WHERE type = 'table' AND name IN ('one', 'two')");
      assert.deepEqual(tables.map((t) => t.name), ['one']);
      const fixed: Migration[] = [steps[0]!, { version: 2, name: 'fixed', sql: 'CREATE TABLE two (x INTEGER)' }];
      assert.deepEqual(await migrate(db, fixed), [2]);
    } finally {
      await db.close();
    }
  });

  test('a database of the previous release (migrations 1-4) gains extensions and account settings (and loses the recordings trigger), its rows kept', async () => {
    const file = dir.file('upgrade.sqlite');
    const db = await Db.open(file);
    try {
      assert.deepEqual(await migrate(db, MIGRATIONS.filter((m) => m.version <= 4)), [1, 2, 3, 4]);
      await db.runRaw("INSERT INTO accounts (id, name, date_created) VALUES ('acc', 'acc', '2026-01-01T00:00:00.000Z')");
      assert.deepEqual(await migrate(db), MIGRATIONS.filter((m) => m.version > 4).map((m) => m.version));
      const names = await db.all<{ name: string }>("SELECT name FROM schema_migrations WHERE version >= 5 AND version <= 8 ORDER BY version");
      assert.deepEqual(names.map((r) => r.name), ['lab extensions', 'account settings', 'recordings registered by their unit', 'flow version author']);
      const triggers = await db.all<{ name: string }>("SELECT name FROM sqlite_master WHERE type = 'trigger'");
      assert.deepEqual(triggers, [], 'recordings are registered by their session unit, not by a trigger');
    } finally {
      await db.close();
    }
    const store = await openSqliteStore(file);
    try {
      assert.deepEqual(await store.getAccountSettings('acc'), { accountId: 'acc', callerIdPassthrough: false, dateModified: null }, 'the default, without a row');
      assert.equal((await store.updateAccountSettings('acc', { callerIdPassthrough: true })).callerIdPassthrough, true);
      assert.equal((await store.updateAccountSettings('acc', {})).callerIdPassthrough, true, 'an omitted field keeps its value');
      const added = await store.addExtension('acc', { number: '8000', name: 'x', enabled: true, inboundFlowId: null });
      assert.notEqual(added, 'duplicate');
      assert.equal(await store.addExtension('other', { number: '8000', name: 'y', enabled: true, inboundFlowId: null }), 'duplicate', 'unique across accounts');
      assert.equal((await store.extensionCalled('8000'))?.accountId, 'acc');
      assert.equal(await store.getExtension('other', (added as { id: string }).id), undefined, 'another account reads it as missing');
    } finally {
      await store.close();
    }
  });

  test('migration 8: versions stored before it have no author; later versions keep who saved them', async () => {
    const file = dir.file('authors.sqlite');
    const db = await Db.open(file);
    try {
      assert.deepEqual(await migrate(db, MIGRATIONS.filter((m) => m.version <= 7)), [1, 2, 3, 4, 5, 6, 7]);
      await db.runRaw("INSERT INTO accounts (id, name, date_created) VALUES ('acc', 'acc', '2026-01-01T00:00:00.000Z')");
      await db.runRaw("INSERT INTO flows (id, account_id, current_version, date_created, date_modified) VALUES ('f', 'acc', 1, '2026-01-01T00:00:00.000Z', '2026-01-01T00:00:00.000Z')");
      await db.runRaw(`INSERT INTO flow_versions (flow_id, version, name, document, date_created) VALUES ('f', 1, 'Old', '{"name":"Old","steps":[{"id":"h","type":"hangup"}]}', '2026-01-01T00:00:00.000Z')`);
    } finally {
      await db.close();
    }
    const store = await openSqliteStore(file);
    try {
      const old = await store.getFlow('acc', 'f');
      assert.equal(old?.name, 'Old');
      assert.equal(old?.createdBy, undefined, 'unknown, not invented');
      const next = await store.updateFlow('acc', 'f', { name: 'New', steps: [{ id: 'h', type: 'hangup' }] }, 'alice');
      assert.deepEqual([next?.version, next?.createdBy], [2, 'alice']);
      const created = await store.createFlow('acc', { name: 'Other', steps: [{ id: 'h', type: 'hangup' }] }, undefined, 'bob');
      assert.equal((await store.getFlow('acc', created.id, 1))?.createdBy, 'bob');
      assert.equal((await store.listFlows('acc', { page: 1, countPerPage: 10 })).items.find((f) => f.id === 'f')?.createdBy, 'alice');
    } finally {
      await store.close();
    }
  });

  test('two processes opening a new file at once both succeed', async () => {
    const file = dir.file('race.sqlite');
    const [a, b] = await Promise.all([openSqliteStore(file), openSqliteStore(file)]);
    try {
      assert.equal(await a.isWritable(), true);
      assert.equal(await b.isWritable(), true);
      const flow = await a.createFlow('acc', { name: 'F', steps: [{ id: 'h', type: 'hangup' }] });
      assert.equal((await b.getFlow('acc', flow.id))?.name, 'F');
    } finally {
      await a.close();
      await b.close();
    }
  });

  test('a file that is not a database is refused with an error, not a crash', async () => {
    const file = dir.file('garbage.sqlite');
    writeFileSync(file, 'this is not a database, just text '.repeat(200));
    await assert.rejects(openSqliteStore(file), /not a database|SQLITE_NOTADB/);
  });
});

describe('migration 9: the session\'s Asterisk server', () => {
  let dir: TempDir;
  before(() => {
    dir = tempDir('migration-9-');
  });
  after(() => dir.remove());

  test('a session created with its server reads it back; one without has none', async () => {
    const store = await openSqliteStore(dir.file('servers.sqlite'));
    try {
      const base = { accountId: 'acc', flowId: 'f', flowVersion: 1, numberToDial: '+12125550100', callerId: '+12125550101', endpoint: 'PJSIP/x' };
      await createSession(store, { ...base, id: 's1', channelId: 'c1', asteriskServer: 'b' });
      await createSession(store, { ...base, id: 's2', channelId: 'c2' });
      assert.equal((await store.getSession(undefined, 's1'))?.asteriskServer, 'b');
      assert.equal((await store.getSession(undefined, 's2'))?.asteriskServer, undefined);
      const live = await store.listLiveSessionsNotOwnedBy('nobody');
      assert.deepEqual(live.map((s) => [s.id, s.asteriskServer]).sort(), [['s1', 'b'], ['s2', undefined]]);
    } finally {
      await store.close();
    }
  });
});

// One history for both dialects (src/store/migrations.ts): the same versions, applied on PostgreSQL
// under an advisory lock, and a portable migration (as 8 and 9 are) runs unchanged on both.
const pgSkip = await postgresSkip();

describe('migrations on PostgreSQL', { skip: pgSkip }, () => {
  const databases: TestDatabase[] = [];
  const dir2 = tempDir('store-migrations-pg-');
  after(async () => {
    for (const d of databases) await d.drop();
    dir2.remove();
  });
  const fresh = async (): Promise<TestDatabase> => {
    const d = await freshDatabase('t_migrations');
    databases.push(d);
    return d;
  };

  test('the whole history; three engines starting at once apply each migration once', async () => {
    const { url } = await fresh();
    const dbs = [new PgDb({ url }), new PgDb({ url }), new PgDb({ url })];
    try {
      const applied = await Promise.all(dbs.map((db) => migratePostgres(db)));
      assert.deepEqual(applied.flat().sort((a, b) => a - b), MIGRATIONS.map((m) => m.version), 'each version applied by exactly one');
      const rows = await dbs[0]!.query<{ version: number }>('SELECT version FROM schema_migrations ORDER BY version');
      assert.deepEqual(rows.map((r) => r.version), MIGRATIONS.map((m) => m.version));
      assert.deepEqual(await migratePostgres(dbs[1]!), []);
    } finally {
      for (const db of dbs) await db.close();
    }
  });

  test('a portable ADD COLUMN migration runs unchanged on both dialects; a failing one is rolled back', async () => {
    const portable: Migration[] = [...MIGRATIONS,
      { version: 98, name: 'portable column', sql: 'ALTER TABLE flow_versions ADD COLUMN portable_probe TEXT;\nALTER TABLE sessions ADD COLUMN portable_probe TEXT;' }];
    const { url } = await fresh();
    const pgDb = new PgDb({ url });
    const sqlite = await Db.open(dir2.file('portable.sqlite'));
    try {
      assert.deepEqual((await migratePostgres(pgDb, portable)).at(-1), 98);
      assert.deepEqual((await migrate(sqlite, portable)).at(-1), 98);
      const pgColumns = await pgDb.query<{ table_name: string }>(
        "SELECT table_name FROM information_schema.columns WHERE table_name IN ('flow_versions', 'sessions') AND column_name = 'portable_probe' ORDER BY table_name");
      assert.deepEqual(pgColumns.map((c) => c.table_name), ['flow_versions', 'sessions']);
      const sqliteColumns = await sqlite.all<{ name: string }>("SELECT name FROM pragma_table_info('sessions') WHERE name = 'portable_probe'");
      assert.equal(sqliteColumns.length, 1);

      const broken: Migration[] = [...portable, { version: 99, name: 'broken', sql: 'CREATE TABLE two (x INTEGER); INSERT INTO nowhere VALUES (1);' }];
      await assert.rejects(migratePostgres(pgDb, broken), /migration 99 \(broken\) failed/);
      assert.equal((await pgDb.query("SELECT 1 FROM schema_migrations WHERE version = 99")).length, 0);
      assert.equal((await pgDb.query("SELECT 1 FROM information_schema.tables WHERE table_name = 'two'")).length, 0, 'rolled back');
    } finally {
      await pgDb.close();
      await sqlite.close();
    }
  });
});
