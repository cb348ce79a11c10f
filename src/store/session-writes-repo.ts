// Session writes: a session's creation with its first unit, then its units. They go through the group commit
// (group-commit.ts: one transaction per tick; timeline events, variables and state updates are
// written one statement per kind per commit, in the row kinds of session-units.ts); each is tracked
// per session so that reads of that session commit it first. A session leaving the live states
// leaves the live count here.
import type { Session } from '../domain/model.js';
import { AppError } from '../domain/errors.js';
import { isConstraintError, type Db, type SqlStep } from './db.js';
import { IdempotencyKeyTaken, admissionRefusal, type IdempotencyKey, type NewSession, type SessionUnit, type Store } from './store.js';
import { idempotencySteps } from './idempotency-repo.js';
import { ensureAccountStep } from './accounts-repo.js';
import { now } from './clock.js';
import type { LiveSessions } from './live-sessions.js';
import type { PendingWrites } from './pending-writes.js';
import { LIVE_STATE_SET, SESSION_COLUMNS, queuedSession } from './session-rows.js';
import { unitRows } from './session-units.js';

export class SessionWritesRepo implements Pick<Store, 'createSessionWith' | 'recordSession'> {
  /** Accounts whose row is committed: their sessions skip the INSERT OR IGNORE of the account. */
  private readonly knownAccounts = new Set<string>();

  constructor(private readonly db: Db, private readonly pendingBySession: PendingWrites, private readonly live: LiveSessions) {}

  async createSessionWith(s: NewSession, unit: SessionUnit, idempotency?: IdempotencyKey): Promise<Session> {
    const at = s.dateCreated ?? now();
    const insert: SqlStep = {
      sql: `INSERT INTO sessions (${SESSION_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, 'queued', ?, ?, NULL, ?, NULL, NULL, ?, ?, ?, ?, ?, ?)`,
      params: [s.id, s.accountId, s.flowId, s.flowVersion, s.numberToDial, s.callerId, s.channelId, s.endpoint, at,
        s.statusCallback ?? null, s.statusCallbackEvents ? JSON.stringify(s.statusCallbackEvents) : null,
        s.owner?.id ?? null, s.owner?.leaseExpires ?? null, s.direction ?? 'outbound', s.asteriskServer ?? null],
    };
    const accountKnown = this.knownAccounts.has(s.accountId);
    // Counted at once: the API checks the live count before the next create of the account.
    const duplicate = this.live.has(s.id);
    // One engine on this file: the in-memory count is exact, and checking it here (synchronously,
    // before the count is taken) is atomic.
    if (s.admission && !duplicate && this.live.count(s.accountId) >= s.admission.maxLive) throw admissionRefusal('live', s.admission);
    if (!duplicate) this.live.add(s.id, s.accountId);
    const steps = accountKnown ? [insert] : [ensureAccountStep(s.accountId, at), insert];
    for (const { kind, row } of unitRows(s.id, unit, at)) steps.push(kind.one(row));
    if (idempotency) steps.push(...idempotencySteps(s.accountId, idempotency, s.id));
    try {
      // Resolves after the commit: an accepted session (and its first events) survives a crash right after.
      await this.pendingBySession.track(s.id, this.db.enqueue(steps));
    } catch (err) {
      if (!duplicate) this.live.remove(s.id);
      if (!isConstraintError(err)) throw err;
      const holder = idempotency && await this.keyHolder(s.accountId, idempotency.key);
      if (holder && holder.session_id !== s.id) throw new IdempotencyKeyTaken(holder.session_id, holder.request_hash);
      throw new AppError('conflict', 'Conflict', `session ${s.id} already exists`);
    }
    this.knownAccounts.add(s.accountId);
    return queuedSession(s, at);
  }

  private keyHolder(accountId: string, key: string): Promise<{ session_id: string; request_hash: string } | undefined> {
    return this.db.get('SELECT session_id, request_hash FROM idempotency_keys WHERE account_id = ? AND key = ?', [accountId, key]);
  }

  recordSession(sessionId: string, unit: SessionUnit, urgent = false): Promise<void> {
    if (unit.change?.state !== undefined && !LIVE_STATE_SET.has(unit.change.state)) this.live.remove(sessionId);
    return this.pendingBySession.track(sessionId, this.db.enqueueUnit(unitRows(sessionId, unit, now()), urgent));
  }
}
