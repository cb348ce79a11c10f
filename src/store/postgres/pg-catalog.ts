// What an account configures, on PostgreSQL: the account row, phone numbers, lab extensions,
// account settings and flows (with their versions). The SQL of ../accounts-repo.ts,
// ../phone-numbers-repo.ts, ../extensions-repo.ts, ../account-settings-repo.ts and ../flows-repo.ts
// in PostgreSQL's words. No read cache here: other engines write these rows too.
import { randomUUID } from 'node:crypto';
import type { Account, AccountSettings, Extension, Flow, Page, PageRequest, PhoneNumber } from '../../domain/model.js';
import type { FlowDocument } from '../../domain/flow.js';
import { AppError } from '../../domain/errors.js';
import type { Store } from '../store.js';
import type { ExtensionChange, ExtensionStore, NewExtension } from '../extensions-repo.js';
import type { AccountSettingsStore, SettingsChange } from '../account-settings-repo.js';
import { now } from '../clock.js';
import { orderBy, pageOf, paging } from '../paging.js';
import { isUniqueViolation, type PgDb, type PgValue, type Queryable } from './pg-db.js';
import { FLOW_SELECT, toFlow, type FlowRow } from '../flow-rows.js';

/** The first write of an account creates its row (accounts come from token claims). */
export async function ensureAccountRow(q: Queryable, accountId: string, at: string): Promise<void> {
  await q.query('INSERT INTO accounts (id, name, date_created) VALUES ($1, $1, $2) ON CONFLICT (id) DO NOTHING', [accountId, at]);
}

/** `AND column = ANY($n)` for ListRequest.specificIds. */
function idFilter(request: PageRequest, column: string, params: PgValue[]): string {
  if (!request.ids) return '';
  params.push(request.ids);
  return ` AND ${column} = ANY($${params.length}::text[])`;
}

interface NumberRow {
  id: string; account_id: string; number: string; name: string; enabled: number; inbound_flow_id: string | null;
  date_created: string; date_modified: string;
}

const NUMBER_COLUMNS = 'id, account_id, number, name, enabled, inbound_flow_id, date_created, date_modified';

function toPhoneNumber(r: NumberRow): PhoneNumber {
  return {
    id: r.id, accountId: r.account_id, number: r.number, name: r.name, enabled: r.enabled === 1,
    inboundFlowId: r.inbound_flow_id, dateCreated: r.date_created, dateModified: r.date_modified,
  };
}

interface ExtensionRow extends Omit<NumberRow, 'number'> { extension: string }
const EXTENSION_COLUMNS = 'id, account_id, extension, name, enabled, inbound_flow_id, date_created, date_modified';

function toExtension(r: ExtensionRow): Extension {
  return {
    id: r.id, accountId: r.account_id, number: r.extension, name: r.name, enabled: r.enabled === 1,
    inboundFlowId: r.inbound_flow_id, dateCreated: r.date_created, dateModified: r.date_modified,
  };
}

function flag(value: boolean | undefined): number | null {
  return value === undefined ? null : value ? 1 : 0;
}

type CatalogMethods = 'ensureAccount' | 'getAccount' | 'addPhoneNumber' | 'listPhoneNumbers' | 'getPhoneNumber' | 'findPhoneNumberByNumber'
  | 'enabledNumbers' | 'phoneNumberCalled' | 'updatePhoneNumber' | 'deletePhoneNumber'
  | 'createFlow' | 'getFlow' | 'listFlows' | 'updateFlow' | 'deleteFlow';

export class PgCatalog implements Pick<Store, CatalogMethods>, ExtensionStore, AccountSettingsStore {
  constructor(private readonly db: PgDb) {}

  async ensureAccount(id: string, name: string): Promise<Account> {
    await this.db.run('INSERT INTO accounts (id, name, date_created) VALUES ($1, $2, $3) ON CONFLICT (id) DO NOTHING', [id, name, now()]);
    const account = await this.getAccount(id);
    if (!account) throw new Error(`account ${id} was not stored`);
    return account;
  }

  async getAccount(id: string): Promise<Account | undefined> {
    const r = await this.db.one<{ id: string; name: string; date_created: string }>('SELECT id, name, date_created FROM accounts WHERE id = $1', [id]);
    return r && { id: r.id, name: r.name, dateCreated: r.date_created };
  }

