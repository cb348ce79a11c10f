// Session units on PostgreSQL (store.ts SessionUnit: state + timeline + variables + recordings +
// outbox, committed together or not at all), with group commit and the outage rule.
//
// Group commit: units queued while a commit is in flight (or within the row commit delay) go in
// the next transaction, one statement per kind for all of them (unnest arrays). A unit is never
// split: when a batched statement breaks a constraint, the batch is replayed one unit per
// savepoint and only the failing units are rejected, whole.
//
// Outage: when the database cannot be reached, the units stay queued in memory, in order, and the
// commit is retried with backoff (100 ms doubling to 5 s); the calls go on. A session whose queued
// units have waited longer than `holdMs` (or when more than `maxHeldUnits` wait) cannot be kept:
// those units are rejected with SessionWritesLostError, upon which the call's owner hangs it up and
// ends it `failed` with the reason; units that end a session (its final state and session.ended)
// are never given up, so each accepted session still gets its end once the database is back.
// Commits run one at a time, so a session's units commit in the order they were issued.
import { SessionWritesLostError, type AttemptRecord, type OutboxEvent, type SessionUnit, type SessionUpdate } from '../store.js';
import type { RecordingRegistration } from '../../domain/timeline.js';
import { LIVE_STATE_SET } from '../session-rows.js';
import { describePgError, isConstraintViolation, isUnavailable, type PgDb, type Queryable } from './pg-db.js';

export interface UnitWriterOptions {
  /** How long units may wait for company before their commit (0: the next tick). */
  rowCommitDelayMs: number;
  /** How long a session's writes are held through an outage before the session is given up. */
  holdMs: number;
  /** Units held in memory at most through an outage (the oldest sessions are given up beyond). */
  maxHeldUnits: number;
  /** Told when the database becomes unreachable (with the reason) and reachable again (undefined). */
  onAvailability?: (problem: string | undefined) => void;
}

interface Queued {
  /** The session (a delivery's attempt: `attempt:` and its event id, so that no session read waits for it). */
  sessionId: string;
  unit: SessionUnit;
  /** The timeline rows' data as JSON, serialized when the unit was issued (a unit that cannot be is refused alone, at once). */
  json: string[];
  /** A webhook attempt's result instead of a session unit (held through an outage the same way). */
  attempt?: AttemptRecord;
  at: string;
  queuedAt: number;
  resolve: () => void;
  reject: (err: Error) => void;
}

const MAX_UNITS_PER_COMMIT = 2000;
const RETRY_FIRST_MS = 100;
const RETRY_MAX_MS = 5000;

export class PgUnitWriter {
  private queue: Queued[] = [];
  private timer: NodeJS.Timeout | undefined;
  private immediate: NodeJS.Immediate | undefined;
  private running: Promise<void> | undefined;
  private retryMs = 0;
  private retryTimer: NodeJS.Timeout | undefined;
  /** The reason the database is unreachable, while it is. */
  private problem: string | undefined;
  private closed = false;
  private readonly waiters: Array<() => void> = [];

  constructor(private readonly db: PgDb, private readonly options: UnitWriterOptions) {}

  /** Why writes are being held, while the database is unreachable. */
  get unavailable(): string | undefined {
    return this.problem;
  }

  /** Units waiting for their commit (held through an outage included). */
  get held(): number {
    return this.queue.length;
  }

  /** True while `sessionId` has units not committed yet. */
  has(sessionId: string): boolean {
    return this.queue.some((q) => q.sessionId === sessionId);
  }

  write(sessionId: string, unit: SessionUnit, at: string, urgent: boolean): Promise<void> {
    if (this.closed) return Promise.reject(new Error('The database is closed'));
    let json: string[];
    try {
      json = serialized(unit);
    } catch (err) {
      return Promise.reject(err instanceof Error ? err : new Error(String(err)));
    }
    return new Promise<void>((resolve, reject) => {
      this.queue.push({ sessionId, unit, json, at, queuedAt: Date.now(), resolve, reject });
      this.schedule(urgent);
    });
  }

  /** The unit written now on `q` (a transaction of the caller's: the session's creation). */
  writeNow(q: Queryable, sessionId: string, unit: SessionUnit, at: string): Promise<void> {
    return writeUnits(q, [{ sessionId, unit, json: serialized(unit), at, queuedAt: 0, resolve: () => undefined, reject: () => undefined }]);
  }

