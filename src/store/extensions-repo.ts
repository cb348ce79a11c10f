// Lab extensions of an account (short dial strings, domain/extension.ts), and the extension an
// inbound call dialed. Unique across accounts, as phone numbers are.
import { randomUUID } from 'node:crypto';
import type { Extension, Page, PageRequest } from '../domain/model.js';
import { isConstraintError, type Db, type Row, type SqlStep } from './db.js';
import { now } from './clock.js';
import { idFilter, orderBy, pageOf, paging, type CountRow } from './paging.js';

interface ExtensionRow extends Row {
  id: string; account_id: string; extension: string; name: string; enabled: number; inbound_flow_id: string | null;
  date_created: string; date_modified: string;
}

const COLUMNS = 'id, account_id, extension, name, enabled, inbound_flow_id, date_created, date_modified';

function toExtension(r: ExtensionRow): Extension {
  return {
    id: r.id, accountId: r.account_id, number: r.extension, name: r.name, enabled: r.enabled === 1,
    inboundFlowId: r.inbound_flow_id, dateCreated: r.date_created, dateModified: r.date_modified,
  };
}

export interface NewExtension {
  /** The extension's digits. */
  number: string;
  name: string;
  enabled: boolean;
  inboundFlowId: string | null;
}

export interface ExtensionChange {
  name?: string;
  enabled?: boolean;
  /** undefined keeps it, null clears it. */
  inboundFlowId?: string | null;
}

/** The Store's part for extensions (store.ts extends it). */
export interface ExtensionStore {
  addExtension(accountId: string, input: NewExtension): Promise<Extension | 'duplicate'>;
  listExtensions(accountId: string, page: PageRequest): Promise<Page<Extension>>;
  getExtension(accountId: string, id: string): Promise<Extension | undefined>;
  /** The extension an inbound call dialed, whichever account owns it (engine-internal use only). */
  extensionCalled(extension: string): Promise<Extension | undefined>;
  updateExtension(accountId: string, id: string, change: ExtensionChange): Promise<Extension | undefined>;
  deleteExtension(accountId: string, id: string): Promise<boolean>;
}

export class ExtensionsRepo implements ExtensionStore {
  constructor(private readonly db: Db, private readonly ensureAccount: (accountId: string, at: string) => SqlStep) {}

  async addExtension(accountId: string, input: NewExtension): Promise<Extension | 'duplicate'> {
    const id = randomUUID();
    const at = now();
    try {
      await this.db.transaction(async () => {
        const ensure = this.ensureAccount(accountId, at);
        await this.db.runRaw(ensure.sql, ensure.params);
        await this.db.runRaw(`INSERT INTO extensions (${COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
          [id, accountId, input.number, input.name, input.enabled ? 1 : 0, input.inboundFlowId, at, at]);
      });
    } catch (err) {
      if (isConstraintError(err)) return 'duplicate';
      throw err;
    }
    return { id, accountId, ...input, dateCreated: at, dateModified: at };
  }

  async listExtensions(accountId: string, request: PageRequest): Promise<Page<Extension>> {
    const { page, size, offset } = paging(request);
    const ids = idFilter(request, 'id');
    const order = orderBy(request, { dateCreated: 'date_created', number: 'extension', name: 'name' }, 'date_created, rowid', 'rowid');
    const count = await this.db.get<CountRow>(`SELECT COUNT(*) AS n FROM extensions WHERE account_id = ?${ids.sql}`, [accountId, ...ids.params]);
    const rows = await this.db.all<ExtensionRow>(
      `SELECT ${COLUMNS} FROM extensions WHERE account_id = ?${ids.sql} ORDER BY ${order} LIMIT ? OFFSET ?`,
      [accountId, ...ids.params, size, offset]);
    return pageOf(rows.map(toExtension), count?.n ?? 0, page, size);
  }

  async getExtension(accountId: string, id: string): Promise<Extension | undefined> {
    const row = await this.db.get<ExtensionRow>(`SELECT ${COLUMNS} FROM extensions WHERE id = ? AND account_id = ?`, [id, accountId]);
    return row && toExtension(row);
  }

  async extensionCalled(extension: string): Promise<Extension | undefined> {
    const row = await this.db.get<ExtensionRow>(`SELECT ${COLUMNS} FROM extensions WHERE extension = ?`, [extension]);
    return row && toExtension(row);
  }

  async updateExtension(accountId: string, id: string, change: ExtensionChange): Promise<Extension | undefined> {
    return this.db.transaction(async () => {
      const changed = await this.db.runRaw(
        `UPDATE extensions SET name = COALESCE(?, name), enabled = COALESCE(?, enabled),
         inbound_flow_id = CASE WHEN ? THEN ? ELSE inbound_flow_id END, date_modified = ?
         WHERE id = ? AND account_id = ?`,
        [change.name ?? null, change.enabled === undefined ? null : change.enabled ? 1 : 0,
          change.inboundFlowId === undefined ? 0 : 1, change.inboundFlowId ?? null, now(), id, accountId]);
      return changed === 0 ? undefined : this.getExtension(accountId, id);
    });
  }

  async deleteExtension(accountId: string, id: string): Promise<boolean> {
    const changed = await this.db.transaction(() => this.db.runRaw('DELETE FROM extensions WHERE id = ? AND account_id = ?', [id, accountId]));
    return changed > 0;
  }
}