  async addPhoneNumber(accountId: string, number: string, name: string, enabled: boolean, inboundFlowId: string | null = null): Promise<PhoneNumber | 'duplicate'> {
    const id = randomUUID();
    const at = now();
    try {
      await this.db.transaction(async (q) => {
        await ensureAccountRow(q, accountId, at);
        await q.query(`INSERT INTO phone_numbers (${NUMBER_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $7)`,
          [id, accountId, number, name, enabled ? 1 : 0, inboundFlowId, at]);
      });
    } catch (err) {
      // The UNIQUE number, across accounts and engines.
      if (isUniqueViolation(err)) return 'duplicate';
      throw err;
    }
    return { id, accountId, number, name, enabled, inboundFlowId, dateCreated: at, dateModified: at };
  }

  async listPhoneNumbers(accountId: string, request: PageRequest): Promise<Page<PhoneNumber>> {
    const { page, size, offset } = paging(request);
    const params: PgValue[] = [accountId];
    const ids = idFilter(request, 'id', params);
    const order = orderBy(request, { dateCreated: 'date_created', number: 'number', name: 'name' }, 'date_created, rowid', 'rowid');
    const count = await this.db.one<{ n: number }>(`SELECT COUNT(*) AS n FROM phone_numbers WHERE account_id = $1${ids}`, params);
    const rows = await this.db.query<NumberRow>(
      `SELECT ${NUMBER_COLUMNS} FROM phone_numbers WHERE account_id = $1${ids} ORDER BY ${order} LIMIT $${params.length + 1} OFFSET $${params.length + 2}`,
      [...params, size, offset]);
    return pageOf(rows.map(toPhoneNumber), count?.n ?? 0, page, size);
  }

  async getPhoneNumber(accountId: string, id: string): Promise<PhoneNumber | undefined> {
    const r = await this.db.one<NumberRow>(`SELECT ${NUMBER_COLUMNS} FROM phone_numbers WHERE id = $1 AND account_id = $2`, [id, accountId]);
    return r && toPhoneNumber(r);
  }

  async findPhoneNumberByNumber(accountId: string, number: string): Promise<PhoneNumber | undefined> {
    const r = await this.db.one<NumberRow>(`SELECT ${NUMBER_COLUMNS} FROM phone_numbers WHERE number = $1 AND account_id = $2`, [number, accountId]);
    return r && toPhoneNumber(r);
  }

  async phoneNumberCalled(number: string): Promise<PhoneNumber | undefined> {
    const r = await this.db.one<NumberRow>(`SELECT ${NUMBER_COLUMNS} FROM phone_numbers WHERE number = $1`, [number]);
    return r && toPhoneNumber(r);
  }

  async enabledNumbers(accountId: string): Promise<PhoneNumber[]> {
    const rows = await this.db.query<NumberRow>(
      `SELECT ${NUMBER_COLUMNS} FROM phone_numbers WHERE account_id = $1 AND enabled = 1 ORDER BY date_created, rowid`, [accountId]);
    return rows.map(toPhoneNumber);
  }

  async updatePhoneNumber(accountId: string, id: string, change: { name?: string; enabled?: boolean; inboundFlowId?: string | null }): Promise<PhoneNumber | undefined> {
    const changed = await this.db.run(
      `UPDATE phone_numbers SET name = COALESCE($1, name), enabled = COALESCE($2::int, enabled),
         inbound_flow_id = CASE WHEN $3::boolean THEN $4 ELSE inbound_flow_id END, date_modified = $5
       WHERE id = $6 AND account_id = $7`,
      [change.name ?? null, flag(change.enabled), change.inboundFlowId !== undefined, change.inboundFlowId ?? null, now(), id, accountId]);
    return changed === 0 ? undefined : this.getPhoneNumber(accountId, id);
  }

  async deletePhoneNumber(accountId: string, id: string): Promise<boolean> {
    return (await this.db.run('DELETE FROM phone_numbers WHERE id = $1 AND account_id = $2', [id, accountId])) > 0;
  }