  /** A delivery attempt's result, batched with the units. */
  writeAttempt(attempt: AttemptRecord): Promise<void> {
    if (this.closed) return Promise.reject(new Error('The database is closed'));
    return new Promise<void>((resolve, reject) => {
      this.queue.push({ sessionId: `attempt:${attempt.eventId}`, unit: {}, json: [], attempt, at: attempt.at, queuedAt: Date.now(), resolve, reject });
      this.schedule(false);
    });
  }

  /** Resolves once everything queued before the call is committed, or given up (an outage). */
  flush(): Promise<void> {
    // Through an outage a read goes on at once (and fails, or answers from what is committed).
    if ((this.queue.length === 0 && !this.running) || this.problem) return Promise.resolve();
    return new Promise<void>((resolve) => {
      this.waiters.push(resolve);
      if (!this.problem) this.schedule(true);
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    if (!this.problem) await this.flush();
    clearTimeout(this.timer);
    clearTimeout(this.retryTimer);
    if (this.immediate) clearImmediate(this.immediate);
    for (const q of this.queue.splice(0)) q.reject(new SessionWritesLostError(`the store closed with this write uncommitted (${this.problem ?? 'closing'})`));
    for (const w of this.waiters.splice(0)) w();
  }

  private schedule(urgent: boolean): void {
    if (this.running || this.retryTimer) return;
    if (urgent || this.options.rowCommitDelayMs <= 0) {
      clearTimeout(this.timer);
      this.timer = undefined;
      this.immediate ??= setImmediate(() => this.start());
    } else {
      this.timer ??= setTimeout(() => this.start(), this.options.rowCommitDelayMs);
    }
  }

  private start(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (this.immediate) clearImmediate(this.immediate);
    this.immediate = undefined;
    if (this.running || this.queue.length === 0) {
      if (!this.running) this.wake();
      return;
    }
    this.running = this.commitNext().finally(() => {
      this.running = undefined;
      if (this.queue.length > 0 && !this.retryTimer) this.schedule(true);
      else this.wake();
    });
  }

  private wake(): void {
    if (this.queue.length > 0 && !this.problem) return;
    for (const w of this.waiters.splice(0)) w();
  }

  private async commitNext(): Promise<void> {
    const batch = this.queue.slice(0, MAX_UNITS_PER_COMMIT);
    try {
      try {
        await this.db.transaction((q) => writeUnits(q, batch));
        this.done(batch);
      } catch (err) {
        if (!isConstraintViolation(err)) throw err;
        await this.commitOneByOne(batch);
      }
      if (this.problem) {
        this.problem = undefined;
        this.options.onAvailability?.(undefined);
      }
      this.retryMs = 0;
    } catch (err) {
      if (!isUnavailable(err)) {
        // Refused by the database for a reason a retry would not change: the batch fails whole.
        this.queue.splice(0, batch.length);
        for (const q of batch) q.reject(err as Error);
        return;
      }
      this.holdThroughOutage(err);
    }
  }

  /** Each unit in its own savepoint: a unit breaking a constraint is rejected alone, whole. */
  private async commitOneByOne(batch: Queued[]): Promise<void> {
    const failed = new Map<Queued, Error>();
    await this.db.transaction(async (q) => {
      for (const item of batch) {
        await q.query('SAVEPOINT unit');
        try {
          await writeUnits(q, [item]);
          await q.query('RELEASE SAVEPOINT unit');
        } catch (err) {
          if (!isConstraintViolation(err)) throw err;
          await q.query('ROLLBACK TO SAVEPOINT unit');
          failed.set(item, err as Error);
        }
      }
    });
    this.queue.splice(0, batch.length);
    for (const item of batch) {
      const err = failed.get(item);
      if (err) item.reject(err);
      else item.resolve();
    }
  }

  private done(batch: Queued[]): void {
    this.queue.splice(0, batch.length);
    for (const q of batch) q.resolve();
  }

  private holdThroughOutage(err: unknown): void {
    const reason = describePgError(err);
    if (this.problem === undefined) this.options.onAvailability?.(reason);
    this.problem = reason;
    this.giveUpBeyondBounds();
    this.retryMs = this.retryMs === 0 ? RETRY_FIRST_MS : Math.min(this.retryMs * 2, RETRY_MAX_MS);
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      this.start();
    }, this.retryMs);
    this.wake();
  }

