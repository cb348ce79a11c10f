// A PostgreSQL database of its own for one cluster test (NOTIFY channels are per database, so
// engines of parallel test files never hear each other), dropped after. Tests skip with a message
// naming what they need where PostgreSQL is absent; with REQUIRE_POSTGRES set (CI) they fail.
import pg from 'pg';
import { randomBytes } from 'node:crypto';

export const PG_TEST_URL = process.env.PG_TEST_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

export const PG_MISSING = `needs PostgreSQL at ${PG_TEST_URL} (trust auth; set PG_TEST_URL), unreachable here`;

/** Undefined when PostgreSQL answers; the skip message otherwise (REQUIRE_POSTGRES: throws instead). */
export async function postgresMissing(): Promise<string | undefined> {
  const client = new pg.Client({ connectionString: PG_TEST_URL, connectionTimeoutMillis: 3_000 });
  try {
    await client.connect();
    await client.query('SELECT 1');
    return undefined;
  } catch (err) {
    if (process.env.REQUIRE_POSTGRES) throw new Error(`REQUIRE_POSTGRES is set but PostgreSQL is unreachable at ${PG_TEST_URL}: ${(err as Error).message}`);
    return PG_MISSING;
  } finally {
    await client.end().catch(() => undefined);
  }
}

export interface TestDatabase {
  url: string;
  drop(): Promise<void>;
}

/** CREATE DATABASE c_<random>; drop() ends its connections and drops it. */
export async function createTestDatabase(): Promise<TestDatabase> {
  const name = `c_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: PG_TEST_URL });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${name}`);
  } finally {
    await admin.end();
  }
  const url = new URL(PG_TEST_URL);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    async drop() {
      const c = new pg.Client({ connectionString: PG_TEST_URL });
      await c.connect();
      try {
        await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      } finally {
        await c.end();
      }
    },
  };
}
