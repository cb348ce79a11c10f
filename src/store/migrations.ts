// Numbered schema migrations, one history for both dialects (SQLite and PostgreSQL): the same
// version numbers, the same tables and columns. Each runs once, in its own transaction, and is
// recorded in `schema_migrations`; never edit a released migration: add the next number instead.
//
// How one history serves two dialects: `sql` is written in the portable subset both understand
// (TEXT/INTEGER columns, ISO 8601 timestamps as TEXT, CHECK, partial indexes, ALTER TABLE ADD
// COLUMN), and `sqlFor` applies the one small, explicit translation PostgreSQL needs: SQLite's
// `WITHOUT ROWID` table option is dropped. A migration that cannot be said portably carries its
// PostgreSQL text in `postgres` (4: SQLite's trigger syntax; 7: DROP TRIGGER needs its table;
// 10: the insertion order SQLite keeps in `rowid`, which PostgreSQL tables lack). Chosen over two
// parallel histories so that a new portable migration (an ADD COLUMN) is written once and cannot
// drift between dialects; a test runs the whole history on both.
import type { Db } from './db.js';

export interface Migration {
  version: number;
  name: string;
  /** Portable SQL (see the header), run as is by SQLite. */
  sql: string;
  /** PostgreSQL's text where the portable one cannot say it; else `sql` translated by `sqlFor`. */
  postgres?: string;
}

export type Dialect = 'sqlite' | 'postgres';

