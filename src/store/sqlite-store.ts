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
import { LiveSessions } from './live-sessions.js';
import { SessionOwnershipRepo } from './session-ownership-repo.js';
import { SessionReadsRepo } from './session-reads-repo.js';
import { SessionWritesRepo } from './session-writes-repo.js';
import { CACHED_ROWS, ReadCache } from './read-cache.js';

const BUSY_TIMEOUT_MS = 5000;
/**
 * Timeline events, variables and state updates wait up to this long for the next commit, so
 * that one commit carries many rows. Nobody awaits them but `ended$` (and reads, which commit
 * the session's queued writes first); a crash may lose the rows of this last window.
 */
const DEFAULT_ROW_COMMIT_DELAY_MS = 50;

class SqliteStore implements Store {
  private readonly pendingBySession = new PendingWrites();

  private readonly accounts: AccountsRepo;
  private readonly numbers: PhoneNumbersRepo;
  private readonly flows: FlowsRepo;
  private readonly sessions: SessionWritesRepo;
  private readonly sessionReads: SessionReadsRepo;
  private readonly ownership: SessionOwnershipRepo;
  private readonly recordings: RecordingsRepo;
  private readonly idempotency: IdempotencyRepo;
  private readonly webhooks: WebhookStore;

  constructor(private readonly db: Db, live: LiveSessions) {
    this.accounts = new AccountsRepo(db);
    this.numbers = new PhoneNumbersRepo(db);
    this.flows = new FlowsRepo(db);
    this.webhooks = new WebhookStore(db, ensureAccountStep);
    this.sessions = new SessionWritesRepo(db, this.pendingBySession, live);
    this.sessionReads = new SessionReadsRepo(db, this.pendingBySession, live);
    this.ownership = new SessionOwnershipRepo(db, this.webhooks);
    this.recordings = new RecordingsRepo(db, this.pendingBySession);
    this.idempotency = new IdempotencyRepo(db);
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

  createSession(...a: Parameters<Store['createSession']>) { return this.sessions.createSession(...a); }
  createSessionWith(...a: Parameters<Store['createSessionWith']>) { return this.sessions.createSessionWith(...a); }
  recordSession(...a: Parameters<Store['recordSession']>) { return this.sessions.recordSession(...a); }
  updateSession(...a: Parameters<Store['updateSession']>) { return this.sessions.updateSession(...a); }
  setSessionVariable(...a: Parameters<Store['setSessionVariable']>) { return this.sessions.setSessionVariable(...a); }
  appendSessionEvent(...a: Parameters<Store['appendSessionEvent']>) { return this.sessions.appendSessionEvent(...a); }

  getSession(...a: Parameters<Store['getSession']>) { return this.sessionReads.getSession(...a); }
  listSessions(...a: Parameters<Store['listSessions']>) { return this.sessionReads.listSessions(...a); }
  listSessionEvents(...a: Parameters<Store['listSessionEvents']>) { return this.sessionReads.listSessionEvents(...a); }
  sessionsWithEventsSince(...a: Parameters<Store['sessionsWithEventsSince']>) { return this.sessionReads.sessionsWithEventsSince(...a); }
  listLiveSessions(...a: Parameters<Store['listLiveSessions']>) { return this.sessionReads.listLiveSessions(...a); }
  countLiveSessions(...a: Parameters<Store['countLiveSessions']>) { return this.sessionReads.countLiveSessions(...a); }

  lastSeq(...a: Parameters<Store['lastSeq']>) { return this.ownership.lastSeq(...a); }
  lastSeqs(...a: Parameters<Store['lastSeqs']>) { return this.ownership.lastSeqs(...a); }
  renewLeases(...a: Parameters<Store['renewLeases']>) { return this.ownership.renewLeases(...a); }
  takeOver(...a: Parameters<Store['takeOver']>) { return this.ownership.takeOver(...a); }
  listLiveSessionsNotOwnedBy(...a: Parameters<Store['listLiveSessionsNotOwnedBy']>) { return this.ownership.listLiveSessionsNotOwnedBy(...a); }
  owners(...a: Parameters<Store['owners']>) { return this.ownership.owners(...a); }

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

  listRecordings(...a: Parameters<Store['listRecordings']>) { return this.recordings.listRecordings(...a); }
  getRecording(...a: Parameters<Store['getRecording']>) { return this.recordings.getRecording(...a); }
  markRecordingDeleted(...a: Parameters<Store['markRecordingDeleted']>) { return this.recordings.markRecordingDeleted(...a); }
  recordingsCreatedBefore(...a: Parameters<Store['recordingsCreatedBefore']>) { return this.recordings.recordingsCreatedBefore(...a); }

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
  let live: LiveSessions;
  try {
    live = await LiveSessions.load(db);
  } catch (err) {
    await db.close().catch(() => undefined);
    throw err;
  }
  return new SqliteStore(db, live);
}
