// Sessions on PostgreSQL: creation (with the idempotency key and the account's caps, atomic across
// engines), their units (pg-unit-writer.ts), reads, recordings, and ownership (leases, takeover).
// A read of one session commits that session's queued units first, as on SQLite.
import type { Page, PageRequest, Recording, Session, SessionEvent } from '../../domain/model.js';
import { AppError } from '../../domain/errors.js';
import type { IdempotencyKey, NewSession, SessionFilter, SessionUnit, Store } from '../store.js';
import { IdempotencyKeyTaken, admissionRefusal } from '../store.js';
import { now } from '../clock.js';
import { orderBy, pageOf, paging } from '../paging.js';
import { LIVE_SQL, SESSION_COLUMNS, queuedSession, toSession, type SessionRow } from '../session-rows.js';
import { ensureAccountRow } from './pg-catalog.js';
import type { PgDb, PgValue, Queryable } from './pg-db.js';
import { isUniqueViolation } from './pg-db.js';
import type { PgUnitWriter } from './pg-unit-writer.js';

const IDEMPOTENCY_TTL_MS = 24 * 60 * 60 * 1000;

/** The transaction-scoped advisory lock of an account's admissions (first key: 'admi'). */
const ADMISSION_LOCK_SPACE = 0x61646d69;

interface VariableRow { session_id: string; name: string; value: string }
interface EventRow { session_id: string; seq: number; at: string; type: string; data: string }
interface DetailRow extends SessionRow { variables: Record<string, string> | null; events: Array<[number, string, string, Record<string, unknown>]> | null; has_outbox: boolean }

const RECORDING_COLUMNS = 'id, account_id, session_id, step_id, format, duration_sec, date_created';
interface RecordingRow {
  id: string; account_id: string; session_id: string; step_id: string | null; format: string; duration_sec: number | null; date_created: string;
}

function recordingFromRow(r: RecordingRow): Recording {
  return {
    id: r.id, accountId: r.account_id, sessionId: r.session_id, ...(r.step_id ? { stepId: r.step_id } : {}),
    format: r.format, ...(r.duration_sec !== null ? { durationSec: Number(r.duration_sec) } : {}), dateCreated: r.date_created,
  };
}

function isoBound(value: string, fieldName: string): string {
  const ms = Date.parse(value);
  if (Number.isNaN(ms)) throw AppError.validation([{ fieldName, errorCode: 'InvalidDate', message: `${fieldName} must be an ISO 8601 date` }]);
  return new Date(ms).toISOString();
}

type SessionMethods = 'createSessionWith' | 'recordSession' | 'getSession' | 'getSessionDetail' | 'listSessions' | 'listSessionEvents'
  | 'sessionsWithEventsSince' | 'listLiveSessions' | 'countLiveSessions' | 'listLiveSessionsNotOwnedBy' | 'lastSeqs' | 'renewLeases'
  | 'takeOver' | 'getIdempotentSession' | 'listRecordings' | 'getRecording' | 'markRecordingDeleted' | 'recordingsCreatedBefore';

export class PgSessions implements Pick<Store, SessionMethods> {
  /** Accounts whose row is committed (accounts are never deleted): their sessions skip the account's insert. */
  private readonly knownAccounts = new Set<string>();

  constructor(private readonly db: PgDb, private readonly units: PgUnitWriter) {}

  async createSessionWith(s: NewSession, unit: SessionUnit, idempotency?: IdempotencyKey): Promise<Session> {
    const at = s.dateCreated ?? now();
    try {
      await this.db.transaction(async (q) => {
        if (!this.knownAccounts.has(s.accountId)) await ensureAccountRow(q, s.accountId, at);
        if (s.admission) await admit(q, s.accountId, s.admission);
        await q.query(`INSERT INTO sessions (${SESSION_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, 'queued', $7, $8, NULL, $9, NULL, NULL, $10, $11, $12, $13, $14, $15)`,
          [s.id, s.accountId, s.flowId, s.flowVersion, s.numberToDial, s.callerId, s.channelId, s.endpoint, at,
            s.statusCallback ?? null, s.statusCallbackEvents ? JSON.stringify(s.statusCallbackEvents) : null,
            s.owner?.id ?? null, s.owner?.leaseExpires ?? null, s.direction ?? 'outbound', s.asteriskServer ?? null]);
        if (idempotency) await saveKey(q, s.accountId, idempotency, s.id);
        // The first unit in the same transaction: the session is never stored without its first events.
        await this.units.writeNow(q, s.id, unit, at);
      });
    } catch (err) {
      if (isUniqueViolation(err) && (err as { constraint?: string }).constraint === 'sessions_pkey') {
        throw new AppError('conflict', 'Conflict', `session ${s.id} already exists`);
      }
      throw err;
    }
    this.knownAccounts.add(s.accountId);
    return queuedSession(s, at);
  }