/** The text a dialect runs for a migration. */
export function sqlFor(dialect: Dialect, migration: Migration): string {
  if (dialect === 'sqlite') return migration.sql;
  return migration.postgres ?? migration.sql.replace(/\)\s*WITHOUT\s+ROWID\s*;/gi, ');');
}

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'initial schema',
    sql: `
      CREATE TABLE accounts (
        id TEXT PRIMARY KEY,
        name TEXT NOT NULL,
        date_created TEXT NOT NULL
      );

      CREATE TABLE phone_numbers (
        id TEXT PRIMARY KEY,
        account_id TEXT NOT NULL REFERENCES accounts(id),
        number TEXT NOT NULL UNIQUE,
        name TEXT NOT NULL,
        enabled INTEGER NOT NULL CHECK (enabled IN (0, 1)),
        date_created TEXT NOT NULL,
        date_modified TEXT NOT NULL
      );
      CREATE INDEX phone_numbers_account ON phone_numbers(account_id, date_created);

      CREATE TABLE flows (
        id TEXT PRIMARY KEY,
        account_id TEXT NOT NULL REFERENCES accounts(id),
        current_version INTEGER NOT NULL,
        date_created TEXT NOT NULL,
        date_modified TEXT NOT NULL,
        date_deleted TEXT
      );
      CREATE INDEX flows_account ON flows(account_id, date_created) WHERE date_deleted IS NULL;

      CREATE TABLE flow_versions (
        flow_id TEXT NOT NULL REFERENCES flows(id),
        version INTEGER NOT NULL,
        name TEXT NOT NULL,
        document TEXT NOT NULL,
        date_created TEXT NOT NULL,
        PRIMARY KEY (flow_id, version)
      ) WITHOUT ROWID;

      CREATE TABLE sessions (
        id TEXT PRIMARY KEY,
        account_id TEXT NOT NULL REFERENCES accounts(id),
        flow_id TEXT NOT NULL,
        flow_version INTEGER NOT NULL,
        number_to_dial TEXT NOT NULL,
        caller_id TEXT NOT NULL,
        state TEXT NOT NULL,
        channel_id TEXT NOT NULL,
        endpoint TEXT NOT NULL,
        end_reason TEXT,
        date_created TEXT NOT NULL,
        date_answered TEXT,
        date_ended TEXT
      );
      CREATE INDEX sessions_account_created ON sessions(account_id, date_created);
      CREATE INDEX sessions_account_state ON sessions(account_id, state, date_created);
      CREATE INDEX sessions_account_flow ON sessions(account_id, flow_id, date_created);
      CREATE INDEX sessions_account_dialed ON sessions(account_id, number_to_dial);
      CREATE INDEX sessions_account_caller ON sessions(account_id, caller_id);
      CREATE INDEX sessions_live ON sessions(account_id)
        WHERE state IN ('queued', 'dialing', 'ringing', 'in-progress');

      CREATE TABLE session_events (
        session_id TEXT NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
        seq INTEGER NOT NULL,
        at TEXT NOT NULL,
        type TEXT NOT NULL,
        data TEXT NOT NULL,
        PRIMARY KEY (session_id, seq)
      ) WITHOUT ROWID;

      CREATE TABLE session_variables (
        session_id TEXT NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
        name TEXT NOT NULL,
        value TEXT NOT NULL,
        PRIMARY KEY (session_id, name)
      ) WITHOUT ROWID;

      CREATE TABLE idempotency_keys (
        account_id TEXT NOT NULL,
        key TEXT NOT NULL,
        request_hash TEXT NOT NULL,
        session_id TEXT NOT NULL,
        date_created TEXT NOT NULL,
        PRIMARY KEY (account_id, key)
      ) WITHOUT ROWID;
      CREATE INDEX idempotency_keys_created ON idempotency_keys(date_created);

      CREATE TABLE health_probe (
        id INTEGER PRIMARY KEY CHECK (id = 1),
        at TEXT NOT NULL
      );
    `,
  },
  {
    version: 2,
    name: 'live-call owners, webhooks and their outbox',
    sql: `
      -- The engine process running a live session, and until when its claim holds.
      ALTER TABLE sessions ADD COLUMN owner_id TEXT;
      ALTER TABLE sessions ADD COLUMN lease_expires TEXT;
      ALTER TABLE sessions ADD COLUMN status_callback TEXT;
      ALTER TABLE sessions ADD COLUMN status_callback_events TEXT;

      CREATE TABLE webhooks (
        id TEXT PRIMARY KEY,
        account_id TEXT NOT NULL REFERENCES accounts(id),
        url TEXT NOT NULL,
        events TEXT NOT NULL,
        enabled INTEGER NOT NULL CHECK (enabled IN (0, 1)),
        secret TEXT NOT NULL,
        date_created TEXT NOT NULL,
        date_modified TEXT NOT NULL,
        date_deleted TEXT
      );
      CREATE INDEX webhooks_account ON webhooks(account_id, date_created) WHERE date_deleted IS NULL;

      -- Signs the per-call statusCallback deliveries of an account.
      CREATE TABLE account_signing_secrets (
        account_id TEXT PRIMARY KEY REFERENCES accounts(id),
        secret TEXT NOT NULL,
        date_created TEXT NOT NULL
      );

      -- The outbox: one row per event that has a destination, written with the state change.
      CREATE TABLE webhook_events (
        id TEXT PRIMARY KEY,
        session_id TEXT NOT NULL,
        account_id TEXT NOT NULL,
        seq INTEGER NOT NULL,
        type TEXT NOT NULL,
        at TEXT NOT NULL,
        body TEXT NOT NULL
      );
      CREATE UNIQUE INDEX webhook_events_session ON webhook_events(session_id, seq);

      -- One row per event and destination ('callback' or a webhook id).
      CREATE TABLE webhook_deliveries (
        event_id TEXT NOT NULL REFERENCES webhook_events(id),
        target TEXT NOT NULL,
        session_id TEXT NOT NULL,
        seq INTEGER NOT NULL,
        url TEXT NOT NULL,
        status TEXT NOT NULL CHECK (status IN ('pending', 'delivered', 'abandoned')),
        attempts INTEGER NOT NULL DEFAULT 0,
        next_attempt_at TEXT NOT NULL,
        claimed_by TEXT,
        claim_expires TEXT,
        last_status_code INTEGER,
        last_error TEXT,
        date_created TEXT NOT NULL,
        date_finished TEXT,
        PRIMARY KEY (event_id, target)
      ) WITHOUT ROWID;
      CREATE INDEX webhook_deliveries_pending ON webhook_deliveries(next_attempt_at) WHERE status = 'pending';
      CREATE INDEX webhook_deliveries_chain ON webhook_deliveries(session_id, target, seq);
      CREATE INDEX webhook_deliveries_target ON webhook_deliveries(target, date_created);

      CREATE TABLE webhook_attempts (
        event_id TEXT NOT NULL,
        target TEXT NOT NULL,
        attempt INTEGER NOT NULL,
        at TEXT NOT NULL,
        status_code INTEGER,
        error TEXT,
        duration_ms INTEGER NOT NULL,
        response_excerpt TEXT,
        PRIMARY KEY (event_id, target, attempt)
      ) WITHOUT ROWID;
    `,
  },
  {
    version: 3,
    name: 'inbound numbers and call direction',
    sql: `
      -- The flow a call to this number runs (NULL: calls to it are refused).
      ALTER TABLE phone_numbers ADD COLUMN inbound_flow_id TEXT;
      -- 'outbound' (placed by the API) or 'inbound' (a call to an owned number). For an inbound
      -- session number_to_dial is the number called and caller_id the caller's number.
      ALTER TABLE sessions ADD COLUMN direction TEXT NOT NULL DEFAULT 'outbound' CHECK (direction IN ('outbound', 'inbound'));
    `,
  },
  {
    // 4, not 3: issue 13's inbound numbers take 3. A recording is registered by the same commit
    // as its session's recording.finished timeline row (the trigger), so the list, the row and
    // the session.recording.ready event never disagree.
    version: 4,
    name: 'recordings',
    sql: `
      CREATE TABLE recordings (
        id TEXT PRIMARY KEY,
        account_id TEXT NOT NULL,
        session_id TEXT NOT NULL,
        step_id TEXT,
        format TEXT NOT NULL,
        duration_sec INTEGER,
        date_created TEXT NOT NULL,
        date_deleted TEXT
      );
      CREATE INDEX recordings_session ON recordings(session_id, date_created);
      CREATE INDEX recordings_created ON recordings(date_created) WHERE date_deleted IS NULL;
      CREATE TRIGGER recordings_from_timeline AFTER INSERT ON session_events
      WHEN NEW.type = 'recording.finished' AND NEW.data ->> 'state' = 'done' AND NEW.data ->> 'name' IS NOT NULL
      BEGIN
        INSERT OR IGNORE INTO recordings (id, account_id, session_id, step_id, format, duration_sec, date_created)
        SELECT NEW.data ->> 'name', s.account_id, NEW.session_id, NEW.data ->> 'stepId', coalesce(NEW.data ->> 'format', 'wav'),
               NEW.data ->> 'durationSec', NEW.at
        FROM sessions s WHERE s.id = NEW.session_id;
      END;
    `,
    // Issue 20 moved the registration into the session unit (7 drops the trigger): PostgreSQL,
    // whose history starts after that, gets the table alone.
    postgres: `
      CREATE TABLE recordings (
        id TEXT PRIMARY KEY,
        account_id TEXT NOT NULL,
        session_id TEXT NOT NULL,
        step_id TEXT,
        format TEXT NOT NULL,
        duration_sec INTEGER,
        date_created TEXT NOT NULL,
        date_deleted TEXT
      );
      CREATE INDEX recordings_session ON recordings(session_id, date_created);
      CREATE INDEX recordings_created ON recordings(date_created) WHERE date_deleted IS NULL;
    `,
  },
  {
    // Lab extensions (issue 13): short dial strings an account owns, unique across accounts like
    // phone numbers; a call to one runs its inbound flow (NULL: refused).
    version: 5,
    name: 'lab extensions',
    sql: `
      CREATE TABLE extensions (
        id TEXT PRIMARY KEY,
        account_id TEXT NOT NULL REFERENCES accounts(id),
        extension TEXT NOT NULL UNIQUE,
        name TEXT NOT NULL,
        enabled INTEGER NOT NULL CHECK (enabled IN (0, 1)),
        inbound_flow_id TEXT,
        date_created TEXT NOT NULL,
        date_modified TEXT NOT NULL
      );
      CREATE INDEX extensions_account ON extensions(account_id, date_created);
    `,
  },
  {
    // An account without a row has the defaults (pass-through off).
    version: 6,
    name: 'account settings',
    sql: `
      CREATE TABLE account_settings (
        account_id TEXT PRIMARY KEY REFERENCES accounts(id),
        caller_id_passthrough INTEGER NOT NULL DEFAULT 0 CHECK (caller_id_passthrough IN (0, 1)),
        date_modified TEXT NOT NULL
      ) WITHOUT ROWID;
    `,
  },
  {
    // Issue 20: a recording is registered by its own row kind of the session unit that reports it
    // done (store/session-units.ts RECORDING_ROWS), not by a trigger matching a row type's name.
    version: 7,
    name: 'recordings registered by their unit',
    sql: 'DROP TRIGGER IF EXISTS recordings_from_timeline;',
    postgres: 'DROP TRIGGER IF EXISTS recordings_from_timeline ON session_events;',
  },
  {
    // Issue 24: who saved each version (the token's subject); NULL for versions saved before, or
    // by the engine itself (the demo seed). Portable SQL: the same text runs on PostgreSQL.
    version: 8,
    name: 'flow version author',
    sql: 'ALTER TABLE flow_versions ADD COLUMN created_by TEXT;',
  },
  {
    // Issue 22: the Asterisk server (ARI_SERVERS name) a session's call runs on, so that a
    // reconciliation or another engine after a crash hangs its channel up on the right server.
    // Portable SQL: the same statement runs on SQLite and PostgreSQL.
    version: 9,
    name: 'session asterisk server',
    sql: 'ALTER TABLE sessions ADD COLUMN asterisk_server TEXT;',
  },
  {
    // Issue 22 (several engines on one PostgreSQL). The calls-per-second cap held across engines:
    // one counter row per account and second, counted under the account's lock in the transaction
    // that admits a session. PostgreSQL also gets SQLite's implicit `rowid` as a column, so that
    // listings break ties by insertion order in both dialects with the same SQL.
    version: 10,
    name: 'shared call-rate counters; insertion order on PostgreSQL',
    sql: `
      CREATE TABLE account_call_rate (
        account_id TEXT PRIMARY KEY,
        window_second INTEGER NOT NULL,
        calls INTEGER NOT NULL
      ) WITHOUT ROWID;
    `,
    postgres: `
      CREATE TABLE account_call_rate (
        account_id TEXT PRIMARY KEY,
        window_second BIGINT NOT NULL,
        calls INTEGER NOT NULL
      );
      ALTER TABLE phone_numbers ADD COLUMN rowid BIGSERIAL;
      ALTER TABLE flows ADD COLUMN rowid BIGSERIAL;
      ALTER TABLE sessions ADD COLUMN rowid BIGSERIAL;
      ALTER TABLE extensions ADD COLUMN rowid BIGSERIAL;
      CREATE INDEX sessions_owner ON sessions(owner_id) WHERE state IN ('queued', 'dialing', 'ringing', 'in-progress');
      CREATE INDEX webhook_deliveries_claimed ON webhook_deliveries(claimed_by) WHERE status = 'pending';
    `,
  },
];

/** Applies the migrations not yet recorded; safe when several processes open the file at once. */
export async function migrate(db: Db, migrations: readonly Migration[] = MIGRATIONS): Promise<number[]> {
  await db.exclusive(() => db.execRaw(`CREATE TABLE IF NOT EXISTS schema_migrations (
    version INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    applied_at TEXT NOT NULL
  )`));
  const applied: number[] = [];
  for (const migration of [...migrations].sort((a, b) => a.version - b.version)) {
    const ran = await db.transaction(async () => {
      // Checked inside the write transaction: another process may have applied it meanwhile.
      const done = await db.get('SELECT 1 AS done FROM schema_migrations WHERE version = ?', [migration.version]);
      if (done) return false;
      await db.execRaw(migration.sql);
      await db.runRaw('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)',
        [migration.version, migration.name, new Date().toISOString()]);
      return true;
    });
    if (ran) applied.push(migration.version);
  }
  return applied;
}
