// Flows: a flow row per id and one row per stored version; sessions keep the version they ran.
import { randomUUID } from 'node:crypto';
import type { Flow, Page, PageRequest } from '../domain/model.js';
import type { FlowDocument } from '../domain/flow.js';
import { AppError } from '../domain/errors.js';
import type { Db, Row } from './db.js';
import type { Store } from './store.js';
import { ensureAccountStep } from './accounts-repo.js';
import { now } from './clock.js';
import { idFilter, orderBy, pageOf, paging, type CountRow } from './paging.js';
import { CACHED_ROWS, ReadCache } from './read-cache.js';
import { FLOW_SELECT, toFlow, type FlowRow } from './flow-rows.js';

export class FlowsRepo implements Pick<Store, 'createFlow' | 'getFlow' | 'listFlows' | 'updateFlow' | 'deleteFlow'> {
  /** Current versions, read on every outgoing session. */
  private readonly currentFlows = new ReadCache<Flow>(CACHED_ROWS);

  constructor(private readonly db: Db) {}

  /**
   * With an `id` (seeded flows): refused with a conflict when a flow has it, except a deleted
   * flow of the same account, which comes back with the document as its next version (its old
   * versions stay for the sessions that ran them).
   */
  async createFlow(accountId: string, document: FlowDocument, id: string = randomUUID(), createdBy?: string): Promise<Flow> {
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
        'INSERT INTO flow_versions (flow_id, version, name, document, date_created, created_by) VALUES (?, ?, ?, ?, ?, ?)',
        [id, next, document.name, json, at, createdBy ?? null]);
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

  async updateFlow(accountId: string, id: string, document: FlowDocument, createdBy?: string): Promise<Flow | undefined> {
    const at = now();
    return this.currentFlows.writing(() => this.db.transaction(async () => {
      const current = await this.db.get<{ current_version: number }>(
        'SELECT current_version FROM flows WHERE id = ? AND account_id = ? AND date_deleted IS NULL', [id, accountId]);
      if (!current) return undefined;
      const next = current.current_version + 1;
      await this.db.runRaw(
        'INSERT INTO flow_versions (flow_id, version, name, document, date_created, created_by) VALUES (?, ?, ?, ?, ?, ?)',
        [id, next, document.name, JSON.stringify(document), at, createdBy ?? null]);
      await this.db.runRaw('UPDATE flows SET current_version = ?, date_modified = ? WHERE id = ?', [next, at, id]);
      return this.getFlow(accountId, id, next);
    }));
  }

  async deleteFlow(accountId: string, id: string): Promise<boolean> {
    const changed = await this.currentFlows.writing(() => this.db.transaction(() => this.db.runRaw(
      'UPDATE flows SET date_deleted = ? WHERE id = ? AND account_id = ? AND date_deleted IS NULL', [now(), id, accountId])));
    return changed > 0;
  }
}
