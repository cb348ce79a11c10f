// The migration history (../migrations.ts) applied to PostgreSQL. Several engines may start at once
// on one database: a session-level advisory lock serialises them, so one applies each migration and
// the others find it recorded.
import { MIGRATIONS, sqlFor, type Migration } from '../migrations.js';
import type { PgDb } from './pg-db.js';

/** The advisory lock key of migrations (any constant; 'aflw' 'migr' in ASCII). */
const MIGRATION_LOCK_KEY = 0x61666c77_6d696772n;

export async function migratePostgres(db: PgDb, migrations: readonly Migration[] = MIGRATIONS): Promise<number[]> {
  const client = await db.pool.connect();
  let broken: Error | undefined;
  try {
    await client.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK_KEY.toString()]);
    try {
      await client.query(`CREATE TABLE IF NOT EXISTS schema_migrations (
        version INTEGER PRIMARY KEY,
        name TEXT NOT NULL,
        applied_at TEXT NOT NULL
      )`);
      const done = new Set((await client.query<{ version: number }>('SELECT version FROM schema_migrations')).rows.map((r) => r.version));
      const applied: number[] = [];
      for (const migration of [...migrations].sort((a, b) => a.version - b.version)) {
        if (done.has(migration.version)) continue;
        await client.query('BEGIN');
        try {
          // Simple query protocol (no parameters): several statements in one text.
          await client.query(sqlFor('postgres', migration));
          await client.query('INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)',
            [migration.version, migration.name, new Date().toISOString()]);
          await client.query('COMMIT');
        } catch (err) {
          await client.query('ROLLBACK').catch(() => undefined);
          throw new Error(`migration ${migration.version} (${migration.name}) failed: ${(err as Error).message}`, { cause: err });
        }
        applied.push(migration.version);
      }
      return applied;
    } finally {
      await client.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK_KEY.toString()]).catch((err: unknown) => { broken = err as Error; });
    }
  } finally {
    client.release(broken);
  }
}
