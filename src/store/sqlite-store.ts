// The Store over SQLite (sqlite3 package): the only place with SQL.
// Session writes (create, state, variables, timeline) go through the group-commit queue of
// `db.ts`: one transaction per tick; timeline events, variables and state updates are written
// one statement per kind per commit (JSON rows through `json_each`). Reads of one session wait
// for the queue only when that session has writes in it, so they see every write issued before
// them; the live count per account is kept in memory (this store is the engine's only writer).
// Everything is account-scoped: another account's rows read exactly like missing ones.
import { randomUUID } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import type {
  Account, Flow, Page, PageRequest, PhoneNumber, Session, SessionEvent, SessionState, Webhook, WebhookDelivery,
} from '../domain/model.js';
import { LIVE_STATES } from '../domain/model.js';
import type { FlowDocument } from '../domain/flow.js';
import { AppError } from '../domain/errors.js';
import type {
  AttemptRecord, ClaimedDelivery, NewSession, SessionFilter, SessionUnit, SessionUpdate, Store, WebhookInput,
} from './store.js';
import { Db, isConstraintError, type Row, type RowKind, type SqlStep, type SqlValue } from './db.js';
import { EVENT_ROWS, SESSION_CHANGES, VARIABLE_ROWS, unitRows } from './session-units.js';
import { WebhookStore } from './webhook-store.js';
import { migrate } from './migrations.js';
import { AccountsRepo, ensureAccountStep } from './accounts-repo.js';
import { now } from './clock.js';
import { FlowsRepo } from './flows-repo.js';
import { IdempotencyRepo } from './idempotency-repo.js';
import { PhoneNumbersRepo } from './phone-numbers-repo.js';
import { idFilter, orderBy, pageOf, paged, paging, type CountRow } from './paging.js';
import { PendingWrites } from './pending-writes.js';
import { RecordingsRepo } from './recordings-repo.js';
import { CACHED_ROWS, ReadCache } from './read-cache.js';

const BUSY_TIMEOUT_MS = 5000;
/**
 * Timeline events, variables and state updates wait up to this long for the next commit, so
 * that one commit carries many rows. Nobody awaits them but `ended$` (and reads, which commit
 * the session's queued writes first); a crash may lose the rows of this last window.
 */
const DEFAULT_ROW_COMMIT_DELAY_MS = 50;

const LIVE_SQL = `state IN (${LIVE_STATES.map((s) => `'${s}'`).join(', ')})`;

const SESSION_COLUMNS = `id, account_id, flow_id, flow_version, number_to_dial, caller_id, state, channel_id,
  endpoint, end_reason, date_created, date_answered, date_ended, status_callback, status_callback_events, owner_id, lease_expires, direction`;

interface SessionRow extends Row {
  id: string; account_id: string; flow_id: string; flow_version: number; number_to_dial: string; caller_id: string;
  state: string; channel_id: string; endpoint: string; end_reason: string | null; date_created: string;
  date_answered: string | null; date_ended: string | null;
  status_callback: string | null; status_callback_events: string | null; owner_id: string | null; lease_expires: string | null;
  direction: string;
}
interface VariableRow extends Row { session_id: string; name: string; value: string }
interface EventRow extends Row { session_id: string; seq: number; at: string; type: string; data: string }

function toSession(r: SessionRow, variables: Record<string, string>): Session {
  return {
    id: r.id, accountId: r.account_id, direction: r.direction === 'inbound' ? 'inbound' : 'outbound', flowId: r.flow_id, flowVersion: r.flow_version,
    numberToDial: r.number_to_dial, callerId: r.caller_id, state: r.state as SessionState,
    channelId: r.channel_id, endpoint: r.endpoint, variables, endReason: r.end_reason,
    dateCreated: r.date_created, dateAnswered: r.date_answered, dateEnded: r.date_ended,
    statusCallback: r.status_callback,
    statusCallbackEvents: r.status_callback_events === null ? null : JSON.parse(r.status_callback_events) as string[],
    ownerId: r.owner_id, leaseExpires: r.lease_expires,
  };
}

function isoBound(value: string, fieldName: string): string {
  const ms = Date.parse(value);
  if (Number.isNaN(ms)) {
    throw AppError.validation([{ fieldName, errorCode: 'InvalidDate', message: `${fieldName} must be an ISO 8601 date` }]);
  }
  return new Date(ms).toISOString();
}