  recordSession(sessionId: string, unit: SessionUnit, urgent = false): Promise<void> {
    return this.units.write(sessionId, unit, now(), urgent);
  }

  private async settled(sessionId: string): Promise<void> {
    if (this.units.has(sessionId)) await this.units.flush();
  }

  async getSession(accountId: string | undefined, id: string): Promise<Session | undefined> {
    await this.settled(id);
    const row = accountId === undefined
      ? await this.db.one<SessionRow>(`SELECT ${SESSION_COLUMNS} FROM sessions WHERE id = $1`, [id])
      : await this.db.one<SessionRow>(`SELECT ${SESSION_COLUMNS} FROM sessions WHERE id = $1 AND account_id = $2`, [id, accountId]);
    if (!row) return undefined;
    const [session] = await this.withVariables([row]);
    return session;
  }

  /** One statement: the session, its variables and its timeline as of one snapshot. */
  async getSessionDetail(accountId: string, id: string): Promise<{ session: Session; timeline: SessionEvent[]; hasOutbox: boolean } | undefined> {
    await this.settled(id);
    const row = await this.db.one<DetailRow>(`SELECT ${SESSION_COLUMNS},
        (SELECT json_object_agg(name, value) FROM session_variables WHERE session_id = sessions.id) AS variables,
        (SELECT json_agg(json_build_array(seq, at, type, data::json) ORDER BY seq) FROM session_events WHERE session_id = sessions.id) AS events,
        EXISTS (SELECT 1 FROM webhook_events WHERE session_id = sessions.id) AS has_outbox
      FROM sessions WHERE id = $1 AND account_id = $2`, [id, accountId]);
    if (!row) return undefined;
    return {
      session: toSession(row, row.variables ?? {}),
      timeline: (row.events ?? []).map(([seq, at, type, data]) => ({ seq, sessionId: id, at, type, data })),
      hasOutbox: row.has_outbox,
    };
  }

  async listSessions(accountId: string, filter: SessionFilter, request: PageRequest): Promise<Page<Session>> {
    const { page, size, offset } = paging(request);
    const where: string[] = ['account_id = $1'];
    const params: PgValue[] = [accountId];
    const add = (sql: (n: number) => string, value: PgValue): void => {
      params.push(value);
      where.push(sql(params.length));
    };
    if (filter.state !== undefined) add((n) => `state = $${n}`, filter.state);
    if (filter.flowId !== undefined) add((n) => `flow_id = $${n}`, filter.flowId);
    if (filter.number !== undefined) add((n) => `(number_to_dial = $${n} OR caller_id = $${n})`, filter.number);
    if (filter.from !== undefined) add((n) => `date_created >= $${n}`, isoBound(filter.from, 'from'));
    if (filter.to !== undefined) add((n) => `date_created <= $${n}`, isoBound(filter.to, 'to'));
    if (request.ids) add((n) => `id = ANY($${n}::text[])`, request.ids);
    const order = orderBy(request, { dateCreated: 'date_created', state: 'state', numberToDial: 'number_to_dial', callerId: 'caller_id', flowId: 'flow_id' },
      'date_created DESC, rowid DESC', 'rowid');
    const clause = where.join(' AND ');
    await this.units.flush();
    const count = await this.db.one<{ n: number }>(`SELECT COUNT(*) AS n FROM sessions WHERE ${clause}`, params);
    const rows = await this.db.query<SessionRow>(
      `SELECT ${SESSION_COLUMNS} FROM sessions WHERE ${clause} ORDER BY ${order} LIMIT $${params.length + 1} OFFSET $${params.length + 2}`,
      [...params, size, offset]);
    return pageOf(await this.withVariables(rows), count?.n ?? 0, page, size);
  }

  async listSessionEvents(sessionId: string): Promise<SessionEvent[]> {
    await this.settled(sessionId);
    const rows = await this.db.query<EventRow>('SELECT session_id, seq, at, type, data FROM session_events WHERE session_id = $1 ORDER BY seq', [sessionId]);
    return rows.map((r) => ({ seq: r.seq, sessionId: r.session_id, at: r.at, type: r.type, data: JSON.parse(r.data) as Record<string, unknown> }));
  }

