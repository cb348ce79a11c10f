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
  Account, Flow, Page, PageRequest, PhoneNumber, Recording, Session, SessionEvent, SessionState, Webhook, WebhookDelivery,
} from '../domain/model.js';
import { LIVE_STATES } from '../domain/model.js';
import type { FlowDocument } from '../domain/flow.js';
import { AppError } from '../domain/errors.js';
import type {
  AttemptRecord, ClaimedDelivery, NewSession, SessionFilter, SessionUnit, SessionUpdate, Store, WebhookInput,
} from './store.js';
import { Db, isConstraintError, type Row, type RowKind, type SqlStep, type SqlValue } from './db.js';
import { unitRows } from './session-units.js';
import { WebhookStore } from './webhook-store.js';
import { ExtensionsRepo } from './extensions-repo.js';
import { AccountSettingsRepo } from './account-settings-repo.js';
import { migrate } from './migrations.js';
import { now } from './clock.js';
import { idFilter, orderBy, pageOf, paged, paging, type CountRow } from './paging.js';
import { PendingWrites } from './pending-writes.js';
import { CACHED_ROWS, ReadCache } from './read-cache.js';

const BUSY_TIMEOUT_MS = 5000;
/**
 * Timeline events, variables and state updates wait up to this long for the next commit, so
 * that one commit carries many rows. Nobody awaits them but `ended$` (and reads, which commit
 * the session's queued writes first); a crash may lose the rows of this last window.
 */
const DEFAULT_ROW_COMMIT_DELAY_MS = 50;
const IDEMPOTENCY_TTL_MS = 24 * 60 * 60 * 1000;

const LIVE_SQL = `state IN (${LIVE_STATES.map((s) => `'${s}'`).join(', ')})`;

const SESSION_COLUMNS = `id, account_id, flow_id, flow_version, number_to_dial, caller_id, state, channel_id,
  endpoint, end_reason, date_created, date_answered, date_ended, status_callback, status_callback_events, owner_id, lease_expires, direction`;

const FLOW_SELECT = `SELECT f.id, f.account_id, f.date_created, v.version, v.name, v.document,
  v.date_created AS version_created
  FROM flows f JOIN flow_versions v ON v.flow_id = f.id`;

interface AccountRow extends Row { id: string; name: string; date_created: string }
interface PhoneNumberRow extends Row {
  id: string; account_id: string; number: string; name: string; enabled: number; inbound_flow_id: string | null;
  date_created: string; date_modified: string;
}
interface FlowRow extends Row {
  id: string; account_id: string; date_created: string; version: number; name: string; document: string; version_created: string;
}
interface SessionRow extends Row {
  id: string; account_id: string; flow_id: string; flow_version: number; number_to_dial: string; caller_id: string;
  state: string; channel_id: string; endpoint: string; end_reason: string | null; date_created: string;
  date_answered: string | null; date_ended: string | null;
  status_callback: string | null; status_callback_events: string | null; owner_id: string | null; lease_expires: string | null;
  direction: string;
}
const RECORDING_COLUMNS = 'id, account_id, session_id, step_id, format, duration_sec, date_created';
interface RecordingRow extends Row {
  id: string; account_id: string; session_id: string; step_id: string | null; format: string; duration_sec: number | null; date_created: string;
}

function recordingFromRow(r: RecordingRow): Recording {
  return {
    id: r.id, accountId: r.account_id, sessionId: r.session_id, ...(r.step_id ? { stepId: r.step_id } : {}),
    format: r.format, ...(r.duration_sec !== null ? { durationSec: Number(r.duration_sec) } : {}), dateCreated: r.date_created,
  };
}

interface VariableRow extends Row { session_id: string; name: string; value: string }
interface EventRow extends Row { session_id: string; seq: number; at: string; type: string; data: string }

function toAccount(r: AccountRow): Account {
  return { id: r.id, name: r.name, dateCreated: r.date_created };
}

function toPhoneNumber(r: PhoneNumberRow): PhoneNumber {
  return {
    id: r.id, accountId: r.account_id, number: r.number, name: r.name, enabled: r.enabled === 1,
    inboundFlowId: r.inbound_flow_id, dateCreated: r.date_created, dateModified: r.date_modified,
  };
}

function toFlow(r: FlowRow): Flow {
  // Our own JSON, written from a validated document.
  const document = JSON.parse(r.document) as FlowDocument;
  return {
    id: r.id, accountId: r.account_id, name: r.name, version: r.version, document,
    dateCreated: r.date_created, dateModified: r.version_created,
  };
}

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