  async addExtension(accountId: string, input: NewExtension): Promise<Extension | 'duplicate'> {
    const id = randomUUID();
    const at = now();
    try {
      await this.db.transaction(async (q) => {
        await ensureAccountRow(q, accountId, at);
        await q.query(`INSERT INTO extensions (${EXTENSION_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $7)`,
          [id, accountId, input.number, input.name, input.enabled ? 1 : 0, input.inboundFlowId, at]);
      });
    } catch (err) {
      if (isUniqueViolation(err)) return 'duplicate';
      throw err;
    }
    return { id, accountId, ...input, dateCreated: at, dateModified: at };
  }

  async listExtensions(accountId: string, request: PageRequest): Promise<Page<Extension>> {
    const { page, size, offset } = paging(request);
    const params: PgValue[] = [accountId];
    const ids = idFilter(request, 'id', params);
    const order = orderBy(request, { dateCreated: 'date_created', number: 'extension', name: 'name' }, 'date_created, rowid', 'rowid');
    const count = await this.db.one<{ n: number }>(`SELECT COUNT(*) AS n FROM extensions WHERE account_id = $1${ids}`, params);
    const rows = await this.db.query<ExtensionRow>(
      `SELECT ${EXTENSION_COLUMNS} FROM extensions WHERE account_id = $1${ids} ORDER BY ${order} LIMIT $${params.length + 1} OFFSET $${params.length + 2}`,
      [...params, size, offset]);
    return pageOf(rows.map(toExtension), count?.n ?? 0, page, size);
  }

  async getExtension(accountId: string, id: string): Promise<Extension | undefined> {
    const r = await this.db.one<ExtensionRow>(`SELECT ${EXTENSION_COLUMNS} FROM extensions WHERE id = $1 AND account_id = $2`, [id, accountId]);
    return r && toExtension(r);
  }

  async extensionCalled(extension: string): Promise<Extension | undefined> {
    const r = await this.db.one<ExtensionRow>(`SELECT ${EXTENSION_COLUMNS} FROM extensions WHERE extension = $1`, [extension]);
    return r && toExtension(r);
  }

  async updateExtension(accountId: string, id: string, change: ExtensionChange): Promise<Extension | undefined> {
    const changed = await this.db.run(
      `UPDATE extensions SET name = COALESCE($1, name), enabled = COALESCE($2::int, enabled),
         inbound_flow_id = CASE WHEN $3::boolean THEN $4 ELSE inbound_flow_id END, date_modified = $5
       WHERE id = $6 AND account_id = $7`,
      [change.name ?? null, flag(change.enabled), change.inboundFlowId !== undefined, change.inboundFlowId ?? null, now(), id, accountId]);
    return changed === 0 ? undefined : this.getExtension(accountId, id);
  }

  async deleteExtension(accountId: string, id: string): Promise<boolean> {
    return (await this.db.run('DELETE FROM extensions WHERE id = $1 AND account_id = $2', [id, accountId])) > 0;
  }

  async getAccountSettings(accountId: string): Promise<AccountSettings> {
    const r = await this.db.one<{ caller_id_passthrough: number; date_modified: string }>(
      'SELECT caller_id_passthrough, date_modified FROM account_settings WHERE account_id = $1', [accountId]);
    return r
      ? { accountId, callerIdPassthrough: r.caller_id_passthrough === 1, dateModified: r.date_modified }
      : { accountId, callerIdPassthrough: false, dateModified: null };
  }

  async updateAccountSettings(accountId: string, change: SettingsChange): Promise<AccountSettings> {
    const at = now();
    await this.db.transaction(async (q) => {
      await ensureAccountRow(q, accountId, at);
      await q.query(
        `INSERT INTO account_settings (account_id, caller_id_passthrough, date_modified) VALUES ($1, COALESCE($2::int, 0), $3)
         ON CONFLICT (account_id) DO UPDATE SET caller_id_passthrough = COALESCE($2::int, account_settings.caller_id_passthrough),
           date_modified = excluded.date_modified`,
        [accountId, flag(change.callerIdPassthrough), at]);
    });
    return this.getAccountSettings(accountId);
  }

