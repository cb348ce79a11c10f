// Group commit of `db.ts`: rows of one kind go out as one statement per commit; a bad row fails
// alone (row-by-row fallback); any other failure fails the whole commit; kinds run by rank.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { Db, DbClosedError, type RowKind, type SqlStep } from '../../src/store/db.js';
import { tempDir, type TempDir } from '../support/store-temp.js';

interface Item { id: number; v: string }

/** A kind over table `items`, counting the statements it builds. */
function itemKind(table: string, rank = 1): RowKind<Item> & { manyCalls: number; oneCalls: number } {
  return {
    rank,
    manyCalls: 0,
    oneCalls: 0,
    many(rows: readonly Item[]): SqlStep {
      this.manyCalls += 1;
      return {
        sql: `INSERT INTO ${table} (id, v) SELECT j.value ->> 0, j.value ->> 1 FROM json_each(?) AS j ORDER BY j.key`,
        params: [JSON.stringify(rows.map((r) => [r.id, r.v]))],
      };
    },
    one(row: Item): SqlStep {
      this.oneCalls += 1;
      return { sql: `INSERT INTO ${table} (id, v) VALUES (?, ?)`, params: [row.id, row.v] };
    },
  };
}

const range = (n: number, from = 1): number[] => Array.from({ length: n }, (_, i) => i + from);

