// Session reads: one session, listings, the timeline, the live sessions. A read of one session
// commits the queue first only when that session has writes in it, so it sees every write issued
// before it; listings commit the queue first.
import type { Page, PageRequest, Session, SessionEvent } from '../domain/model.js';
import { AppError } from '../domain/errors.js';
import type { Db, Row, SqlValue } from './db.js';
import type { SessionFilter, Store } from './store.js';
import type { LiveSessions } from './live-sessions.js';
import { orderBy, pageOf, paging, type CountRow } from './paging.js';
import type { PendingWrites } from './pending-writes.js';
import { LIVE_SQL, SESSION_COLUMNS, toSession, withVariables, type SessionRow } from './session-rows.js';

interface EventRow extends Row { session_id: string; seq: number; at: string; type: string; data: string }

interface DetailRow extends SessionRow { variables_json: string; events_json: string; has_outbox: number }

/**
 * A session row with its variables and its timeline (in order) as JSON, in one statement. Each
 * row's `data` is JSON text already (written by JSON.stringify): it is spliced into the array as
 * it is, which costs SQLite a third less than re-parsing it with json() (bench/session-read-bench.ts).
 */
const DETAIL_SQL = `SELECT ${SESSION_COLUMNS},
    (SELECT json_group_object(name, value) FROM session_variables WHERE session_id = sessions.id) AS variables_json,
    (SELECT '[' || coalesce(group_concat('[' || seq || ',' || json_quote(at) || ',' || json_quote(type) || ',' || data || ']', ',' ORDER BY seq), '') || ']'
       FROM session_events WHERE session_id = sessions.id) AS events_json,
    EXISTS (SELECT 1 FROM webhook_events WHERE session_id = sessions.id) AS has_outbox
  FROM sessions WHERE id = ? AND account_id = ?`;

function eventOf(r: EventRow): SessionEvent {
  return { seq: r.seq, sessionId: r.session_id, at: r.at, type: r.type, data: JSON.parse(r.data) as Record<string, unknown> };
}

function isoBound(value: string, fieldName: string): string {
  const ms = Date.parse(value);
  if (Number.isNaN(ms)) {
    throw AppError.validation([{ fieldName, errorCode: 'InvalidDate', message: `${fieldName} must be an ISO 8601 date` }]);
  }
  return new Date(ms).toISOString();
}

export class SessionReadsRepo implements Pick<Store, 'getSession' | 'getSessionDetail' | 'listSessions' | 'listSessionEvents' | 'sessionsWithEventsSince' | 'listLiveSessions' | 'countLiveSessions'> {
  constructor(private readonly db: Db, private readonly pendingBySession: PendingWrites, private readonly live: LiveSessions) {}

  async getSession(accountId: string | undefined, id: string): Promise<Session | undefined> {
    if (this.pendingBySession.has(id)) await this.db.flush();
    const row = accountId === undefined
      ? await this.db.get<SessionRow>(`SELECT ${SESSION_COLUMNS} FROM sessions WHERE id = ?`, [id])
      : await this.db.get<SessionRow>(`SELECT ${SESSION_COLUMNS} FROM sessions WHERE id = ? AND account_id = ?`, [id, accountId]);
    if (!row) return undefined;
    const [session] = await withVariables(this.db, [row]);
    return session;
  }

  /**
   * The session (state, variables) and its timeline as of one commit, in one statement on the
   * read-only connection: GET /sessions/{id} never shows a state older than its own timeline (a
   * lab run saw `dialing` beside `in-progress` rows when they were read apart). Writes still
   * queued for the session are committed first, as for getSession.
   */
  async getSessionDetail(accountId: string, id: string): Promise<{ session: Session; timeline: SessionEvent[]; hasOutbox: boolean } | undefined> {
    if (this.pendingBySession.has(id)) await this.db.flush();
    const [row] = await this.db.consistentRead<DetailRow>(DETAIL_SQL, [id, accountId]);
    if (!row) return undefined;
    const variables = JSON.parse(row.variables_json) as Record<string, string>;
    const events = JSON.parse(row.events_json) as Array<[number, string, string, Record<string, unknown>]>;
    return {
      session: toSession(row, variables),
      timeline: events.map(([seq, at, type, data]) => ({ seq, sessionId: id, at, type, data })),
      hasOutbox: row.has_outbox === 1,
    };
  }

  async listSessions(accountId: string, filter: SessionFilter, request: PageRequest): Promise<Page<Session>> {
    const { page, size, offset } = paging(request);
    const where: string[] = ['account_id = ?'];
    const params: SqlValue[] = [accountId];
    if (filter.state !== undefined) { where.push('state = ?'); params.push(filter.state); }
    if (filter.flowId !== undefined) { where.push('flow_id = ?'); params.push(filter.flowId); }
    if (filter.number !== undefined) { where.push('(number_to_dial = ? OR caller_id = ?)'); params.push(filter.number, filter.number); }
    if (filter.from !== undefined) { where.push('date_created >= ?'); params.push(isoBound(filter.from, 'from')); }
    if (filter.to !== undefined) { where.push('date_created <= ?'); params.push(isoBound(filter.to, 'to')); }
    if (request.ids) { where.push('id IN (SELECT value FROM json_each(?))'); params.push(JSON.stringify(request.ids)); }
    const order = orderBy(request, { dateCreated: 'date_created', state: 'state', numberToDial: 'number_to_dial', callerId: 'caller_id', flowId: 'flow_id' },
      'date_created DESC, rowid DESC', 'rowid');
    const clause = where.join(' AND ');
    await this.db.flush();
    const count = await this.db.get<CountRow>(`SELECT COUNT(*) AS n FROM sessions WHERE ${clause}`, params);
    const rows = await this.db.all<SessionRow>(
      `SELECT ${SESSION_COLUMNS} FROM sessions WHERE ${clause} ORDER BY ${order} LIMIT ? OFFSET ?`,
      [...params, size, offset]);
    return pageOf(await withVariables(this.db, rows), count?.n ?? 0, page, size);
  }

  async listSessionEvents(sessionId: string): Promise<SessionEvent[]> {
    if (this.pendingBySession.has(sessionId)) await this.db.flush();
    const rows = await this.db.all<EventRow>(
      'SELECT session_id, seq, at, type, data FROM session_events WHERE session_id = ? ORDER BY seq', [sessionId]);
    return rows.map(eventOf);
  }

  async sessionsWithEventsSince(accountId: string, at: string, limit: number): Promise<string[]> {
    await this.db.flush();
    const rows = await this.db.all<{ session_id: string }>(
      `SELECT e.session_id, MIN(e.at) AS first FROM session_events e JOIN sessions s ON s.id = e.session_id
       WHERE s.account_id = ? AND e.at >= ? GROUP BY e.session_id ORDER BY first LIMIT ?`, [accountId, at, limit]);
    return rows.map((r) => r.session_id);
  }

  async listLiveSessions(): Promise<Session[]> {
    await this.db.flush();
    const rows = await this.db.all<SessionRow>(
      `SELECT ${SESSION_COLUMNS} FROM sessions WHERE ${LIVE_SQL} ORDER BY date_created, rowid`);
    return withVariables(this.db, rows);
  }

  /** From memory: exact while this process is the only writer of the sessions table. */
  countLiveSessions(accountId: string): Promise<number> {
    return Promise.resolve(this.live.count(accountId));
  }
}