  async createFlow(accountId: string, document: FlowDocument, id: string = randomUUID(), createdBy?: string): Promise<Flow> {
    const at = now();
    const version = await this.db.transaction(async (q) => {
      await ensureAccountRow(q, accountId, at);
      // FOR UPDATE: two engines re-creating one seeded flow take turns.
      const existing = (await q.query<{ account_id: string; current_version: number; date_deleted: string | null }>(
        'SELECT account_id, current_version, date_deleted FROM flows WHERE id = $1 FOR UPDATE', [id])).rows[0];
      if (existing && (existing.account_id !== accountId || existing.date_deleted === null)) {
        throw new AppError('conflict', 'Conflict', `A flow with id ${id} already exists`);
      }
      const next = existing ? existing.current_version + 1 : 1;
      if (existing) {
        await q.query('UPDATE flows SET current_version = $1, date_modified = $2, date_deleted = NULL WHERE id = $3', [next, at, id]);
      } else {
        await q.query('INSERT INTO flows (id, account_id, current_version, date_created, date_modified) VALUES ($1, $2, 1, $3, $3)', [id, accountId, at]);
      }
      await q.query('INSERT INTO flow_versions (flow_id, version, name, document, date_created, created_by) VALUES ($1, $2, $3, $4, $5, $6)',
        [id, next, document.name, JSON.stringify(document), at, createdBy ?? null]);
      return next;
    }).catch((err: unknown) => {
      // Two engines creating the same new id at once: the loser sees the winner's row.
      if (isUniqueViolation(err)) throw new AppError('conflict', 'Conflict', `A flow with id ${id} already exists`);
      throw err;
    });
    const flow = await this.getFlow(accountId, id, version);
    if (!flow) throw new Error(`flow ${id} was not stored`);
    return flow;
  }

  async getFlow(accountId: string, id: string, version?: number): Promise<Flow | undefined> {
    const r = version !== undefined
      ? await this.db.one<FlowRow>(`${FLOW_SELECT} AND v.version = $1 WHERE f.id = $2 AND f.account_id = $3`, [version, id, accountId])
      : await this.db.one<FlowRow>(
        `${FLOW_SELECT} AND v.version = f.current_version WHERE f.id = $1 AND f.account_id = $2 AND f.date_deleted IS NULL`, [id, accountId]);
    return r && toFlow(r);
  }

  async listFlows(accountId: string, request: PageRequest): Promise<Page<Flow>> {
    const { page, size, offset } = paging(request);
    const params: PgValue[] = [accountId];
    const ids = idFilter(request, 'f.id', params);
    const order = orderBy(request, { dateCreated: 'f.date_created', name: 'v.name' }, 'f.date_created, f.rowid', 'f.rowid');
    const count = await this.db.one<{ n: number }>(`SELECT COUNT(*) AS n FROM flows f WHERE f.account_id = $1 AND f.date_deleted IS NULL${ids}`, params);
    const rows = await this.db.query<FlowRow>(
      `${FLOW_SELECT} AND v.version = f.current_version WHERE f.account_id = $1 AND f.date_deleted IS NULL${ids}
       ORDER BY ${order} LIMIT $${params.length + 1} OFFSET $${params.length + 2}`, [...params, size, offset]);
    return pageOf(rows.map(toFlow), count?.n ?? 0, page, size);
  }

  async updateFlow(accountId: string, id: string, document: FlowDocument, createdBy?: string): Promise<Flow | undefined> {
    const at = now();
    const version = await this.db.transaction(async (q) => {
      const current = (await q.query<{ current_version: number }>(
        'SELECT current_version FROM flows WHERE id = $1 AND account_id = $2 AND date_deleted IS NULL FOR UPDATE', [id, accountId])).rows[0];
      if (!current) return undefined;
      const next = current.current_version + 1;
      await q.query('INSERT INTO flow_versions (flow_id, version, name, document, date_created, created_by) VALUES ($1, $2, $3, $4, $5, $6)',
        [id, next, document.name, JSON.stringify(document), at, createdBy ?? null]);
      await q.query('UPDATE flows SET current_version = $1, date_modified = $2 WHERE id = $3', [next, at, id]);
      return next;
    });
    return version === undefined ? undefined : this.getFlow(accountId, id, version);
  }

  async deleteFlow(accountId: string, id: string): Promise<boolean> {
    return (await this.db.run('UPDATE flows SET date_deleted = $1 WHERE id = $2 AND account_id = $3 AND date_deleted IS NULL', [now(), id, accountId])) > 0;
  }
}
