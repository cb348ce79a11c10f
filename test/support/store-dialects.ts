// The store's dialects for contract tests: the same tests run on a real SQLite file and on a real
// PostgreSQL database (test/support/postgres.ts; skipped with a message where PostgreSQL is absent).
//
//   for (const dialect of await storeDialects('outbox')) {
//     describe(`outbox (${dialect.name})`, { skip: dialect.skip }, () => {
//       after(() => dialect.cleanup());
//       test('…', async () => { const store = await dialect.open(); … });
//     });
//   }
//
// `open()` opens one more store on the dialect's database: two opens are two engines sharing it
// (or a reopen after close). `open({ database: 'x' })` uses another, separate database of this file.
import Database from 'better-sqlite3';
import pg from 'pg';
import { openSqliteStore } from '../../src/store/sqlite-store.js';
import { openPostgresStore, type PostgresStoreOptions } from '../../src/store/postgres/pg-store.js';
import type { Store } from '../../src/store/store.js';
import { freshDatabase, postgresSkip, type TestDatabase } from './postgres.js';
import { tempDir } from './store-temp.js';

export type DialectName = 'sqlite' | 'postgres';

export interface OpenOptions {
  /** Another database of this file (default: the main one). */
  database?: string;
  rowCommitDelayMs?: number;
  /** PostgreSQL only: a URL to reach the same database by (a TCP proxy in front of it). */
  via?: (url: string) => string;
  postgres?: Partial<PostgresStoreOptions>;
}

export interface StoreDialect {
  name: DialectName;
  /** false, or why this dialect's tests skip. */
  skip: string | false;
  open(options?: OpenOptions): Promise<Store>;
  /** Runs raw SQL (portable, no parameters) on a database of this file. */
  exec(sql: string, database?: string): Promise<void>;
  /** The PostgreSQL URL of a database of this file (postgres only). */
  url(database?: string): Promise<string>;
  /** Closes the stores it opened and removes the databases. */
  cleanup(): Promise<void>;
}

function sqliteDialect(prefix: string): StoreDialect {
  const dir = tempDir(`${prefix}-`);
  const opened: Store[] = [];
  const file = (database = 'main') => dir.file(`${database}.sqlite`);
  return {
    name: 'sqlite',
    skip: false,
    async open(options = {}) {
      const store = await openSqliteStore(file(options.database), options.rowCommitDelayMs === undefined ? {} : { rowCommitDelayMs: options.rowCommitDelayMs });
      opened.push(store);
      return store;
    },
    async exec(sql, database) {
      const db = new Database(file(database));
      try {
        db.pragma('busy_timeout = 5000');
        db.exec(sql);
      } finally {
        db.close();
      }
    },
    url: () => Promise.reject(new Error('sqlite has no URL')),
    async cleanup() {
      for (const s of opened.splice(0)) await s.close().catch(() => undefined);
      dir.remove();
    },
  };
}

function postgresDialect(prefix: string, skip: string | false): StoreDialect {
  const databases = new Map<string, Promise<TestDatabase>>();
  const opened: Store[] = [];
  const database = (name = 'main'): Promise<TestDatabase> => {
    let db = databases.get(name);
    if (!db) {
      db = freshDatabase(`t_${prefix}`);
      databases.set(name, db);
    }
    return db;
  };
  return {
    name: 'postgres',
    skip,
    async open(options = {}) {
      const { url } = await database(options.database);
      const store = await openPostgresStore({
        url: options.via ? options.via(url) : url,
        poolSize: 5,
        ...(options.rowCommitDelayMs === undefined ? {} : { rowCommitDelayMs: options.rowCommitDelayMs }),
        ...options.postgres,
      });
      opened.push(store);
      return store;
    },
    async exec(sql, name) {
      const client = new pg.Client({ connectionString: (await database(name)).url });
      await client.connect();
      try {
        await client.query(sql);
      } finally {
        await client.end();
      }
    },
    async url(name) {
      return (await database(name)).url;
    },
    async cleanup() {
      for (const s of opened.splice(0)) await s.close().catch(() => undefined);
      for (const db of databases.values()) await (await db).drop();
      databases.clear();
    },
  };
}

/** SQLite, then PostgreSQL (with its skip message where absent). `prefix` names the temp databases. */
export async function storeDialects(prefix: string): Promise<StoreDialect[]> {
  return [sqliteDialect(prefix), postgresDialect(prefix.toLowerCase().replace(/[^a-z0-9]/g, '_'), await postgresSkip())];
}
