// Phone numbers of an account: its caller IDs, and the numbers inbound calls dial.
import { randomUUID } from 'node:crypto';
import type { Page, PageRequest, PhoneNumber } from '../domain/model.js';
import { isConstraintError, type Db, type Row } from './db.js';
import type { Store } from './store.js';
import { ensureAccountStep } from './accounts-repo.js';
import { now } from './clock.js';
import { idFilter, orderBy, pageOf, paging, type CountRow } from './paging.js';
import { CACHED_ROWS, ReadCache } from './read-cache.js';

interface PhoneNumberRow extends Row {
  id: string; account_id: string; number: string; name: string; enabled: number; inbound_flow_id: string | null;
  date_created: string; date_modified: string;
}

function toPhoneNumber(r: PhoneNumberRow): PhoneNumber {
  return {
    id: r.id, accountId: r.account_id, number: r.number, name: r.name, enabled: r.enabled === 1,
    inboundFlowId: r.inbound_flow_id, dateCreated: r.date_created, dateModified: r.date_modified,
  };
}

export class PhoneNumbersRepo implements Pick<Store, 'addPhoneNumber' | 'listPhoneNumbers' | 'getPhoneNumber' | 'findPhoneNumberByNumber' | 'enabledNumbers' | 'phoneNumberCalled'
  | 'updatePhoneNumber' | 'deletePhoneNumber'> {
  /** Caller IDs an account owns, read on every outgoing session. */
  private readonly ownedNumbers = new ReadCache<PhoneNumber>(CACHED_ROWS);

  constructor(private readonly db: Db) {}

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
}
