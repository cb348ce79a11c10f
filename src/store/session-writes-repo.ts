// Session writes: create, state, variables, timeline. They go through the group commit
// (group-commit.ts: one transaction per tick; timeline events, variables and state updates are
// written one statement per kind per commit, in the row kinds of session-units.ts); each is tracked
// per session so that reads of that session commit it first. A session leaving the live states
// leaves the live count here.
import type { Session } from '../domain/model.js';
import { AppError } from '../domain/errors.js';
import { isConstraintError, type Db, type RowKind, type SqlStep } from './db.js';
import type { IdempotencyKey, NewSession, SessionUnit, SessionUpdate, Store } from './store.js';
import { idempotencySteps } from './idempotency-repo.js';
import { ensureAccountStep } from './accounts-repo.js';
import { now } from './clock.js';
import type { LiveSessions } from './live-sessions.js';
import type { PendingWrites } from './pending-writes.js';
import { LIVE_STATE_SET, SESSION_COLUMNS } from './session-rows.js';
import { EVENT_ROWS, RECORDING_ROWS, SESSION_CHANGES, VARIABLE_ROWS, unitRows } from './session-units.js';
import { recordingOf } from '../domain/timeline.js';

export class SessionWritesRepo implements Pick<Store, 'createSession' | 'createSessionWith' | 'recordSession' | 'updateSession' | 'setSessionVariable' | 'appendSessionEvent'> {
  /** Accounts whose row is committed: their sessions skip the INSERT OR IGNORE of the account. */
  private readonly knownAccounts = new Set<string>();

  constructor(private readonly db: Db, private readonly pendingBySession: PendingWrites, private readonly live: LiveSessions) {}

  createSession(s: NewSession): Promise<Session> {
    return this.createSessionWith(s, {});
  }

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
    if (!duplicate) this.live.add(s.id, s.accountId);
    const steps = accountKnown ? [insert] : [ensureAccountStep(s.accountId, at), insert];
    for (const { kind, row } of unitRows(s.id, unit, at)) steps.push(kind.one(row));
    if (idempotency) steps.push(...idempotencySteps(s.accountId, idempotency, s.id));
    try {
      // Resolves after the commit: an accepted session (and its first events) survives a crash right after.
      await this.pendingBySession.track(s.id, this.db.enqueue(steps));
    } catch (err) {
      if (!duplicate) this.live.remove(s.id);
      if (isConstraintError(err)) throw new AppError('conflict', 'Conflict', `session ${s.id} already exists`);
      throw err;
    }
    this.knownAccounts.add(s.accountId);
    return {
      id: s.id, accountId: s.accountId, direction: s.direction ?? 'outbound', flowId: s.flowId, flowVersion: s.flowVersion, numberToDial: s.numberToDial,
      callerId: s.callerId, state: 'queued', channelId: s.channelId, endpoint: s.endpoint, variables: {},
      endReason: null, dateCreated: at, dateAnswered: null, dateEnded: null,
      statusCallback: s.statusCallback ?? null, statusCallbackEvents: s.statusCallbackEvents ?? null, ownerId: s.owner?.id ?? null,
      leaseExpires: s.owner?.leaseExpires ?? null, ...(s.asteriskServer !== undefined ? { asteriskServer: s.asteriskServer } : {}),
    };
  }

  recordSession(sessionId: string, unit: SessionUnit, urgent = false): Promise<void> {
    if (unit.change?.state !== undefined && !LIVE_STATE_SET.has(unit.change.state)) this.live.remove(sessionId);
    return this.pendingBySession.track(sessionId, this.db.enqueueUnit(unitRows(sessionId, unit, now()), urgent));
  }

  updateSession(id: string, change: SessionUpdate): Promise<void> {
    if (change.state === undefined && change.endReason === undefined && change.dateAnswered === undefined && change.dateEnded === undefined) {
      return Promise.resolve();
    }
    if (change.state !== undefined && !LIVE_STATE_SET.has(change.state)) this.live.remove(id);
    return this.pendingBySession.track(id, this.db.enqueueRow(SESSION_CHANGES, { ...change, sessionId: id }));
  }

  setSessionVariable(id: string, name: string, value: string): Promise<void> {
    return this.pendingBySession.track(id, this.db.enqueueRow(VARIABLE_ROWS, { sessionId: id, name, value }));
  }

  appendSessionEvent(sessionId: string, type: string, data: Record<string, unknown>, at: string = now()): Promise<void> {
    let json: string;
    try {
      json = JSON.stringify(data);
    } catch (err) {
      return Promise.reject(err instanceof Error ? err : new Error(String(err)));
    }
    const rec = recordingOf(type, data, at);
    if (!rec) return this.pendingBySession.track(sessionId, this.db.enqueueRow(EVENT_ROWS, { sessionId, at, type, json }));
    return this.pendingBySession.track(sessionId, this.db.enqueueUnit([
      { kind: EVENT_ROWS as RowKind<unknown>, row: { sessionId, at, type, json } },
      { kind: RECORDING_ROWS as RowKind<unknown>, row: { sessionId, rec } },
    ], false));
  }
}
