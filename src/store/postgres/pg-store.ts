// The Store over PostgreSQL, shared by several engine processes (issue 22): opening the pool,
// migrating under an advisory lock, and the Store composed of pg-catalog.ts (accounts, numbers,
// extensions, settings, flows), pg-sessions.ts (sessions, units, ownership, recordings) and
// pg-webhooks.ts (subscriptions and the outbox's deliveries). docs/postgresql.md says what holds.
import type { Store } from '../store.js';
import { now } from '../clock.js';
import { paged } from '../paging.js';
import { PgDb, describePgError, type PgOptions } from './pg-db.js';
import { migratePostgres } from './pg-migrate.js';
import { PgCatalog } from './pg-catalog.js';
import { PgSessions } from './pg-sessions.js';
import { PgUnitWriter } from './pg-unit-writer.js';
import { PgWebhooks } from './pg-webhooks.js';

export interface PostgresStoreOptions extends PgOptions {
  /** How long session units may wait for company before their commit (default 50 ms, as on SQLite; 0: next tick). */
  rowCommitDelayMs?: number;
  /** How long a live call's writes are held through an outage before it is given up (default 60 s). */
  outageHoldMs?: number;
  /** Units held in memory at most through an outage (default 100,000). */
  maxHeldUnits?: number;
  /** Told when the database becomes unreachable (the reason) and reachable again (undefined). */
  onAvailability?: (problem: string | undefined) => void;
}

/** Longest /ready probe: an unreachable database answers "not writable" within it. */
const PROBE_TIMEOUT_MS = 3000;

export async function openPostgresStore(options: PostgresStoreOptions): Promise<Store> {
  const db = new PgDb(options);
  try {
    await migratePostgres(db);
  } catch (err) {
    await db.close().catch(() => undefined);
    throw new Error(`PostgreSQL: ${describePgError(err)}`, { cause: err });
  }
  const units = new PgUnitWriter(db, {
    rowCommitDelayMs: options.rowCommitDelayMs ?? 50,
    holdMs: options.outageHoldMs ?? 60_000,
    maxHeldUnits: options.maxHeldUnits ?? 100_000,
    ...(options.onAvailability ? { onAvailability: options.onAvailability } : {}),
  });
  return composeStore(db, units);
}

