// Idempotency keys of POST /sessions/outgoing: the session a key created, kept 24 hours.
import type { Db, SqlStep } from './db.js';
import type { IdempotencyKey, Store } from './store.js';
import { now } from './clock.js';

const IDEMPOTENCY_TTL_MS = 24 * 60 * 60 * 1000;

export class IdempotencyRepo implements Pick<Store, 'getIdempotentSession'> {
  constructor(private readonly db: Db) {}

  async getIdempotentSession(accountId: string, key: string): Promise<{ sessionId: string; requestHash: string } | undefined> {
    // Keys are committed with their session, before createSessionWith resolves.
    const row = await this.db.get<{ session_id: string; request_hash: string }>(
      'SELECT session_id, request_hash FROM idempotency_keys WHERE account_id = ? AND key = ? AND date_created >= ?',
      [accountId, key, new Date(Date.now() - IDEMPOTENCY_TTL_MS).toISOString()]);
    return row && { sessionId: row.session_id, requestHash: row.request_hash };
  }
}

/**
 * Saving a key (in the transaction that creates its session): expired keys are purged, then the
 * key is inserted; a live key held by another session breaks the primary key, which fails the
 * session's creation whole (session-writes-repo.ts answers IdempotencyKeyTaken).
 */
export function idempotencySteps(accountId: string, idempotency: IdempotencyKey, sessionId: string): SqlStep[] {
  const cutoff = new Date(Date.now() - IDEMPOTENCY_TTL_MS).toISOString();
  return [
    { sql: 'DELETE FROM idempotency_keys WHERE date_created < ?', params: [cutoff] },
    {
      sql: 'INSERT INTO idempotency_keys (account_id, key, request_hash, session_id, date_created) VALUES (?, ?, ?, ?, ?)',
      params: [accountId, idempotency.key, idempotency.requestHash, sessionId, now()],
    },
  ];
}