  /**
   * Sessions whose writes waited longer than the bound (or beyond the memory bound, oldest first)
   * are given up: their units are rejected (the call's owner then ends it `failed` with the reason),
   * except a unit with a final state, which is kept (one per session, with its session.ended).
   */
  private giveUpBeyondBounds(): void {
    const nowMs = Date.now();
    const droppable = (q: Queued): boolean => !q.attempt && !endsSession(q.unit);
    const lost = new Set<string>();
    for (const q of this.queue) if (droppable(q) && nowMs - q.queuedAt > this.options.holdMs) lost.add(q.sessionId);
    let excess = this.queue.length - this.options.maxHeldUnits;
    for (const q of this.queue) {
      if (excess <= 0) break;
      if (!droppable(q) || lost.has(q.sessionId)) continue;
      lost.add(q.sessionId);
      excess -= this.queue.filter((o) => o.sessionId === q.sessionId && droppable(o)).length;
    }
    if (lost.size === 0) return;
    const reason = `database unreachable for longer than the engine holds a call's writes (${this.problem ?? 'unknown'})`;
    const kept: Queued[] = [];
    for (const q of this.queue) {
      if (lost.has(q.sessionId) && droppable(q)) q.reject(new SessionWritesLostError(reason));
      else kept.push(q);
    }
    this.queue = kept;
  }
}

function endsSession(unit: SessionUnit): boolean {
  return unit.change?.state !== undefined && !LIVE_STATE_SET.has(unit.change.state);
}

function serialized(unit: SessionUnit): string[] {
  return (unit.timeline ?? []).map((row) => JSON.stringify(row.data));
}

/** Writes the units' rows, one statement per kind for all of them, in the order kinds depend on. */
async function writeUnits(q: Queryable, batch: readonly Queued[]): Promise<void> {
  const timeline: Array<[string, number, string, string, string]> = [];
  const variables = new Map<string, [string, string, string]>();
  const changes = new Map<string, SessionUpdate>();
  const recordings: Array<[string, RecordingRegistration]> = [];
  const outbox: Array<{ event: OutboxEvent; at: string }> = [];
  const attempts: AttemptRecord[] = [];
  for (const { sessionId, unit, json, at, attempt } of batch) {
    if (attempt) {
      attempts.push(attempt);
      continue;
    }
    (unit.timeline ?? []).forEach((row, i) => timeline.push([sessionId, row.seq, row.at, row.type, json[i] ?? '{}']));
    // Last value of a name wins (one statement cannot update a row twice).
    for (const v of unit.variables ?? []) variables.set(`${sessionId}\n${v.name}`, [sessionId, v.name, v.value]);
    if (unit.change) changes.set(sessionId, { ...changes.get(sessionId), ...definedFields(unit.change) });
    for (const rec of unit.recordings ?? []) recordings.push([sessionId, rec]);
    for (const event of unit.outbox ?? []) outbox.push({ event, at });
  }
  if (timeline.length > 0) {
    await q.query(`INSERT INTO session_events (session_id, seq, at, type, data)
      SELECT * FROM unnest($1::text[], $2::int[], $3::text[], $4::text[], $5::text[])`, columns(timeline, 5));
  }
  if (variables.size > 0) {
    await q.query(`INSERT INTO session_variables (session_id, name, value) SELECT * FROM unnest($1::text[], $2::text[], $3::text[])
      ON CONFLICT (session_id, name) DO UPDATE SET value = excluded.value`, columns([...variables.values()], 3));
  }
  if (changes.size > 0) {
    const rows = [...changes].map(([id, c]) => [id, c.state ?? null, c.endReason ?? null, c.dateAnswered ?? null, c.dateEnded ?? null]);
    await q.query(`UPDATE sessions s SET state = COALESCE(u.state, s.state), end_reason = COALESCE(u.end_reason, s.end_reason),
        date_answered = COALESCE(u.date_answered, s.date_answered), date_ended = COALESCE(u.date_ended, s.date_ended)
      FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[]) AS u(id, state, end_reason, date_answered, date_ended)
      WHERE s.id = u.id`, columns(rows, 5));
  }
  if (recordings.length > 0) {
    const rows = recordings.map(([sessionId, r]) => [r.id, sessionId, r.stepId, r.format, r.durationSec, r.at]);
    await q.query(`INSERT INTO recordings (id, account_id, session_id, step_id, format, duration_sec, date_created)
      SELECT r.id, s.account_id, s.id, r.step_id, r.format, round(r.duration_sec)::int, r.at
      FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::float8[], $6::text[]) AS r(id, session_id, step_id, format, duration_sec, at)
      JOIN sessions s ON s.id = r.session_id
      ON CONFLICT (id) DO NOTHING`, columns(rows, 6));
  }
  if (outbox.length > 0) {
    const events = outbox.map(({ event: e }) => [e.id, e.sessionId, e.accountId, e.seq, e.type, e.at, e.body]);
    await q.query(`INSERT INTO webhook_events (id, session_id, account_id, seq, type, at, body)
      SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::int[], $5::text[], $6::text[], $7::text[])`, columns(events, 7));
    const deliveries = outbox.flatMap(({ event: e, at }) => e.targets.map((t) => [e.id, t.target, e.sessionId, e.seq, t.url, at,
      e.claim?.workerId ?? null, e.claim?.expires ?? null]));
    if (deliveries.length > 0) {
      await q.query(`INSERT INTO webhook_deliveries (event_id, target, session_id, seq, url, status, attempts, next_attempt_at, date_created, claimed_by, claim_expires)
        SELECT d.event_id, d.target, d.session_id, d.seq, d.url, 'pending', 0, d.at, d.at, d.claimed_by, d.claim_expires
        FROM unnest($1::text[], $2::text[], $3::text[], $4::int[], $5::text[], $6::text[], $7::text[], $8::text[])
          AS d(event_id, target, session_id, seq, url, at, claimed_by, claim_expires)`, columns(deliveries, 8));
    }
  }
  if (attempts.length > 0) await writeAttempts(q, attempts);
}