function idempotencyKeyOf(accountId: string, key: string): string {
  return `${accountId}\u0000${key}`;
}

function ensureAccountStep(accountId: string, at: string): SqlStep {
  // Accounts come from token claims; the first write of an account creates its row.
  return { sql: 'INSERT OR IGNORE INTO accounts (id, name, date_created) VALUES (?, ?, ?)', params: [accountId, accountId, at] };
}

interface EventWrite { sessionId: string; at: string; type: string; json: string }
interface VariableWrite { sessionId: string; name: string; value: string }
interface SessionChange extends SessionUpdate { sessionId: string }

/**
 * seq = the session's stored maximum + the event's rank among that session's rows of the
 * statement. SQLite evaluates the SELECT in full before inserting (it reads the table it inserts
 * into), so the maximum is the one before the statement.
 */
const EVENT_ROWS: RowKind<EventWrite> = {
  rank: 1,
  many(rows) {
    const ordinal = new Map<string, number>();
    const packed = rows.map((r) => {
      const n = (ordinal.get(r.sessionId) ?? 0) + 1;
      ordinal.set(r.sessionId, n);
      return [r.sessionId, n, r.at, r.type, r.json];
    });
    return {
      sql: `INSERT INTO session_events (session_id, seq, at, type, data)
            SELECT e.value ->> 0,
              (SELECT COALESCE(MAX(seq), 0) FROM session_events WHERE session_id = e.value ->> 0) + (e.value ->> 1),
              e.value ->> 2, e.value ->> 3, e.value ->> 4
            FROM json_each(?) AS e`,
      params: [JSON.stringify(packed)],
    };
  },
  one(r) {
    return {
      sql: `INSERT INTO session_events (session_id, seq, at, type, data)
            VALUES (?, (SELECT COALESCE(MAX(seq), 0) + 1 FROM session_events WHERE session_id = ?), ?, ?, ?)`,
      params: [r.sessionId, r.sessionId, r.at, r.type, r.json],
    };
  },
};

