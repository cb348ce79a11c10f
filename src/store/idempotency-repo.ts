// Idempotency keys of POST /sessions/outgoing: the session a key created, kept 24 hours.
import type { Db, SqlStep } from './db.js';
import type { IdempotencyKey, Store } from './store.js';
import { now } from './clock.js';
import { PendingWrites } from './pending-writes.js';

const IDEMPOTENCY_TTL_MS = 24 * 60 * 60 * 1000;

function idempotencyKeyOf(accountId: string, key: string): string {
  return `${accountId}\u0000${key}`;
}

export class IdempotencyRepo implements Pick<Store, 'getIdempotentSession' | 'saveIdempotentSession'> {
  private readonly pendingIdempotency = new PendingWrites();

  constructor(private readonly db: Db) {}

  async getIdempotentSession(accountId: string, key: string): Promise<{ sessionId: string; requestHash: string } | undefined> {
    if (this.pendingIdempotency.has(idempotencyKeyOf(accountId, key))) await this.db.flush();
    const row = await this.db.get<{ session_id: string; request_hash: string }>(
      'SELECT session_id, request_hash FROM idempotency_keys WHERE account_id = ? AND key = ? AND date_created >= ?',
      [accountId, key, new Date(Date.now() - IDEMPOTENCY_TTL_MS).toISOString()]);
    return row && { sessionId: row.session_id, requestHash: row.request_hash };
  }

  async saveIdempotentSession(accountId: string, key: string, requestHash: string, sessionId: string): Promise<void> {
    await this.pendingIdempotency.track(idempotencyKeyOf(accountId, key), this.db.enqueue(idempotencySteps(accountId, { key, requestHash }, sessionId)));
  }
}

/**
 * Saving a key (in the transaction that creates its session): the first save of a live key wins;
 * an expired key is taken over. Expired keys are purged.
 */
export function idempotencySteps(accountId: string, idempotency: IdempotencyKey, sessionId: string): SqlStep[] {
  const cutoff = new Date(Date.now() - IDEMPOTENCY_TTL_MS).toISOString();
  return [
    { sql: 'DELETE FROM idempotency_keys WHERE date_created < ?', params: [cutoff] },
    {
      sql: `INSERT INTO idempotency_keys (account_id, key, request_hash, session_id, date_created) VALUES (?, ?, ?, ?, ?)
            ON CONFLICT (account_id, key) DO UPDATE SET request_hash = excluded.request_hash,
              session_id = excluded.session_id, date_created = excluded.date_created
            WHERE idempotency_keys.date_created < ?`,
      params: [accountId, idempotency.key, idempotency.requestHash, sessionId, now(), cutoff],
    },
  ];
}