/** A delivery's attempt rows and its state after them (a finished delivery lets go of its claim). */
async function writeAttempts(q: Queryable, attempts: readonly AttemptRecord[]): Promise<void> {
  const unique = new Map(attempts.map((a) => [`${a.eventId}\n${a.target}\n${a.attempt}`, a]));
  const rows = [...unique.values()].map((a) => [a.eventId, a.target, a.attempt, a.at, a.statusCode, a.error, a.durationMs, a.responseExcerpt]);
  await q.query(`INSERT INTO webhook_attempts (event_id, target, attempt, at, status_code, error, duration_ms, response_excerpt)
    SELECT * FROM unnest($1::text[], $2::text[], $3::int[], $4::text[], $5::int[], $6::text[], $7::int[], $8::text[])
    ON CONFLICT (event_id, target, attempt) DO UPDATE SET at = excluded.at, status_code = excluded.status_code, error = excluded.error,
      duration_ms = excluded.duration_ms, response_excerpt = excluded.response_excerpt`, columns(rows, 8));
  // One row per delivery: its last attempt of the batch.
  const last = new Map<string, AttemptRecord>();
  for (const a of attempts) last.set(`${a.eventId}\n${a.target}`, a);
  const results = [...last.values()].map((a) => [a.eventId, a.target, a.status, a.attempt, a.nextAttemptAt, a.statusCode, a.error, a.at]);
  await q.query(`UPDATE webhook_deliveries d SET status = r.status, attempts = r.attempt, next_attempt_at = r.next_attempt_at,
      last_status_code = r.status_code, last_error = r.error,
      date_finished = CASE WHEN r.status = 'pending' THEN NULL ELSE r.at END,
      claimed_by = CASE WHEN r.status = 'pending' THEN d.claimed_by ELSE NULL END
    FROM unnest($1::text[], $2::text[], $3::text[], $4::int[], $5::text[], $6::int[], $7::text[], $8::text[])
      AS r(event_id, target, status, attempt, next_attempt_at, status_code, error, at)
    WHERE d.event_id = r.event_id AND d.target = r.target`, columns(results, 8));
}

function definedFields(c: SessionUpdate): SessionUpdate {
  const out: SessionUpdate = {};
  if (c.state !== undefined) out.state = c.state;
  if (c.endReason !== undefined) out.endReason = c.endReason;
  if (c.dateAnswered !== undefined) out.dateAnswered = c.dateAnswered;
  if (c.dateEnded !== undefined) out.dateEnded = c.dateEnded;
  return out;
}

/** Rows as one array per column (the parameters of an unnest). */
function columns(rows: ReadonlyArray<ReadonlyArray<string | number | null>>, width: number): Array<Array<string | number | null>> {
  const out: Array<Array<string | number | null>> = Array.from({ length: width }, () => []);
  for (const row of rows) for (let i = 0; i < width; i += 1) out[i]!.push(row[i] ?? null);
  return out;
}
