// Row kinds of session writes (db.ts `enqueueRow`, `enqueueUnit`) and of delivery results: each
// writes all its rows of one group commit with one statement (JSON rows through `json_each`).
import type { RowKind, UnitRows } from './db.js';
import type { AttemptRecord, OutboxEvent, SessionUnit, SessionUpdate, TimelineRow } from './store.js';
import type { RecordingRegistration } from '../domain/timeline.js';

interface VariableWrite { sessionId: string; name: string; value: string }
interface SessionChange extends SessionUpdate { sessionId: string }
interface TimelineWrite { sessionId: string; row: TimelineRow; json: string }
interface RecordingWrite { sessionId: string; rec: RecordingRegistration }
interface OutboxWrite { event: OutboxEvent; createdAt: string }
interface DeliveryWrite { event: OutboxEvent; target: string; url: string; createdAt: string }

/** Rows are upserted in order, so the last value of a name in a commit wins. */
export const VARIABLE_ROWS: RowKind<VariableWrite> = {
  rank: 2,
  many(rows) {
    return {
      sql: `INSERT INTO session_variables (session_id, name, value)
            SELECT v.value ->> 0, v.value ->> 1, v.value ->> 2 FROM json_each(?) AS v WHERE true ORDER BY v.key
            ON CONFLICT (session_id, name) DO UPDATE SET value = excluded.value`,
      params: [JSON.stringify(rows.map((r) => [r.sessionId, r.name, r.value]))],
    };
  },
  one(r) {
    return {
      sql: `INSERT INTO session_variables (session_id, name, value) VALUES (?, ?, ?)
            ON CONFLICT (session_id, name) DO UPDATE SET value = excluded.value`,
      params: [r.sessionId, r.name, r.value],
    };
  },
};

/**
 * A session's updates of one commit are merged in order (a later field wins), which is what
 * applying them one after another gives: UPDATE … FROM would apply only one of several rows
 * matching the same session. A missing field (JSON null) keeps the stored value.
 */
export const SESSION_CHANGES: RowKind<SessionChange> = {
  rank: 3,
  many(rows) {
    const merged = new Map<string, SessionChange>();
    for (const r of rows) {
      const previous = merged.get(r.sessionId);
      merged.set(r.sessionId, previous ? { ...previous, ...definedFields(r) } : r);
    }
    const packed = [...merged.values()].map((c) => [c.sessionId, c.state ?? null, c.endReason ?? null, c.dateAnswered ?? null, c.dateEnded ?? null]);
    return {
      sql: `UPDATE sessions SET state = COALESCE(u.value ->> 1, state), end_reason = COALESCE(u.value ->> 2, end_reason),
              date_answered = COALESCE(u.value ->> 3, date_answered), date_ended = COALESCE(u.value ->> 4, date_ended)
            FROM json_each(?) AS u WHERE sessions.id = u.value ->> 0`,
      params: [JSON.stringify(packed)],
    };
  },
  one(c) {
    return {
      sql: `UPDATE sessions SET state = COALESCE(?, state), end_reason = COALESCE(?, end_reason),
              date_answered = COALESCE(?, date_answered), date_ended = COALESCE(?, date_ended) WHERE id = ?`,
      params: [c.state ?? null, c.endReason ?? null, c.dateAnswered ?? null, c.dateEnded ?? null, c.sessionId],
    };
  },
};

function definedFields(c: SessionChange): Partial<SessionChange> {
  const out: Partial<SessionChange> = {};
  if (c.state !== undefined) out.state = c.state;
  if (c.endReason !== undefined) out.endReason = c.endReason;
  if (c.dateAnswered !== undefined) out.dateAnswered = c.dateAnswered;
  if (c.dateEnded !== undefined) out.dateEnded = c.dateEnded;
  return out;
}

