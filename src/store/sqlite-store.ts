// The Store over SQLite (better-sqlite3 package): opening the database, and the Store composed of one
// repository per entity, each with its row types, mapping and SQL (accounts-repo.ts,
// phone-numbers-repo.ts, flows-repo.ts, session-*-repo.ts, recordings-repo.ts, idempotency-repo.ts,
// webhook-store.ts).
// Everything is account-scoped: another account's rows read exactly like missing ones.
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Store } from './store.js';
import { Db } from './db.js';
import { migrate } from './migrations.js';
import { AccountsRepo, ensureAccountStep } from './accounts-repo.js';
import { now } from './clock.js';
import { FlowsRepo } from './flows-repo.js';
import { IdempotencyRepo } from './idempotency-repo.js';
import { LiveSessions } from './live-sessions.js';
import { paged } from './paging.js';
import { PendingWrites } from './pending-writes.js';
import { PhoneNumbersRepo } from './phone-numbers-repo.js';
import { RecordingsRepo } from './recordings-repo.js';
import { SessionOwnershipRepo } from './session-ownership-repo.js';
import { SessionReadsRepo } from './session-reads-repo.js';
import { SessionWritesRepo } from './session-writes-repo.js';
import { WebhookStore } from './webhook-store.js';
import { ExtensionsRepo } from './extensions-repo.js';
import { AccountSettingsRepo } from './account-settings-repo.js';

const BUSY_TIMEOUT_MS = 5000;
/**
 * Timeline events, variables and state updates wait up to this long for the next commit, so
 * that one commit carries many rows. Nobody awaits them but `ended$` (and reads, which commit
 * the session's queued writes first); a crash may lose the rows of this last window.
 */
const DEFAULT_ROW_COMMIT_DELAY_MS = 50;

export interface SqliteStoreOptions {
  /** How long session rows may wait for their commit (default 50 ms; 0: the next tick). */
  rowCommitDelayMs?: number;
}

/** The Store: every method is one of a repository's (`live`: the live sessions found at open). */
function composeStore(db: Db, live: LiveSessions): Store {
  /** The sessions' queued writes: a read of a session (or of its recordings) commits them first. */
  const pendingBySession = new PendingWrites();
  const accounts = new AccountsRepo(db);
  const numbers = new PhoneNumbersRepo(db);
  const flows = new FlowsRepo(db);
  const webhooks = new WebhookStore(db, ensureAccountStep);
  const sessions = new SessionWritesRepo(db, pendingBySession, live);
  const sessionReads = new SessionReadsRepo(db, pendingBySession, live);
  const ownership = new SessionOwnershipRepo(db, webhooks);
  const recordings = new RecordingsRepo(db, pendingBySession);
  const idempotency = new IdempotencyRepo(db);
  const extensions = new ExtensionsRepo(db, ensureAccountStep);
  const settings = new AccountSettingsRepo(db, ensureAccountStep);
  return {
    close: () => db.close(),
    isWritable: () => isWritable(db),
    // A file on this machine: a failing probe says it all.
    databaseProblem: () => undefined,

    ensureAccount: (id, name) => accounts.ensureAccount(id, name),
    getAccount: (id) => accounts.getAccount(id),

    addPhoneNumber: (accountId, number, name, enabled, inboundFlowId) => numbers.addPhoneNumber(accountId, number, name, enabled, inboundFlowId),
    listPhoneNumbers: (accountId, page) => numbers.listPhoneNumbers(accountId, page),
    getPhoneNumber: (accountId, id) => numbers.getPhoneNumber(accountId, id),
    findPhoneNumberByNumber: (accountId, number) => numbers.findPhoneNumberByNumber(accountId, number),
    enabledNumbers: (accountId) => numbers.enabledNumbers(accountId),
    phoneNumberCalled: (number) => numbers.phoneNumberCalled(number),
    updatePhoneNumber: (accountId, id, change) => numbers.updatePhoneNumber(accountId, id, change),
    deletePhoneNumber: (accountId, id) => numbers.deletePhoneNumber(accountId, id),

    addExtension: (accountId, input) => extensions.addExtension(accountId, input),
    listExtensions: (accountId, page) => extensions.listExtensions(accountId, page),
    getExtension: (accountId, id) => extensions.getExtension(accountId, id),
    extensionCalled: (extension) => extensions.extensionCalled(extension),
    updateExtension: (accountId, id, change) => extensions.updateExtension(accountId, id, change),
    deleteExtension: (accountId, id) => extensions.deleteExtension(accountId, id),
    getAccountSettings: (accountId) => settings.getAccountSettings(accountId),
    updateAccountSettings: (accountId, change) => settings.updateAccountSettings(accountId, change),
    createFlow: (accountId, document, id, createdBy) => flows.createFlow(accountId, document, id, createdBy),
    getFlow: (accountId, id, version) => flows.getFlow(accountId, id, version),
    listFlows: (accountId, page) => flows.listFlows(accountId, page),
    updateFlow: (accountId, id, document, createdBy) => flows.updateFlow(accountId, id, document, createdBy),
    deleteFlow: (accountId, id) => flows.deleteFlow(accountId, id),

    createSessionWith: (session, unit, idempotency) => sessions.createSessionWith(session, unit, idempotency),
    recordSession: (sessionId, unit, urgent) => sessions.recordSession(sessionId, unit, urgent),

    getSession: (accountId, id) => sessionReads.getSession(accountId, id),
    listSessions: (accountId, filter, page) => sessionReads.listSessions(accountId, filter, page),
    listSessionEvents: (sessionId) => sessionReads.listSessionEvents(sessionId),
    getSessionDetail: (accountId, id) => sessionReads.getSessionDetail(accountId, id),
    sessionsWithEventsSince: (accountId, at, limit) => sessionReads.sessionsWithEventsSince(accountId, at, limit),
    listLiveSessions: () => sessionReads.listLiveSessions(),
    countLiveSessions: (accountId) => sessionReads.countLiveSessions(accountId),

    lastSeqs: (sessionIds) => ownership.lastSeqs(sessionIds),
    renewLeases: (ownerId, leaseExpires) => ownership.renewLeases(ownerId, leaseExpires),
    takeOver: (taken, ownerId, leaseExpires) => ownership.takeOver(taken, ownerId, leaseExpires),
    listLiveSessionsNotOwnedBy: (ownerId) => ownership.listLiveSessionsNotOwnedBy(ownerId),
    owners: () => ownership.owners(),

    listRecordings: (accountId, sessionId) => recordings.listRecordings(accountId, sessionId),
    getRecording: (accountId, id) => recordings.getRecording(accountId, id),
    markRecordingDeleted: (accountId, id, at) => recordings.markRecordingDeleted(accountId, id, at),
    recordingsCreatedBefore: (before, limit) => recordings.recordingsCreatedBefore(before, limit),

    createWebhook: (accountId, input) => webhooks.create(accountId, input),
    listWebhooks: (accountId, page) => paged(page, (p) => webhooks.listHooks(accountId, p)),
    getWebhook: (accountId, id) => webhooks.get(accountId, id),
    updateWebhook: (accountId, id, change) => webhooks.update(accountId, id, change),
    deleteWebhook: (accountId, id) => webhooks.delete(accountId, id),
    activeWebhooks: (accountId) => webhooks.activeFor(accountId),
    signingSecret: (accountId) => webhooks.signingSecret(accountId),
    claimDeliveries: (workerId, at, claimExpires, limit) => webhooks.claim(workerId, at, claimExpires, limit),
    renewClaims: (workerId, claimExpires) => webhooks.renewClaims(workerId, claimExpires),
    releaseClaims: (workerIds) => webhooks.releaseClaims(workerIds),
    recordAttempt: (attempt) => webhooks.recordAttempt(attempt),
    pendingDeliveries: () => webhooks.pendingCount(),
    listDeliveries: (accountId, filter, page) => paged(page, (p) => webhooks.listDeliveries(accountId, filter, p)),

    getIdempotentSession: (accountId, key) => idempotency.getIdempotentSession(accountId, key),
  };
}

