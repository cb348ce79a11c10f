// Session ownership: which process runs a live session (owner and lease), its renewal, the
// takeover of orphaned sessions and the timeline seq a new owner goes on from.
import type { Session } from '../domain/model.js';
import type { Db } from './db.js';
import type { Store } from './store.js';
import { LIVE_SQL, SESSION_COLUMNS, withVariables, type SessionRow } from './session-rows.js';
import type { WebhookStore } from './webhook-store.js';

export class SessionOwnershipRepo implements Pick<Store, 'lastSeqs' | 'renewLeases' | 'takeOver' | 'listLiveSessionsNotOwnedBy' | 'owners'> {
  /** `claims`: the owners named by delivery claims, which owners() reports too. */
  constructor(private readonly db: Db, private readonly claims: Pick<WebhookStore, 'claimOwners'>) {}

  async lastSeqs(sessionIds: readonly string[]): Promise<Map<string, number>> {
    await this.db.flush();
    const rows = await this.db.all<{ session_id: string; n: number }>(
      `SELECT session_id, MAX(seq) AS n FROM session_events WHERE session_id IN (SELECT value FROM json_each(?)) GROUP BY session_id`,
      [JSON.stringify(sessionIds)]);
    return new Map(rows.map((r) => [r.session_id, r.n]));
  }

  renewLeases(ownerId: string, leaseExpires: string): Promise<void> {
    return this.db.exclusive(async () => {
      await this.db.runRaw(`UPDATE sessions SET lease_expires = ? WHERE owner_id = ? AND ${LIVE_SQL}`, [leaseExpires, ownerId]);
    });
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

  async listLiveSessionsNotOwnedBy(ownerId: string): Promise<Session[]> {
    await this.db.flush();
    const rows = await this.db.all<SessionRow>(
      `SELECT ${SESSION_COLUMNS} FROM sessions WHERE ${LIVE_SQL} AND owner_id IS NOT ? ORDER BY date_created, rowid`, [ownerId]);
    return withVariables(this.db, rows);
  }

  async owners(): Promise<string[]> {
    const rows = await this.db.all<{ owner: string }>(`SELECT DISTINCT owner_id AS owner FROM sessions WHERE owner_id IS NOT NULL AND ${LIVE_SQL}`);
    const claims = await this.claims.claimOwners();
    return [...new Set([...rows.map((r) => r.owner), ...claims])];
  }
}