  async sessionsWithEventsSince(accountId: string, at: string, limit: number): Promise<string[]> {
    await this.units.flush();
    const rows = await this.db.query<{ session_id: string }>(
      `SELECT e.session_id, MIN(e.at) AS first FROM session_events e JOIN sessions s ON s.id = e.session_id
       WHERE s.account_id = $1 AND e.at >= $2 GROUP BY e.session_id ORDER BY first LIMIT $3`, [accountId, at, limit]);
    return rows.map((r) => r.session_id);
  }

  async listLiveSessions(): Promise<Session[]> {
    await this.units.flush();
    return this.withVariables(await this.db.query<SessionRow>(`SELECT ${SESSION_COLUMNS} FROM sessions WHERE ${LIVE_SQL} ORDER BY date_created, rowid`));
  }

  /** From the database (every engine's sessions); a session whose end is still queued here counts until it commits. */
  async countLiveSessions(accountId: string): Promise<number> {
    const row = await this.db.one<{ n: number }>(`SELECT COUNT(*) AS n FROM sessions WHERE account_id = $1 AND ${LIVE_SQL}`, [accountId]);
    return row?.n ?? 0;
  }

  async listLiveSessionsNotOwnedBy(ownerId: string): Promise<Session[]> {
    await this.units.flush();
    return this.withVariables(await this.db.query<SessionRow>(
      `SELECT ${SESSION_COLUMNS} FROM sessions WHERE ${LIVE_SQL} AND owner_id IS DISTINCT FROM $1 ORDER BY date_created, rowid`, [ownerId]));
  }

  async lastSeqs(sessionIds: readonly string[]): Promise<Map<string, number>> {
    await this.units.flush();
    const rows = await this.db.query<{ session_id: string; n: number }>(
      'SELECT session_id, MAX(seq) AS n FROM session_events WHERE session_id = ANY($1::text[]) GROUP BY session_id', [sessionIds]);
    return new Map(rows.map((r) => [r.session_id, r.n]));
  }

  async renewLeases(ownerId: string, leaseExpires: string): Promise<void> {
    await this.db.run(`UPDATE sessions SET lease_expires = $1 WHERE owner_id = $2 AND ${LIVE_SQL}`, [leaseExpires, ownerId]);
  }

  /**
   * Compare-and-set on each previous owner in one statement. Two engines taking the same session
   * at once: the second UPDATE waits for the first's row lock, then re-checks the owner (READ
   * COMMITTED re-evaluates the WHERE on the new row version) and leaves it.
   */
  async takeOver(sessions: ReadonlyArray<{ id: string; previousOwner: string | null }>, ownerId: string, leaseExpires: string): Promise<string[]> {
    if (sessions.length === 0) return [];
    const rows = await this.db.query<{ id: string }>(
      `UPDATE sessions s SET owner_id = $1, lease_expires = $2
       FROM unnest($3::text[], $4::text[]) AS t(id, previous_owner)
       WHERE s.id = t.id AND s.owner_id IS NOT DISTINCT FROM t.previous_owner AND s.${LIVE_SQL}
       RETURNING s.id`,
      [ownerId, leaseExpires, sessions.map((s) => s.id), sessions.map((s) => s.previousOwner)]);
    return rows.map((r) => r.id);
  }

  async getIdempotentSession(accountId: string, key: string): Promise<{ sessionId: string; requestHash: string } | undefined> {
    const row = await this.db.one<{ session_id: string; request_hash: string }>(
      'SELECT session_id, request_hash FROM idempotency_keys WHERE account_id = $1 AND key = $2 AND date_created >= $3',
      [accountId, key, new Date(Date.now() - IDEMPOTENCY_TTL_MS).toISOString()]);
    return row && { sessionId: row.session_id, requestHash: row.request_hash };
  }

  async listRecordings(accountId: string, sessionId: string): Promise<Recording[]> {
    await this.settled(sessionId);
    const rows = await this.db.query<RecordingRow>(`SELECT ${RECORDING_COLUMNS} FROM recordings
      WHERE session_id = $1 AND account_id = $2 AND date_deleted IS NULL ORDER BY date_created, id`, [sessionId, accountId]);
    return rows.map(recordingFromRow);
  }

