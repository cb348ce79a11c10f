// PostgreSQL for tests: where it is (PG_TEST_URL, default postgres://postgres@127.0.0.1:5432/test,
// PostgreSQL 15 with trust authentication), whether tests needing it run or skip, and a fresh,
// isolated database per test file (parallel test files never share tables, advisory locks or
// LISTEN channels), dropped after.
//
//   import { postgresSkip, freshDatabase } from '../support/postgres.js';
//   const skip = await postgresSkip();           // false, or the message to skip with
//   describe('thing on PostgreSQL', { skip }, () => {
//     let db: TestDatabase;
//     before(async () => { db = await freshDatabase(); });   // db.url: postgres://…/t_<random>
//     after(() => db.drop());
//     …
//   });
//
// Unreachable: tests skip with a message naming what they need, unless REQUIRE_POSTGRES=1 (CI
// sets it), where postgresSkip() throws so the file fails loudly.
import { randomBytes } from 'node:crypto';
import pg from 'pg';

export const PG_TEST_URL = process.env.PG_TEST_URL || 'postgres://postgres@127.0.0.1:5432/test';
export const POSTGRES_REQUIRED = process.env.REQUIRE_POSTGRES === '1';

export interface TestDatabase {
  /** The fresh database's URL (same server and credentials as PG_TEST_URL). */
  url: string;
  name: string;
  /** Drops it (connections still open to it are terminated first). */
  drop(): Promise<void>;
}

let probe: Promise<string | undefined> | undefined;

/** The URL without its password, for messages. */
export function redacted(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return '(unparsable PG_TEST_URL)';
  }
}

/** Undefined when PostgreSQL answers at PG_TEST_URL; else why not. Probed once per process. */
export function postgresProblem(): Promise<string | undefined> {
  probe ??= (async () => {
    const client = new pg.Client({ connectionString: PG_TEST_URL, connectionTimeoutMillis: 3000 });
    try {
      await client.connect();
      const row = (await client.query<{ v: string }>('SHOW server_version_num')).rows[0];
      if (!row || Number(row.v) < 150000) return `PostgreSQL at ${redacted(PG_TEST_URL)} is older than 15 (${row?.v ?? 'unknown'})`;
      return undefined;
    } catch (err) {
      return `${(err as Error).message || String(err)}`;
    } finally {
      await client.end().catch(() => undefined);
    }
  })();
  return probe;
}

/**
 * `false` when PostgreSQL is there; else the skip message (for `{ skip }` of node:test). With
 * REQUIRE_POSTGRES=1 an absent PostgreSQL throws instead: CI must not pass by skipping.
 */
export async function postgresSkip(): Promise<string | false> {
  const problem = await postgresProblem();
  if (problem === undefined) return false;
  const message = `needs PostgreSQL 15 at ${redacted(PG_TEST_URL)} (set PG_TEST_URL; trust authentication): ${problem}`;
  if (POSTGRES_REQUIRED) throw new Error(`REQUIRE_POSTGRES=1 but PostgreSQL is unreachable: ${message}`);
  return message;
}

async function admin<T>(fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: PG_TEST_URL, connectionTimeoutMillis: 5000 });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** A new empty database on the test server, named `<prefix>_<random>`. */
export async function freshDatabase(prefix = 't'): Promise<TestDatabase> {
  const name = `${prefix.toLowerCase().replace(/[^a-z0-9_]/g, '_')}_${randomBytes(6).toString('hex')}`;
  await admin((c) => c.query(`CREATE DATABASE ${name}`));
  const u = new URL(PG_TEST_URL);
  u.pathname = `/${name}`;
  let dropped: Promise<void> | undefined;
  return {
    url: u.toString(),
    name,
    drop: () => {
      dropped ??= admin(async (c) => { await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`); });
      return dropped;
    },
  };
}