/** The /ready probe: a write and its read back, in one transaction. */
async function isWritable(db: Db): Promise<boolean> {
  try {
    const at = now();
    return await db.transaction(async () => {
      await db.runRaw('INSERT OR REPLACE INTO health_probe (id, at) VALUES (1, ?)', [at]);
      const row = await db.get<{ at: string }>('SELECT at FROM health_probe WHERE id = 1');
      return row?.at === at;
    });
  } catch {
    return false;
  }
}

/**
 * Opens (creating folder and file if needed) and migrates the database. WAL with
 * synchronous=NORMAL: a commit survives a process crash (SIGKILL); only an OS crash or power
 * loss may drop the last commits.
 */
export async function openSqliteStore(path: string, options: SqliteStoreOptions = {}): Promise<Store> {
  const inMemory = path === ':memory:' || path === '';
  if (!inMemory) mkdirSync(dirname(path), { recursive: true });
  const db = await Db.open(path);
  try {
    db.configureBusyTimeout(BUSY_TIMEOUT_MS);
    db.configureRowCommitDelay(options.rowCommitDelayMs ?? DEFAULT_ROW_COMMIT_DELAY_MS);
    if (!inMemory) {
      const mode = await db.get<{ journal_mode: string }>('PRAGMA journal_mode = WAL');
      if (mode?.journal_mode !== 'wal') throw new Error(`cannot switch ${path} to WAL mode (got ${mode?.journal_mode ?? 'nothing'})`);
    }
    await db.get('PRAGMA synchronous = NORMAL');
    // Savepoint journals and temporary b-trees in memory: on disk each commit opened, wrote,
    // and unlinked a temporary file (about one per call in the bench, 100+ system calls).
    await db.get('PRAGMA temp_store = MEMORY');
    await db.get('PRAGMA foreign_keys = ON');
    await migrate(db);
    if (!inMemory) {
      await db.openReader(path, BUSY_TIMEOUT_MS);
      db.startCheckpointer(path);
    }
    return composeStore(db, await LiveSessions.load(db));
  } catch (err) {
    await db.close().catch(() => undefined);
    throw err;
  }
}
