// The live count per account, without a query: the API checks it before every outgoing session.
import type { Db } from './db.js';
import { LIVE_SQL } from './session-rows.js';

/**
 * Live sessions per account, kept in memory from the writes (this store is the engine's only
 * writer of sessions): the database is read once, at open.
 */
export class LiveSessions {
  private readonly accountOf = new Map<string, string>();
  private readonly perAccount = new Map<string, number>();

  /** The live sessions left by a previous run (before any write of this one). */
  static async load(db: Db): Promise<LiveSessions> {
    const live = new LiveSessions();
    const rows = await db.all<{ id: string; account_id: string }>(`SELECT id, account_id FROM sessions WHERE ${LIVE_SQL}`);
    for (const r of rows) live.add(r.id, r.account_id);
    return live;
  }

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