/** Live sessions per account, kept from the writes (the database is read once, at open). */
class LiveSessions {
  private readonly accountOf = new Map<string, string>();
  private readonly perAccount = new Map<string, number>();

  add(sessionId: string, accountId: string): void {
    if (this.accountOf.has(sessionId)) return;
    this.accountOf.set(sessionId, accountId);
    this.perAccount.set(accountId, (this.perAccount.get(accountId) ?? 0) + 1);
  }

  remove(sessionId: string): void {
    const accountId = this.accountOf.get(sessionId);
    if (accountId === undefined) return;
    this.accountOf.delete(sessionId);
    const n = (this.perAccount.get(accountId) ?? 1) - 1;
    if (n <= 0) this.perAccount.delete(accountId);
    else this.perAccount.set(accountId, n);
  }

  has(sessionId: string): boolean {
    return this.accountOf.has(sessionId);
  }

  count(accountId: string): number {
    return this.perAccount.get(accountId) ?? 0;
  }
}

const LIVE_STATE_SET: ReadonlySet<string> = new Set(LIVE_STATES);

class SqliteStore implements Store {
  private readonly pendingBySession = new PendingWrites();
  private readonly live = new LiveSessions();
  /** Accounts whose row is committed: their sessions skip the INSERT OR IGNORE of the account. */
  private readonly knownAccounts = new Set<string>();

  private readonly accounts: AccountsRepo;
  private readonly numbers: PhoneNumbersRepo;
  private readonly flows: FlowsRepo;
  private readonly recordings: RecordingsRepo;
  private readonly idempotency: IdempotencyRepo;
  private readonly webhooks: WebhookStore;

  constructor(private readonly db: Db) {
    this.accounts = new AccountsRepo(db);
    this.numbers = new PhoneNumbersRepo(db);
    this.flows = new FlowsRepo(db);
    this.recordings = new RecordingsRepo(db, this.pendingBySession);
    this.idempotency = new IdempotencyRepo(db);
    this.webhooks = new WebhookStore(db, ensureAccountStep);
  }

  /** Loads the live sessions left by a previous run (before any write of this one). */
  async loadLiveSessions(): Promise<void> {
    const rows = await this.db.all<{ id: string; account_id: string }>(`SELECT id, account_id FROM sessions WHERE ${LIVE_SQL}`);
    for (const r of rows) this.live.add(r.id, r.account_id);
  }

  close(): Promise<void> {
    return this.db.close();
  }

  async isWritable(): Promise<boolean> {
    try {
      const at = now();
      return await this.db.transaction(async () => {
        await this.db.runRaw('INSERT OR REPLACE INTO health_probe (id, at) VALUES (1, ?)', [at]);
        const row = await this.db.get<{ at: string }>('SELECT at FROM health_probe WHERE id = 1');
        return row?.at === at;
      });
    } catch {
      return false;
    }
  }

  ensureAccount(...a: Parameters<Store['ensureAccount']>) { return this.accounts.ensureAccount(...a); }
  getAccount(...a: Parameters<Store['getAccount']>) { return this.accounts.getAccount(...a); }

  addPhoneNumber(...a: Parameters<Store['addPhoneNumber']>) { return this.numbers.addPhoneNumber(...a); }
  listPhoneNumbers(...a: Parameters<Store['listPhoneNumbers']>) { return this.numbers.listPhoneNumbers(...a); }
  getPhoneNumber(...a: Parameters<Store['getPhoneNumber']>) { return this.numbers.getPhoneNumber(...a); }
  findPhoneNumberByNumber(...a: Parameters<Store['findPhoneNumberByNumber']>) { return this.numbers.findPhoneNumberByNumber(...a); }
  phoneNumberCalled(...a: Parameters<Store['phoneNumberCalled']>) { return this.numbers.phoneNumberCalled(...a); }
  enabledNumbers(...a: Parameters<Store['enabledNumbers']>) { return this.numbers.enabledNumbers(...a); }
  updatePhoneNumber(...a: Parameters<Store['updatePhoneNumber']>) { return this.numbers.updatePhoneNumber(...a); }
  deletePhoneNumber(...a: Parameters<Store['deletePhoneNumber']>) { return this.numbers.deletePhoneNumber(...a); }