describe('db group commit', () => {
  let dir: TempDir;
  let db: Db;
  let table = 0;

  /** A fresh table per test: items(id PRIMARY KEY, v NOT NULL, never 'bad'). */
  async function newTable(): Promise<string> {
    table += 1;
    const name = `items_${table}`;
    await db.exclusive(() => db.execRaw(`CREATE TABLE ${name} (id INTEGER PRIMARY KEY, v TEXT NOT NULL CHECK (v <> 'bad'))`));
    return name;
  }

  async function rows(name: string): Promise<Item[]> {
    return db.all<Item & Record<string, unknown>>(`SELECT id, v FROM ${name} ORDER BY id`);
  }

  before(async () => {
    dir = tempDir('db-batching-');
    db = await Db.open(dir.file('batch.sqlite'));
    await db.get('PRAGMA journal_mode = WAL');
    await db.get('PRAGMA foreign_keys = ON');
  });
  after(async () => {
    await db.close();
    dir.remove();
  });

  test('rows queued in one tick are written by one statement, in order', async () => {
    const name = await newTable();
    const kind = itemKind(name);
    await Promise.all(range(300).map((id) => db.enqueueRow(kind, { id, v: `v${id}` })));
    assert.equal(kind.manyCalls, 1);
    assert.equal(kind.oneCalls, 0);
    assert.deepEqual(await rows(name), range(300).map((id) => ({ id, v: `v${id}` })));
  });

  test('a lone row takes the single-row statement', async () => {
    const name = await newTable();
    const kind = itemKind(name);
    await db.enqueueRow(kind, { id: 1, v: 'x' });
    assert.deepEqual({ many: kind.manyCalls, one: kind.oneCalls }, { many: 0, one: 1 });
  });

  test('large commits are chunked into several statements', async () => {
    const name = await newTable();
    const kind = itemKind(name);
    await Promise.all(range(4500).map((id) => db.enqueueRow(kind, { id, v: 'x' })));
    assert.equal(kind.manyCalls, 3);
    assert.equal((await rows(name)).length, 4500);
  });

  test('one bad row fails alone: the others of its commit are written', async () => {
    const name = await newTable();
    const kind = itemKind(name);
    const results = await Promise.allSettled(range(50).map((id) => db.enqueueRow(kind, { id, v: id === 17 || id === 40 ? 'bad' : 'ok' })));
    const rejected = results.flatMap((r, i) => (r.status === 'rejected' ? [i + 1] : []));
    assert.deepEqual(rejected, [17, 40]);
    for (const id of rejected) {
      const r = results[id - 1];
      assert.ok(r?.status === 'rejected');
      assert.equal((r.reason as { code?: unknown }).code, 'SQLITE_CONSTRAINT_CHECK');
    }
    assert.deepEqual((await rows(name)).map((r) => r.id), range(50).filter((id) => id !== 17 && id !== 40));
  });

  test('any other failure fails the whole commit, generic writes included; the next commit works', async () => {
    const name = await newTable();
    const good = itemKind(name);
    const broken: RowKind<Item> = {
      rank: 2,
      many: () => ({ sql: 'INSERT INTO no_such_table (id) SELECT 1 FROM json_each(?)', params: ['[]'] }),
      one: () => ({ sql: 'INSERT INTO no_such_table (id) VALUES (1)', params: [] }),
    };
    const generic = db.enqueue([{ sql: `INSERT INTO ${name} (id, v) VALUES (?, ?)`, params: [1000, 'generic'] }]);
    const goods = range(5).map((id) => db.enqueueRow(good, { id, v: 'ok' }));
    const bads = [db.enqueueRow(broken, { id: 1, v: 'x' }), db.enqueueRow(broken, { id: 2, v: 'x' })];
    const settled = await Promise.allSettled([generic, ...goods, ...bads]);
    assert.ok(settled.every((r) => r.status === 'rejected'), 'every write of the failed commit is rejected');
    assert.deepEqual(await rows(name), []);
    await db.enqueueRow(good, { id: 7, v: 'after' });
    assert.deepEqual(await rows(name), [{ id: 7, v: 'after' }]);
  });

  test('kinds run by rank, after generic writes, whatever the order they were queued in', async () => {
    const parent = await newTable();
    const child = `${parent}_child`;
    await db.exclusive(() => db.execRaw(`CREATE TABLE ${child} (id INTEGER PRIMARY KEY, v TEXT NOT NULL REFERENCES ${parent}(v))`));
    await db.exclusive(() => db.execRaw(`CREATE UNIQUE INDEX ${parent}_v ON ${parent}(v)`));
    const parents = itemKind(parent, 1);
    const children = itemKind(child, 2);
    // Children first in queue order: they need their parent rows (rank 1), and the generic write.
    const writes = [
      db.enqueueRow(children, { id: 1, v: 'p1' }),
      db.enqueueRow(children, { id: 2, v: 'g' }),
      db.enqueueRow(parents, { id: 1, v: 'p1' }),
      db.enqueue([{ sql: `INSERT INTO ${parent} (id, v) VALUES (?, ?)`, params: [2, 'g'] }]),
    ];
    await Promise.all(writes);
    assert.deepEqual(await rows(child), [{ id: 1, v: 'p1' }, { id: 2, v: 'g' }]);
  });

  test('rows may wait for company; a generic write, flush or close commits them at once', async () => {
    const name = await newTable();
    const kind = itemKind(name);
    const slow = await Db.open(dir.file('delay.sqlite'));
    await slow.exclusive(() => slow.execRaw(`CREATE TABLE ${name} (id INTEGER PRIMARY KEY, v TEXT NOT NULL CHECK (v <> 'bad'))`));
    // Far longer than the test: only the writes below can commit the rows.
    slow.configureRowCommitDelay(600_000);
    const count = async (): Promise<number> => (await slow.all(`SELECT id FROM ${name}`)).length;
    const first = [slow.enqueueRow(kind, { id: 1, v: 'a' }), slow.enqueueRow(kind, { id: 2, v: 'b' })];
    await slow.enqueue([{ sql: `INSERT INTO ${name} (id, v) VALUES (?, ?)`, params: [3, 'generic'] }]);
    await Promise.all(first);
    assert.equal(await count(), 3);
    const second = slow.enqueueRow(kind, { id: 4, v: 'c' });
    await slow.flush();
    await second;
    assert.equal(await count(), 4);
    const third = slow.enqueueRow(kind, { id: 5, v: 'd' });
    await slow.close();
    await third;
    const reopened = await Db.open(dir.file('delay.sqlite'));
    assert.equal((await reopened.all(`SELECT id FROM ${name}`)).length, 5);
    await reopened.close();
  });

  test('flush waits for queued rows; writes after close are refused', async () => {
    const name = await newTable();
    const kind = itemKind(name);
    const pending = range(10).map((id) => db.enqueueRow(kind, { id, v: 'x' }));
    await db.flush();
    assert.equal((await rows(name)).length, 10);
    await Promise.all(pending);
    const other = await Db.open(dir.file('closed.sqlite'));
    await other.close();
    await assert.rejects(other.enqueueRow(kind, { id: 1, v: 'x' }), DbClosedError);
  });
});