/** Timeline rows with the seq their owner assigned (a duplicate seq is a constraint error). */
export const TIMELINE_ROWS: RowKind<TimelineWrite> = {
  rank: 11,
  many(rows) {
    return {
      sql: `INSERT INTO session_events (session_id, seq, at, type, data)
            SELECT e.value ->> 0, e.value ->> 1, e.value ->> 2, e.value ->> 3, e.value ->> 4 FROM json_each(?) AS e`,
      params: [JSON.stringify(rows.map((r) => [r.sessionId, r.row.seq, r.row.at, r.row.type, r.json]))],
    };
  },
  one(r) {
    return {
      sql: 'INSERT INTO session_events (session_id, seq, at, type, data) VALUES (?, ?, ?, ?, ?)',
      params: [r.sessionId, r.row.seq, r.row.at, r.row.type, r.json],
    };
  },
};

/**
 * A session's recordings, each registered by the unit whose `recording.finished` row reports it
 * done (domain/timeline.ts recordingOf), so the list, the row and the event never disagree.
 */
export const RECORDING_ROWS: RowKind<RecordingWrite> = {
  rank: 12,
  many(rows) {
    return {
      sql: `INSERT OR IGNORE INTO recordings (id, account_id, session_id, step_id, format, duration_sec, date_created)
            SELECT r.value ->> 0, s.account_id, s.id, r.value ->> 2, r.value ->> 3, r.value ->> 4, r.value ->> 5
            FROM json_each(?) AS r JOIN sessions s ON s.id = r.value ->> 1`,
      params: [JSON.stringify(rows.map(({ sessionId, rec }) => [rec.id, sessionId, rec.stepId, rec.format, rec.durationSec, rec.at]))],
    };
  },
  one({ sessionId, rec }) {
    return {
      sql: `INSERT OR IGNORE INTO recordings (id, account_id, session_id, step_id, format, duration_sec, date_created)
            SELECT ?, account_id, id, ?, ?, ?, ? FROM sessions WHERE id = ?`,
      params: [rec.id, rec.stepId, rec.format, rec.durationSec, rec.at, sessionId],
    };
  },
};

export const OUTBOX_ROWS: RowKind<OutboxWrite> = {
  rank: 14,
  many(rows) {
    return {
      sql: `INSERT INTO webhook_events (id, session_id, account_id, seq, type, at, body)
            SELECT o.value ->> 0, o.value ->> 1, o.value ->> 2, o.value ->> 3, o.value ->> 4, o.value ->> 5, o.value ->> 6
            FROM json_each(?) AS o`,
      params: [JSON.stringify(rows.map(({ event: e }) => [e.id, e.sessionId, e.accountId, e.seq, e.type, e.at, e.body]))],
    };
  },
  one({ event: e }) {
    return {
      sql: 'INSERT INTO webhook_events (id, session_id, account_id, seq, type, at, body) VALUES (?, ?, ?, ?, ?, ?, ?)',
      params: [e.id, e.sessionId, e.accountId, e.seq, e.type, e.at, e.body],
    };
  },
};

export const DELIVERY_ROWS: RowKind<DeliveryWrite> = {
  rank: 15,
  many(rows) {
    return {
      sql: `INSERT INTO webhook_deliveries (event_id, target, session_id, seq, url, status, attempts, next_attempt_at, date_created, claimed_by, claim_expires)
            SELECT d.value ->> 0, d.value ->> 1, d.value ->> 2, d.value ->> 3, d.value ->> 4, 'pending', 0, d.value ->> 5, d.value ->> 5, d.value ->> 6, d.value ->> 7
            FROM json_each(?) AS d`,
      params: [JSON.stringify(rows.map((d) => [d.event.id, d.target, d.event.sessionId, d.event.seq, d.url, d.createdAt,
        d.event.claim?.workerId ?? null, d.event.claim?.expires ?? null]))],
    };
  },
  one(d) {
    return {
      sql: `INSERT INTO webhook_deliveries (event_id, target, session_id, seq, url, status, attempts, next_attempt_at, date_created, claimed_by, claim_expires)
            VALUES (?, ?, ?, ?, ?, 'pending', 0, ?, ?, ?, ?)`,
      params: [d.event.id, d.target, d.event.sessionId, d.event.seq, d.url, d.createdAt, d.createdAt, d.event.claim?.workerId ?? null, d.event.claim?.expires ?? null],
    };
  },
};