  createFlow(...a: Parameters<Store['createFlow']>) { return this.flows.createFlow(...a); }
  getFlow(...a: Parameters<Store['getFlow']>) { return this.flows.getFlow(...a); }
  listFlows(...a: Parameters<Store['listFlows']>) { return this.flows.listFlows(...a); }
  updateFlow(...a: Parameters<Store['updateFlow']>) { return this.flows.updateFlow(...a); }
  deleteFlow(...a: Parameters<Store['deleteFlow']>) { return this.flows.deleteFlow(...a); }

  // ---- sessions ----

  createSession(s: NewSession): Promise<Session> {
    return this.createSessionWith(s, {});
  }

  async createSessionWith(s: NewSession, unit: SessionUnit): Promise<Session> {
    const at = s.dateCreated ?? now();
    const insert: SqlStep = {
      sql: `INSERT INTO sessions (${SESSION_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, 'queued', ?, ?, NULL, ?, NULL, NULL, ?, ?, ?, ?, ?)`,
      params: [s.id, s.accountId, s.flowId, s.flowVersion, s.numberToDial, s.callerId, s.channelId, s.endpoint, at,
        s.statusCallback ?? null, s.statusCallbackEvents ? JSON.stringify(s.statusCallbackEvents) : null,
        s.owner?.id ?? null, s.owner?.leaseExpires ?? null, s.direction ?? 'outbound'],
    };
    const accountKnown = this.knownAccounts.has(s.accountId);
    // Counted at once: the API checks the live count before the next create of the account.
    const duplicate = this.live.has(s.id);
    if (!duplicate) this.live.add(s.id, s.accountId);
    const steps = accountKnown ? [insert] : [ensureAccountStep(s.accountId, at), insert];
    for (const { kind, row } of unitRows(s.id, unit, at)) steps.push(kind.one(row));
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
      leaseExpires: s.owner?.leaseExpires ?? null,
    };
  }

  recordSession(sessionId: string, unit: SessionUnit, urgent = false): Promise<void> {
    if (unit.change?.state !== undefined && !LIVE_STATE_SET.has(unit.change.state)) this.live.remove(sessionId);
    return this.pendingBySession.track(sessionId, this.db.enqueueUnit(unitRows(sessionId, unit, now()), urgent));
  }

  async lastSeq(sessionId: string): Promise<number> {
    await this.db.flush();
    const row = await this.db.get<{ n: number | null }>('SELECT MAX(seq) AS n FROM session_events WHERE session_id = ?', [sessionId]);
    return row?.n ?? 0;
  }

  renewLeases(ownerId: string, leaseExpires: string): Promise<void> {
    return this.db.exclusive(async () => {
      await this.db.runRaw(`UPDATE sessions SET lease_expires = ? WHERE owner_id = ? AND ${LIVE_SQL}`, [leaseExpires, ownerId]);
    });
  }

  async lastSeqs(sessionIds: readonly string[]): Promise<Map<string, number>> {
    await this.db.flush();
    const rows = await this.db.all<{ session_id: string; n: number }>(
      `SELECT session_id, MAX(seq) AS n FROM session_events WHERE session_id IN (SELECT value FROM json_each(?)) GROUP BY session_id`,
      [JSON.stringify(sessionIds)]);
    return new Map(rows.map((r) => [r.session_id, r.n]));
  }

  async takeOver(sessions: ReadonlyArray<{ id: string; previousOwner: string | null }>, ownerId: string, leaseExpires: string): Promise<string[]> {
    if (sessions.length === 0) return [];
    const rows = await this.db.exclusive(() => this.db.all<{ id: string }>(
      `UPDATE sessions SET owner_id = ?, lease_expires = ? FROM json_each(?) AS t
       WHERE sessions.id = t.value ->> 0 AND sessions.owner_id IS t.value ->> 1 AND ${LIVE_SQL.replace(/state/g, 'sessions.state')}
       RETURNING sessions.id AS id`,
      [ownerId, leaseExpires, JSON.stringify(sessions.map((s) => [s.id, s.previousOwner]))]));
    return rows.map((r) => r.id);
  }

  async owners(): Promise<string[]> {
    const rows = await this.db.all<{ owner: string }>(`SELECT DISTINCT owner_id AS owner FROM sessions WHERE owner_id IS NOT NULL AND ${LIVE_SQL}`);
    const claims = await this.webhooks.claimOwners();
    return [...new Set([...rows.map((r) => r.owner), ...claims])];
  }

  // ---- webhooks ----

  pendingDeliveries(): Promise<number> {
    return this.webhooks.pendingCount();
  }

  createWebhook(accountId: string, input: WebhookInput): Promise<Webhook> {
    return this.webhooks.create(accountId, input);
  }

  listWebhooks(accountId: string, request: PageRequest): Promise<Page<Webhook>> {
    return paged(request, (p) => this.webhooks.listHooks(accountId, p));
  }

  getWebhook(accountId: string, id: string): Promise<Webhook | undefined> {
    return this.webhooks.get(accountId, id);
  }

  updateWebhook(accountId: string, id: string, change: Partial<WebhookInput>): Promise<Webhook | undefined> {
    return this.webhooks.update(accountId, id, change);
  }

  deleteWebhook(accountId: string, id: string): Promise<boolean> {
    return this.webhooks.delete(accountId, id);
  }

  activeWebhooks(accountId: string): Promise<Webhook[]> {
    return this.webhooks.activeFor(accountId);
  }

  signingSecret(accountId: string): Promise<string> {
    return this.webhooks.signingSecret(accountId);
  }

  claimDeliveries(workerId: string, at: string, claimExpires: string, limit: number): Promise<ClaimedDelivery[]> {
    return this.webhooks.claim(workerId, at, claimExpires, limit);
  }

  renewClaims(workerId: string, claimExpires: string): Promise<void> {
    return this.webhooks.renewClaims(workerId, claimExpires);
  }

  releaseClaims(workerIds: string[]): Promise<void> {
    return this.webhooks.releaseClaims(workerIds);
  }

  recordAttempt(attempt: AttemptRecord): Promise<void> {
    return this.webhooks.recordAttempt(attempt);
  }

  listDeliveries(accountId: string, filter: { webhookId?: string; sessionId?: string }, request: PageRequest): Promise<Page<WebhookDelivery>> {
    return paged(request, (p) => this.webhooks.listDeliveries(accountId, filter, p));
  }

  async getSession(accountId: string | undefined, id: string): Promise<Session | undefined> {
    if (this.pendingBySession.has(id)) await this.db.flush();
    const row = accountId === undefined
      ? await this.db.get<SessionRow>(`SELECT ${SESSION_COLUMNS} FROM sessions WHERE id = ?`, [id])
      : await this.db.get<SessionRow>(`SELECT ${SESSION_COLUMNS} FROM sessions WHERE id = ? AND account_id = ?`, [id, accountId]);
    if (!row) return undefined;
    const [session] = await this.withVariables([row]);
    return session;
  }

  listRecordings(...a: Parameters<Store['listRecordings']>) { return this.recordings.listRecordings(...a); }
  getRecording(...a: Parameters<Store['getRecording']>) { return this.recordings.getRecording(...a); }
  markRecordingDeleted(...a: Parameters<Store['markRecordingDeleted']>) { return this.recordings.markRecordingDeleted(...a); }
  recordingsCreatedBefore(...a: Parameters<Store['recordingsCreatedBefore']>) { return this.recordings.recordingsCreatedBefore(...a); }

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
    return pageOf(await this.withVariables(rows), count?.n ?? 0, page, size);
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
    return this.pendingBySession.track(sessionId, this.db.enqueueRow(EVENT_ROWS, { sessionId, at, type, json }));
  }

  async listSessionEvents(sessionId: string): Promise<SessionEvent[]> {
    if (this.pendingBySession.has(sessionId)) await this.db.flush();
    const rows = await this.db.all<EventRow>(
      'SELECT session_id, seq, at, type, data FROM session_events WHERE session_id = ? ORDER BY seq', [sessionId]);
    return rows.map((r) => ({
      seq: r.seq, sessionId: r.session_id, at: r.at, type: r.type, data: JSON.parse(r.data) as Record<string, unknown>,
    }));
  }

  async sessionsWithEventsSince(accountId: string, at: string, limit: number): Promise<string[]> {
    await this.db.flush();
    const rows = await this.db.all<{ session_id: string }>(
      `SELECT e.session_id, MIN(e.at) AS first FROM session_events e JOIN sessions s ON s.id = e.session_id
       WHERE s.account_id = ? AND e.at >= ? GROUP BY e.session_id ORDER BY first LIMIT ?`, [accountId, at, limit]);
    return rows.map((r) => r.session_id);
  }

  async listLiveSessionsNotOwnedBy(ownerId: string): Promise<Session[]> {
    await this.db.flush();
    const rows = await this.db.all<SessionRow>(
      `SELECT ${SESSION_COLUMNS} FROM sessions WHERE ${LIVE_SQL} AND owner_id IS NOT ? ORDER BY date_created, rowid`, [ownerId]);
    return this.withVariables(rows);
  }

  async listLiveSessions(): Promise<Session[]> {
    await this.db.flush();
    const rows = await this.db.all<SessionRow>(
      `SELECT ${SESSION_COLUMNS} FROM sessions WHERE ${LIVE_SQL} ORDER BY date_created, rowid`);
    return this.withVariables(rows);
  }

  /** From memory: exact while this process is the only writer of the sessions table. */
  countLiveSessions(accountId: string): Promise<number> {
    return Promise.resolve(this.live.count(accountId));
  }

  private async withVariables(rows: SessionRow[]): Promise<Session[]> {
    if (rows.length === 0) return [];
    const byId = new Map<string, Record<string, string>>();
    for (const r of rows) byId.set(r.id, {});
    // One statement text whatever the number of ids (statements are cached by text).
    const vars = await this.db.all<VariableRow>(
      'SELECT session_id, name, value FROM session_variables WHERE session_id IN (SELECT value FROM json_each(?))',
      [JSON.stringify([...byId.keys()])]);
    for (const v of vars) {
      const bag = byId.get(v.session_id);
      if (bag) bag[v.name] = v.value;
    }
    return rows.map((r) => toSession(r, byId.get(r.id) ?? {}));
  }

  // ---- idempotency ----

  getIdempotentSession(...a: Parameters<Store['getIdempotentSession']>) { return this.idempotency.getIdempotentSession(...a); }
  saveIdempotentSession(...a: Parameters<Store['saveIdempotentSession']>) { return this.idempotency.saveIdempotentSession(...a); }
}