/** Rows are upserted in order, so the last value of a name in a commit wins. */
const VARIABLE_ROWS: RowKind<VariableWrite> = {
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
const SESSION_CHANGES: RowKind<SessionChange> = {
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

const UNIT_KINDS = { change: SESSION_CHANGES as RowKind<unknown>, variable: VARIABLE_ROWS as RowKind<unknown> };

class SqliteStore implements Store {
  private readonly pendingBySession = new PendingWrites();
  private readonly pendingIdempotency = new PendingWrites();
  private readonly live = new LiveSessions();
  /** Accounts whose row is committed: their sessions skip the INSERT OR IGNORE of the account. */
  private readonly knownAccounts = new Set<string>();
  private readonly currentFlows = new ReadCache<Flow>(CACHED_ROWS);
  private readonly ownedNumbers = new ReadCache<PhoneNumber>(CACHED_ROWS);

  private readonly webhooks: WebhookStore;
  private readonly extensions: ExtensionsRepo;
  private readonly settings: AccountSettingsRepo;

  constructor(private readonly db: Db) {
    this.webhooks = new WebhookStore(db, ensureAccountStep);
    this.extensions = new ExtensionsRepo(db, ensureAccountStep);
    this.settings = new AccountSettingsRepo(db, ensureAccountStep);
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

  // ---- accounts ----

  async ensureAccount(id: string, name: string): Promise<Account> {
    const account = await this.db.transaction(async () => {
      await this.db.runRaw('INSERT OR IGNORE INTO accounts (id, name, date_created) VALUES (?, ?, ?)', [id, name, now()]);
      return this.getAccount(id);
    });
    if (!account) throw new Error(`account ${id} was not stored`);
    return account;
  }

  async getAccount(id: string): Promise<Account | undefined> {
    const row = await this.db.get<AccountRow>('SELECT id, name, date_created FROM accounts WHERE id = ?', [id]);
    return row && toAccount(row);
  }

  // ---- phone numbers ----

  async addPhoneNumber(accountId: string, number: string, name: string, enabled: boolean, inboundFlowId: string | null = null): Promise<PhoneNumber | 'duplicate'> {
    const id = randomUUID();
    const at = now();
    try {
      await this.ownedNumbers.writing(() => this.db.transaction(async () => {
        const ensure = ensureAccountStep(accountId, at);
        await this.db.runRaw(ensure.sql, ensure.params);
        await this.db.runRaw(
          'INSERT INTO phone_numbers (id, account_id, number, name, enabled, inbound_flow_id, date_created, date_modified) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
          [id, accountId, number, name, enabled ? 1 : 0, inboundFlowId, at, at]);
      }));
    } catch (err) {
      if (isConstraintError(err)) return 'duplicate';
      throw err;
    }
    return { id, accountId, number, name, enabled, inboundFlowId, dateCreated: at, dateModified: at };
  }

  async listPhoneNumbers(accountId: string, request: PageRequest): Promise<Page<PhoneNumber>> {
    const { page, size, offset } = paging(request);
    const ids = idFilter(request, 'id');
    const order = orderBy(request, { dateCreated: 'date_created', number: 'number', name: 'name' }, 'date_created, rowid', 'rowid');
    const count = await this.db.get<CountRow>(`SELECT COUNT(*) AS n FROM phone_numbers WHERE account_id = ?${ids.sql}`, [accountId, ...ids.params]);
    const rows = await this.db.all<PhoneNumberRow>(
      `SELECT * FROM phone_numbers WHERE account_id = ?${ids.sql} ORDER BY ${order} LIMIT ? OFFSET ?`,
      [accountId, ...ids.params, size, offset]);
    return pageOf(rows.map(toPhoneNumber), count?.n ?? 0, page, size);
  }

  async getPhoneNumber(accountId: string, id: string): Promise<PhoneNumber | undefined> {
    const row = await this.db.get<PhoneNumberRow>('SELECT * FROM phone_numbers WHERE id = ? AND account_id = ?', [id, accountId]);
    return row && toPhoneNumber(row);
  }

  async findPhoneNumberByNumber(accountId: string, number: string): Promise<PhoneNumber | undefined> {
    return this.ownedNumbers.read(`${accountId}\n${number}`, async () => {
      const row = await this.db.get<PhoneNumberRow>(
        'SELECT * FROM phone_numbers WHERE number = ? AND account_id = ?', [number, accountId]);
      return row && toPhoneNumber(row);
    });
  }

  async phoneNumberCalled(number: string): Promise<PhoneNumber | undefined> {
    const row = await this.db.get<PhoneNumberRow>('SELECT * FROM phone_numbers WHERE number = ?', [number]);
    return row && toPhoneNumber(row);
  }

  async enabledNumbers(accountId: string): Promise<PhoneNumber[]> {
    const rows = await this.db.all<PhoneNumberRow>(
      'SELECT * FROM phone_numbers WHERE account_id = ? AND enabled = 1 ORDER BY date_created, rowid', [accountId]);
    return rows.map(toPhoneNumber);
  }

  async updatePhoneNumber(accountId: string, id: string, change: { name?: string; enabled?: boolean; inboundFlowId?: string | null }): Promise<PhoneNumber | undefined> {
    return this.ownedNumbers.writing(() => this.db.transaction(async () => {
      // inboundFlowId: undefined keeps it, null clears it.
      const changed = await this.db.runRaw(
        `UPDATE phone_numbers SET name = COALESCE(?, name), enabled = COALESCE(?, enabled),
         inbound_flow_id = CASE WHEN ? THEN ? ELSE inbound_flow_id END, date_modified = ?
         WHERE id = ? AND account_id = ?`,
        [change.name ?? null, change.enabled === undefined ? null : change.enabled ? 1 : 0,
          change.inboundFlowId === undefined ? 0 : 1, change.inboundFlowId ?? null, now(), id, accountId]);
      return changed === 0 ? undefined : this.getPhoneNumber(accountId, id);
    }));
  }

  async deletePhoneNumber(accountId: string, id: string): Promise<boolean> {
    const changed = await this.ownedNumbers.writing(() => this.db.transaction(() => this.db.runRaw(
      'DELETE FROM phone_numbers WHERE id = ? AND account_id = ?', [id, accountId])));
    return changed > 0;
  }

  // ---- lab extensions and account settings (their repositories) ----

  addExtension: Store['addExtension'] = (accountId, input) => this.extensions.addExtension(accountId, input);
  listExtensions: Store['listExtensions'] = (accountId, page) => this.extensions.listExtensions(accountId, page);
  getExtension: Store['getExtension'] = (accountId, id) => this.extensions.getExtension(accountId, id);
  extensionCalled: Store['extensionCalled'] = (extension) => this.extensions.extensionCalled(extension);
  updateExtension: Store['updateExtension'] = (accountId, id, change) => this.extensions.updateExtension(accountId, id, change);
  deleteExtension: Store['deleteExtension'] = (accountId, id) => this.extensions.deleteExtension(accountId, id);
  getAccountSettings: Store['getAccountSettings'] = (accountId) => this.settings.getAccountSettings(accountId);
  updateAccountSettings: Store['updateAccountSettings'] = (accountId, change) => this.settings.updateAccountSettings(accountId, change);

  // ---- flows ----

  /**
   * With an `id` (seeded flows): refused with a conflict when a flow has it, except a deleted
   * flow of the same account, which comes back with the document as its next version (its old
   * versions stay for the sessions that ran them).
   */
  async createFlow(accountId: string, document: FlowDocument, id: string = randomUUID()): Promise<Flow> {
    const at = now();
    const json = JSON.stringify(document);
    const flow = await this.currentFlows.writing(() => this.db.transaction(async () => {
      const existing = await this.db.get<{ account_id: string; current_version: number; date_deleted: string | null }>(
        'SELECT account_id, current_version, date_deleted FROM flows WHERE id = ?', [id]);
      if (existing && (existing.account_id !== accountId || existing.date_deleted === null)) {
        throw new AppError('conflict', 'Conflict', `A flow with id ${id} already exists`);
      }
      const ensure = ensureAccountStep(accountId, at);
      await this.db.runRaw(ensure.sql, ensure.params);
      const next = existing ? existing.current_version + 1 : 1;
      if (existing) {
        await this.db.runRaw('UPDATE flows SET current_version = ?, date_modified = ?, date_deleted = NULL WHERE id = ?', [next, at, id]);
      } else {
        await this.db.runRaw(
          'INSERT INTO flows (id, account_id, current_version, date_created, date_modified) VALUES (?, ?, 1, ?, ?)',
          [id, accountId, at, at]);
      }
      await this.db.runRaw(
        'INSERT INTO flow_versions (flow_id, version, name, document, date_created) VALUES (?, ?, ?, ?, ?)',
        [id, next, document.name, json, at]);
      return this.getFlow(accountId, id, next);
    }));
    if (!flow) throw new Error(`flow ${id} was not stored`);
    return flow;
  }

  /**
   * Without a version: the latest version of a flow that is not deleted. With a version: that
   * stored version, even of a deleted flow (sessions keep referring to what they ran).
   */
  async getFlow(accountId: string, id: string, version?: number): Promise<Flow | undefined> {
    if (version !== undefined) {
      const row = await this.db.get<FlowRow>(`${FLOW_SELECT} AND v.version = ? WHERE f.id = ? AND f.account_id = ?`, [version, id, accountId]);
      return row && toFlow(row);
    }
    return this.currentFlows.read(`${accountId}\n${id}`, async () => {
      const row = await this.db.get<FlowRow>(
        `${FLOW_SELECT} AND v.version = f.current_version WHERE f.id = ? AND f.account_id = ? AND f.date_deleted IS NULL`,
        [id, accountId]);
      return row && toFlow(row);
    });
  }

  async listFlows(accountId: string, request: PageRequest): Promise<Page<Flow>> {
    const { page, size, offset } = paging(request);
    const ids = idFilter(request, 'f.id');
    const order = orderBy(request, { dateCreated: 'f.date_created', name: 'v.name' }, 'f.date_created, f.rowid', 'f.rowid');
    const count = await this.db.get<CountRow>(
      `SELECT COUNT(*) AS n FROM flows f WHERE f.account_id = ? AND f.date_deleted IS NULL${ids.sql}`, [accountId, ...ids.params]);
    const rows = await this.db.all<FlowRow>(
      `${FLOW_SELECT} AND v.version = f.current_version WHERE f.account_id = ? AND f.date_deleted IS NULL${ids.sql}
       ORDER BY ${order} LIMIT ? OFFSET ?`,
      [accountId, ...ids.params, size, offset]);
    return pageOf(rows.map(toFlow), count?.n ?? 0, page, size);
  }

  async updateFlow(accountId: string, id: string, document: FlowDocument): Promise<Flow | undefined> {
    const at = now();
    return this.currentFlows.writing(() => this.db.transaction(async () => {
      const current = await this.db.get<{ current_version: number }>(
        'SELECT current_version FROM flows WHERE id = ? AND account_id = ? AND date_deleted IS NULL', [id, accountId]);
      if (!current) return undefined;
      const next = current.current_version + 1;
      await this.db.runRaw(
        'INSERT INTO flow_versions (flow_id, version, name, document, date_created) VALUES (?, ?, ?, ?, ?)',
        [id, next, document.name, JSON.stringify(document), at]);
      await this.db.runRaw('UPDATE flows SET current_version = ?, date_modified = ? WHERE id = ?', [next, at, id]);
      return this.getFlow(accountId, id, next);
    }));
  }

  async deleteFlow(accountId: string, id: string): Promise<boolean> {
    const changed = await this.currentFlows.writing(() => this.db.transaction(() => this.db.runRaw(
      'UPDATE flows SET date_deleted = ? WHERE id = ? AND account_id = ? AND date_deleted IS NULL', [now(), id, accountId])));
    return changed > 0;
  }

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
    for (const { kind, row } of unitRows(s.id, unit, UNIT_KINDS, at)) steps.push(kind.one(row));
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
    return this.pendingBySession.track(sessionId, this.db.enqueueUnit(unitRows(sessionId, unit, UNIT_KINDS, now()), urgent));
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

  async listRecordings(accountId: string, sessionId: string): Promise<Recording[]> {
    if (this.pendingBySession.has(sessionId)) await this.db.flush();
    const rows = await this.db.all<RecordingRow>(`SELECT ${RECORDING_COLUMNS} FROM recordings
      WHERE session_id = ? AND account_id = ? AND date_deleted IS NULL ORDER BY date_created, id`, [sessionId, accountId]);
    return rows.map(recordingFromRow);
  }

  async getRecording(accountId: string, id: string): Promise<Recording | undefined> {
    const row = await this.db.get<RecordingRow>(`SELECT ${RECORDING_COLUMNS} FROM recordings
      WHERE id = ? AND account_id = ? AND date_deleted IS NULL`, [id, accountId]);
    return row ? recordingFromRow(row) : undefined;
  }

  async markRecordingDeleted(accountId: string, id: string, at: string): Promise<boolean> {
    const changed = await this.db.transaction(() => this.db.runRaw(
      'UPDATE recordings SET date_deleted = ? WHERE id = ? AND account_id = ? AND date_deleted IS NULL', [at, id, accountId]));
    return changed > 0;
  }

  async recordingsCreatedBefore(before: string, limit: number): Promise<Recording[]> {
    const rows = await this.db.all<RecordingRow>(`SELECT ${RECORDING_COLUMNS} FROM recordings
      WHERE date_deleted IS NULL AND date_created < ? ORDER BY date_created LIMIT ?`, [before, limit]);
    return rows.map(recordingFromRow);
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

  async getIdempotentSession(accountId: string, key: string): Promise<{ sessionId: string; requestHash: string } | undefined> {
    if (this.pendingIdempotency.has(idempotencyKeyOf(accountId, key))) await this.db.flush();
    const row = await this.db.get<{ session_id: string; request_hash: string }>(
      'SELECT session_id, request_hash FROM idempotency_keys WHERE account_id = ? AND key = ? AND date_created >= ?',
      [accountId, key, new Date(Date.now() - IDEMPOTENCY_TTL_MS).toISOString()]);
    return row && { sessionId: row.session_id, requestHash: row.request_hash };
  }

  /** The first save of a live key wins; an expired key is taken over. Expired keys are purged. */
  async saveIdempotentSession(accountId: string, key: string, requestHash: string, sessionId: string): Promise<void> {
    const at = now();
    const cutoff = new Date(Date.now() - IDEMPOTENCY_TTL_MS).toISOString();
    await this.pendingIdempotency.track(idempotencyKeyOf(accountId, key), this.db.enqueue([
      { sql: 'DELETE FROM idempotency_keys WHERE date_created < ?', params: [cutoff] },
      {
        sql: `INSERT INTO idempotency_keys (account_id, key, request_hash, session_id, date_created) VALUES (?, ?, ?, ?, ?)
              ON CONFLICT (account_id, key) DO UPDATE SET request_hash = excluded.request_hash,
                session_id = excluded.session_id, date_created = excluded.date_created
              WHERE idempotency_keys.date_created < ?`,
        params: [accountId, key, requestHash, sessionId, at, cutoff],
      },
    ]));
  }
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