export const ATTEMPT_ROWS: RowKind<AttemptRecord> = {
  rank: 21,
  many(rows) {
    return {
      sql: `INSERT OR REPLACE INTO webhook_attempts (event_id, target, attempt, at, status_code, error, duration_ms, response_excerpt)
            SELECT a.value ->> 0, a.value ->> 1, a.value ->> 2, a.value ->> 3, a.value ->> 4, a.value ->> 5, a.value ->> 6, a.value ->> 7
            FROM json_each(?) AS a`,
      params: [JSON.stringify(rows.map((a) => [a.eventId, a.target, a.attempt, a.at, a.statusCode, a.error, a.durationMs, a.responseExcerpt]))],
    };
  },
  one(a) {
    return {
      sql: `INSERT OR REPLACE INTO webhook_attempts (event_id, target, attempt, at, status_code, error, duration_ms, response_excerpt)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
      params: [a.eventId, a.target, a.attempt, a.at, a.statusCode, a.error, a.durationMs, a.responseExcerpt],
    };
  },
};

/** The delivery's state after an attempt; a finished delivery lets go of its claim. */
export const DELIVERY_RESULTS: RowKind<AttemptRecord> = {
  rank: 22,
  many(rows) {
    return {
      sql: `UPDATE webhook_deliveries SET status = r.value ->> 2, attempts = r.value ->> 3, next_attempt_at = r.value ->> 4,
              last_status_code = r.value ->> 5, last_error = r.value ->> 6,
              date_finished = CASE WHEN r.value ->> 2 = 'pending' THEN NULL ELSE r.value ->> 7 END,
              claimed_by = CASE WHEN r.value ->> 2 = 'pending' THEN claimed_by ELSE NULL END
            FROM json_each(?) AS r WHERE webhook_deliveries.event_id = r.value ->> 0 AND webhook_deliveries.target = r.value ->> 1`,
      params: [JSON.stringify(rows.map((a) => [a.eventId, a.target, a.status, a.attempt, a.nextAttemptAt, a.statusCode, a.error, a.at]))],
    };
  },
  one(a) {
    return {
      sql: `UPDATE webhook_deliveries SET status = ?, attempts = ?, next_attempt_at = ?, last_status_code = ?, last_error = ?,
              date_finished = CASE WHEN ? = 'pending' THEN NULL ELSE ? END,
              claimed_by = CASE WHEN ? = 'pending' THEN claimed_by ELSE NULL END
            WHERE event_id = ? AND target = ?`,
      params: [a.status, a.attempt, a.nextAttemptAt, a.statusCode, a.error, a.status, a.at, a.status, a.eventId, a.target],
    };
  },
};

/** The rows of a session unit, in the kinds above. */
export function unitRows(sessionId: string, unit: SessionUnit, createdAt: string): Array<UnitRows[number]> {
  const rows: Array<UnitRows[number]> = [];
  for (const row of unit.timeline ?? []) {
    rows.push({ kind: TIMELINE_ROWS as RowKind<unknown>, row: { sessionId, row, json: JSON.stringify(row.data) } });
  }
  for (const v of unit.variables ?? []) rows.push({ kind: VARIABLE_ROWS as RowKind<unknown>, row: { sessionId, name: v.name, value: v.value } });
  if (unit.change) rows.push({ kind: SESSION_CHANGES as RowKind<unknown>, row: { ...unit.change, sessionId } });
  for (const rec of unit.recordings ?? []) rows.push({ kind: RECORDING_ROWS as RowKind<unknown>, row: { sessionId, rec } });
  for (const event of unit.outbox ?? []) {
    rows.push({ kind: OUTBOX_ROWS as RowKind<unknown>, row: { event, createdAt } });
    for (const t of event.targets) rows.push({ kind: DELIVERY_ROWS as RowKind<unknown>, row: { event, target: t.target, url: t.url, createdAt } });
  }
  return rows;
}

export function attemptRows(a: AttemptRecord): UnitRows {
  return [{ kind: ATTEMPT_ROWS as RowKind<unknown>, row: a }, { kind: DELIVERY_RESULTS as RowKind<unknown>, row: a }];
}