  async getRecording(accountId: string, id: string): Promise<Recording | undefined> {
    const row = await this.db.one<RecordingRow>(`SELECT ${RECORDING_COLUMNS} FROM recordings
      WHERE id = $1 AND account_id = $2 AND date_deleted IS NULL`, [id, accountId]);
    return row ? recordingFromRow(row) : undefined;
  }

  async markRecordingDeleted(accountId: string, id: string, at: string): Promise<boolean> {
    return (await this.db.run('UPDATE recordings SET date_deleted = $1 WHERE id = $2 AND account_id = $3 AND date_deleted IS NULL', [at, id, accountId])) > 0;
  }

  async recordingsCreatedBefore(before: string, limit: number): Promise<Recording[]> {
    const rows = await this.db.query<RecordingRow>(`SELECT ${RECORDING_COLUMNS} FROM recordings
      WHERE date_deleted IS NULL AND date_created < $1 ORDER BY date_created LIMIT $2`, [before, limit]);
    return rows.map(recordingFromRow);
  }

  private async withVariables(rows: SessionRow[]): Promise<Session[]> {
    if (rows.length === 0) return [];
    const byId = new Map<string, Record<string, string>>(rows.map((r) => [r.id, {}]));
    const vars = await this.db.query<VariableRow>('SELECT session_id, name, value FROM session_variables WHERE session_id = ANY($1::text[])', [[...byId.keys()]]);
    for (const v of vars) {
      const bag = byId.get(v.session_id);
      if (bag) bag[v.name] = v.value;
    }
    return rows.map((r) => toSession(r, byId.get(r.id) ?? {}));
  }
}

/**
 * The key of the request that created the session: the first save of a live key wins, across
 * engines (the primary key); an expired key is taken over. A live key held by another session
 * rolls this creation back (IdempotencyKeyTaken): the caller answers with that session.
 */
async function saveKey(q: Queryable, accountId: string, idempotency: IdempotencyKey, sessionId: string): Promise<void> {
  const cutoff = new Date(Date.now() - IDEMPOTENCY_TTL_MS).toISOString();
  await q.query('DELETE FROM idempotency_keys WHERE date_created < $1', [cutoff]);
  const saved = await q.query(
    `INSERT INTO idempotency_keys (account_id, key, request_hash, session_id, date_created) VALUES ($1, $2, $3, $4, $5)
     ON CONFLICT (account_id, key) DO UPDATE SET request_hash = excluded.request_hash, session_id = excluded.session_id, date_created = excluded.date_created
     WHERE idempotency_keys.date_created < $6 RETURNING session_id`,
    [accountId, idempotency.key, idempotency.requestHash, sessionId, now(), cutoff]);
  if (saved.rows.length > 0) return;
  const holder = (await q.query<{ session_id: string; request_hash: string }>(
    'SELECT session_id, request_hash FROM idempotency_keys WHERE account_id = $1 AND key = $2', [accountId, idempotency.key])).rows[0];
  throw new IdempotencyKeyTaken(holder?.session_id ?? '', holder?.request_hash ?? '');
}

/**
 * The account's caps, checked and counted under the account's transaction-scoped advisory lock:
 * engines admitting calls of one account take turns for the count and the insert, so N engines
 * cannot together exceed the live cap. Calls per second: one counter row per account for the
 * current second of the database's clock (one clock for every engine).
 */
async function admit(q: Queryable, accountId: string, admission: NonNullable<NewSession['admission']>): Promise<void> {
  await q.query('SELECT pg_advisory_xact_lock($1, hashtext($2))', [ADMISSION_LOCK_SPACE, accountId]);
  const live = (await q.query<{ n: number }>(`SELECT COUNT(*) AS n FROM sessions WHERE account_id = $1 AND ${LIVE_SQL}`, [accountId])).rows[0]?.n ?? 0;
  if (live >= admission.maxLive) throw admissionRefusal('live', admission);
  if (admission.maxPerSecond === undefined) return;
  const rate = (await q.query<{ calls: number }>(
    `INSERT INTO account_call_rate (account_id, window_second, calls) VALUES ($1, floor(extract(epoch FROM clock_timestamp()))::bigint, 1)
     ON CONFLICT (account_id) DO UPDATE SET
       calls = CASE WHEN account_call_rate.window_second = excluded.window_second THEN account_call_rate.calls + 1 ELSE 1 END,
       window_second = excluded.window_second
     RETURNING calls`, [accountId])).rows[0]?.calls ?? 1;
  if (rate > admission.maxPerSecond) throw admissionRefusal('rate', admission);
}