function composeStore(db: PgDb, units: PgUnitWriter): Store {
  const catalog = new PgCatalog(db);
  const sessions = new PgSessions(db, units);
  const webhooks = new PgWebhooks(db, units);
  let probeProblem: string | undefined;

  const isWritable = async (): Promise<boolean> => {
    const probe = (async () => {
      const at = now();
      const row = await db.one<{ at: string }>(
        'INSERT INTO health_probe (id, at) VALUES (1, $1) ON CONFLICT (id) DO UPDATE SET at = excluded.at RETURNING at', [at]);
      return row?.at === at;
    })();
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer within ${PROBE_TIMEOUT_MS} ms`)), PROBE_TIMEOUT_MS);
    });
    try {
      const ok = await Promise.race([probe, timeout]);
      probeProblem = ok ? undefined : 'the write probe read back another value';
      return ok && units.unavailable === undefined;
    } catch (err) {
      probe.catch(() => undefined);
      probeProblem = describePgError(err);
      return false;
    } finally {
      clearTimeout(timer);
    }
  };

  return {
    close: async () => {
      await units.close();
      await db.close();
    },
    isWritable,
    databaseProblem: () => {
      const problem = units.unavailable ?? probeProblem;
      if (problem === undefined) return undefined;
      const held = units.held;
      return `PostgreSQL unreachable (${problem})${held > 0 ? `; ${held} writes held in memory` : ''}`;
    },

    ensureAccount: (id, name) => catalog.ensureAccount(id, name),
    getAccount: (id) => catalog.getAccount(id),
    addPhoneNumber: (accountId, number, name, enabled, inboundFlowId) => catalog.addPhoneNumber(accountId, number, name, enabled, inboundFlowId),
    listPhoneNumbers: (accountId, page) => catalog.listPhoneNumbers(accountId, page),
    getPhoneNumber: (accountId, id) => catalog.getPhoneNumber(accountId, id),
    findPhoneNumberByNumber: (accountId, number) => catalog.findPhoneNumberByNumber(accountId, number),
    enabledNumbers: (accountId) => catalog.enabledNumbers(accountId),
    phoneNumberCalled: (number) => catalog.phoneNumberCalled(number),
    updatePhoneNumber: (accountId, id, change) => catalog.updatePhoneNumber(accountId, id, change),
    deletePhoneNumber: (accountId, id) => catalog.deletePhoneNumber(accountId, id),
    addExtension: (accountId, input) => catalog.addExtension(accountId, input),
    listExtensions: (accountId, page) => catalog.listExtensions(accountId, page),
    getExtension: (accountId, id) => catalog.getExtension(accountId, id),
    extensionCalled: (extension) => catalog.extensionCalled(extension),
    updateExtension: (accountId, id, change) => catalog.updateExtension(accountId, id, change),
    deleteExtension: (accountId, id) => catalog.deleteExtension(accountId, id),
    getAccountSettings: (accountId) => catalog.getAccountSettings(accountId),
    updateAccountSettings: (accountId, change) => catalog.updateAccountSettings(accountId, change),
    createFlow: (accountId, document, id, createdBy) => catalog.createFlow(accountId, document, id, createdBy),
    getFlow: (accountId, id, version) => catalog.getFlow(accountId, id, version),
    listFlows: (accountId, page) => catalog.listFlows(accountId, page),
    updateFlow: (accountId, id, document, createdBy) => catalog.updateFlow(accountId, id, document, createdBy),
    deleteFlow: (accountId, id) => catalog.deleteFlow(accountId, id),

    createSessionWith: (session, unit, idempotency) => sessions.createSessionWith(session, unit, idempotency),
    recordSession: (sessionId, unit, urgent) => sessions.recordSession(sessionId, unit, urgent),
    getSession: (accountId, id) => sessions.getSession(accountId, id),
    listSessions: (accountId, filter, page) => sessions.listSessions(accountId, filter, page),
    listSessionEvents: (sessionId) => sessions.listSessionEvents(sessionId),
    getSessionDetail: (accountId, id) => sessions.getSessionDetail(accountId, id),
    sessionsWithEventsSince: (accountId, at, limit) => sessions.sessionsWithEventsSince(accountId, at, limit),
    listLiveSessions: () => sessions.listLiveSessions(),
    countLiveSessions: (accountId) => sessions.countLiveSessions(accountId),
    lastSeqs: (sessionIds) => sessions.lastSeqs(sessionIds),
    renewLeases: (ownerId, leaseExpires) => sessions.renewLeases(ownerId, leaseExpires),
    takeOver: (taken, ownerId, leaseExpires) => sessions.takeOver(taken, ownerId, leaseExpires),
    listLiveSessionsNotOwnedBy: (ownerId) => sessions.listLiveSessionsNotOwnedBy(ownerId),
    owners: async () => {
      const rows = await db.query<{ owner: string }>(
        "SELECT DISTINCT owner_id AS owner FROM sessions WHERE owner_id IS NOT NULL AND state IN ('queued', 'dialing', 'ringing', 'in-progress')");
      return [...new Set([...rows.map((r) => r.owner), ...await webhooks.claimOwners()])];
    },
    listRecordings: (accountId, sessionId) => sessions.listRecordings(accountId, sessionId),
    getRecording: (accountId, id) => sessions.getRecording(accountId, id),
    markRecordingDeleted: (accountId, id, at) => sessions.markRecordingDeleted(accountId, id, at),
    recordingsCreatedBefore: (before, limit) => sessions.recordingsCreatedBefore(before, limit),
    getIdempotentSession: (accountId, key) => sessions.getIdempotentSession(accountId, key),

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
  };
}