/**
 * Opens (creating folder and file if needed) and migrates the database. WAL with
 * synchronous=NORMAL: a commit survives a process crash (SIGKILL); only an OS crash or power
 * loss may drop the last commits.
 */
export interface SqliteStoreOptions {
  /** How long session rows may wait for their commit (default 50 ms; 0: the next tick). */
  rowCommitDelayMs?: number;
}

/**
 * SQLite answers SQLITE_BUSY at once, without its busy handler, when two connections switch a new
 * file to WAL together (one holds the lock while it creates the -wal file): retried here.
 */
async function busyRetried<T>(fn: () => Promise<T>): Promise<T> {
  const deadline = Date.now() + BUSY_TIMEOUT_MS;
  for (let delayMs = 5; ; delayMs = Math.min(delayMs * 2, 100)) {
    try {
      return await fn();
    } catch (err) {
      if ((err as { code?: string }).code !== 'SQLITE_BUSY' || Date.now() > deadline) throw err;
      await new Promise((r) => setTimeout(r, delayMs));
    }
  }
}

export async function openSqliteStore(path: string, options: SqliteStoreOptions = {}): Promise<Store> {
  const inMemory = path === ':memory:' || path === '';
  if (!inMemory && !path.startsWith('file:')) mkdirSync(dirname(path), { recursive: true });
  const db = await Db.open(path);
  try {
    db.configureBusyTimeout(BUSY_TIMEOUT_MS);
    db.configureRowCommitDelay(options.rowCommitDelayMs ?? DEFAULT_ROW_COMMIT_DELAY_MS);
    if (!inMemory) {
      const mode = await busyRetried(() => db.get<{ journal_mode: string }>('PRAGMA journal_mode = WAL'));
      if (mode?.journal_mode !== 'wal') throw new Error(`cannot switch ${path} to WAL mode (got ${mode?.journal_mode ?? 'nothing'})`);
    }
    await db.get('PRAGMA synchronous = NORMAL');
    await db.get('PRAGMA foreign_keys = ON');
    await migrate(db);
  } catch (err) {
    await db.close().catch(() => undefined);
    throw err;
  }
  const store = new SqliteStore(db);
  try {
    await store.loadLiveSessions();
  } catch (err) {
    await db.close().catch(() => undefined);
    throw err;
  }
  return store;
}
