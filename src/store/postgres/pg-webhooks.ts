// Webhook subscriptions, signing secrets and the delivery side of the outbox on PostgreSQL, shared by
// every engine: claims with FOR UPDATE SKIP LOCKED that keep each chain (session, destination) in
// order across engines. Attempt results go through the unit writer (held through an outage).
import { randomBytes, randomUUID } from 'node:crypto';
import type { Webhook, WebhookDelivery } from '../../domain/model.js';
import type { AttemptRecord, ClaimedDelivery, WebhookInput } from '../store.js';
import type { Paging } from '../paging.js';
import { ensureAccountRow } from './pg-catalog.js';
import type { PgDb, PgValue } from './pg-db.js';
import type { PgUnitWriter } from './pg-unit-writer.js';
import { WEBHOOK_COLUMNS, toDeliveries, toWebhook, type AttemptRow, type DeliveryRow, type WebhookRow } from '../webhook-rows.js';


interface ClaimRow { event_id: string; target: string; session_id: string; seq: number; url: string; attempts: number; body: string; at: string; secret: string | null }

export class PgWebhooks {
  /** Signing secrets never change once created: read once per account. */
  private readonly secrets = new Map<string, string>();

  constructor(private readonly db: PgDb, private readonly units: PgUnitWriter) {}

  async create(accountId: string, input: WebhookInput): Promise<Webhook> {
    const at = new Date().toISOString();
    const id = randomUUID();
    await this.db.transaction(async (q) => {
      await ensureAccountRow(q, accountId, at);
      await q.query(`INSERT INTO webhooks (${WEBHOOK_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $7)`,
        [id, accountId, input.url, JSON.stringify(input.events), input.enabled ? 1 : 0, input.secret, at]);
    });
    return { id, accountId, ...input, dateCreated: at, dateModified: at };
  }

  async listHooks(accountId: string, p: Paging): Promise<{ items: Webhook[]; total: number }> {
    const count = await this.db.one<{ n: number }>('SELECT COUNT(*) AS n FROM webhooks WHERE account_id = $1 AND date_deleted IS NULL', [accountId]);
    const rows = await this.db.query<WebhookRow>(
      `SELECT ${WEBHOOK_COLUMNS} FROM webhooks WHERE account_id = $1 AND date_deleted IS NULL ORDER BY date_created, id LIMIT $2 OFFSET $3`,
      [accountId, p.size, p.offset]);
    return { items: rows.map(toWebhook), total: count?.n ?? 0 };
  }

  async get(accountId: string, id: string): Promise<Webhook | undefined> {
    const r = await this.db.one<WebhookRow>(`SELECT ${WEBHOOK_COLUMNS} FROM webhooks WHERE id = $1 AND account_id = $2 AND date_deleted IS NULL`, [id, accountId]);
    return r && toWebhook(r);
  }

  async update(accountId: string, id: string, change: Partial<WebhookInput>): Promise<Webhook | undefined> {
    const changed = await this.db.run(
      `UPDATE webhooks SET url = COALESCE($1, url), events = COALESCE($2, events), enabled = COALESCE($3::int, enabled),
         secret = COALESCE($4, secret), date_modified = $5 WHERE id = $6 AND account_id = $7 AND date_deleted IS NULL`,
      [change.url ?? null, change.events ? JSON.stringify(change.events) : null,
        change.enabled === undefined ? null : change.enabled ? 1 : 0, change.secret ?? null, new Date().toISOString(), id, accountId]);
    return changed > 0 ? this.get(accountId, id) : undefined;
  }

  /** Soft delete: its deliveries stay listed; pending ones are abandoned. */
  async delete(accountId: string, id: string): Promise<boolean> {
    const at = new Date().toISOString();
    return this.db.transaction(async (q) => {
      const n = (await q.query('UPDATE webhooks SET date_deleted = $1 WHERE id = $2 AND account_id = $3 AND date_deleted IS NULL', [at, id, accountId])).rowCount ?? 0;
      if (n > 0) {
        await q.query(`UPDATE webhook_deliveries SET status = 'abandoned', last_error = 'webhook deleted', date_finished = $1, claimed_by = NULL
          WHERE target = $2 AND status = 'pending'`, [at, id]);
      }
      return n > 0;
    });
  }

  /** Read every time: another engine may have changed them. */
  async activeFor(accountId: string): Promise<Webhook[]> {
    const rows = await this.db.query<WebhookRow>(
      `SELECT ${WEBHOOK_COLUMNS} FROM webhooks WHERE account_id = $1 AND enabled = 1 AND date_deleted IS NULL ORDER BY date_created`, [accountId]);
    return rows.map(toWebhook);
  }

  async signingSecret(accountId: string): Promise<string> {
    const known = this.secrets.get(accountId);
    if (known) return known;
    const at = new Date().toISOString();
    // The Standard Webhooks form (events/signature.ts). Two engines creating it at once: the first wins.
    const fresh = `whsec_${randomBytes(24).toString('base64')}`;
    const secret = await this.db.transaction(async (q) => {
      await ensureAccountRow(q, accountId, at);
      await q.query('INSERT INTO account_signing_secrets (account_id, secret, date_created) VALUES ($1, $2, $3) ON CONFLICT (account_id) DO NOTHING',
        [accountId, fresh, at]);
      return (await q.query<{ secret: string }>('SELECT secret FROM account_signing_secrets WHERE account_id = $1', [accountId])).rows[0]?.secret;
    });
    if (!secret) throw new Error('signing secret not stored');
    this.secrets.set(accountId, secret);
    return secret;
  }

  /**
   * Claims in one transaction, in two steps. (1) The heads of free chains (the lowest pending seq
   * of a session and destination, due and unclaimed) are locked FOR UPDATE SKIP LOCKED: a chain
   * another engine is claiming right now is skipped, never claimed twice. (2) The due rows of those
   * chains, and of chains this worker already holds, are claimed when every earlier pending row of
   * their chain is this worker's or claimed with them: a chain's prefix goes to one worker at once.
   */
  async claim(workerId: string, now: string, claimExpires: string, limit: number): Promise<ClaimedDelivery[]> {
    const rows = await this.db.transaction(async (q) => {
      const heads = (await q.query<{ session_id: string; target: string }>(
        `SELECT d.session_id, d.target FROM webhook_deliveries d
         WHERE d.status = 'pending' AND d.next_attempt_at <= $1 AND (d.claimed_by IS NULL OR d.claim_expires < $1)
           AND NOT EXISTS (SELECT 1 FROM webhook_deliveries o
             WHERE o.session_id = d.session_id AND o.target = d.target AND o.status = 'pending' AND o.seq < d.seq)
         ORDER BY d.next_attempt_at LIMIT $2
         FOR UPDATE SKIP LOCKED`, [now, limit])).rows;
      const claimed = (await q.query<{ event_id: string; target: string }>(
        `UPDATE webhook_deliveries SET claimed_by = $1, claim_expires = $2
         WHERE (event_id, target) IN (
           SELECT d.event_id, d.target FROM webhook_deliveries d
           WHERE d.status = 'pending' AND d.next_attempt_at <= $3 AND (d.claimed_by IS NULL OR d.claim_expires < $3)
             AND ((d.session_id, d.target) IN (SELECT * FROM unnest($4::text[], $5::text[]))
               OR EXISTS (SELECT 1 FROM webhook_deliveries h WHERE h.session_id = d.session_id AND h.target = d.target
                 AND h.status = 'pending' AND h.claimed_by = $1 AND h.claim_expires >= $3))
             AND NOT EXISTS (SELECT 1 FROM webhook_deliveries o
               WHERE o.session_id = d.session_id AND o.target = d.target AND o.status = 'pending' AND o.seq < d.seq
                 AND NOT (o.claimed_by IS NOT NULL AND o.claimed_by = $1 AND o.claim_expires >= $3)
                 AND NOT (o.next_attempt_at <= $3 AND (o.claimed_by IS NULL OR o.claim_expires < $3)))
           ORDER BY d.session_id, d.target, d.seq LIMIT $6)
         RETURNING event_id, target`,
        [workerId, claimExpires, now, heads.map((h) => h.session_id), heads.map((h) => h.target), limit])).rows;
      if (claimed.length === 0) return [];
      return (await q.query<ClaimRow>(
        `SELECT d.event_id, d.target, d.session_id, d.seq, d.url, d.attempts, e.body, e.at, COALESCE(w.secret, a.secret) AS secret
         FROM webhook_deliveries d JOIN webhook_events e ON e.id = d.event_id
         LEFT JOIN webhooks w ON w.id = d.target
         LEFT JOIN account_signing_secrets a ON a.account_id = e.account_id AND d.target = 'callback'
         WHERE (d.event_id, d.target) IN (SELECT * FROM unnest($1::text[], $2::text[]))
         ORDER BY d.session_id, d.target, d.seq`,
        [claimed.map((c) => c.event_id), claimed.map((c) => c.target)])).rows;
    });
    return rows.map((r) => ({
      eventId: r.event_id, target: r.target, sessionId: r.session_id, seq: r.seq, url: r.url, body: r.body,
      secret: r.secret ?? '', attempts: r.attempts, eventAt: r.at,
    }));
  }

  async renewClaims(workerId: string, claimExpires: string): Promise<void> {
    await this.db.run("UPDATE webhook_deliveries SET claim_expires = $1 WHERE claimed_by = $2 AND status = 'pending'", [claimExpires, workerId]);
  }

  async releaseClaims(workerIds: string[]): Promise<void> {
    if (workerIds.length === 0) return;
    await this.db.run(`UPDATE webhook_deliveries SET claimed_by = NULL, claim_expires = NULL
      WHERE status = 'pending' AND claimed_by = ANY($1::text[])`, [workerIds]);
  }

  /** Through the unit writer: batched, and held through an outage like a session's writes. */
  recordAttempt(a: AttemptRecord): Promise<void> {
    return this.units.writeAttempt(a);
  }

  async claimOwners(): Promise<string[]> {
    const rows = await this.db.query<{ owner: string }>(
      "SELECT DISTINCT claimed_by AS owner FROM webhook_deliveries WHERE status = 'pending' AND claimed_by IS NOT NULL");
    return rows.map((r) => r.owner);
  }

  async pendingCount(): Promise<number> {
    return (await this.db.one<{ n: number }>("SELECT COUNT(*) AS n FROM webhook_deliveries WHERE status = 'pending'"))?.n ?? 0;
  }

  async listDeliveries(accountId: string, filter: { webhookId?: string; sessionId?: string }, p: Paging): Promise<{ items: WebhookDelivery[]; total: number }> {
    const where = ['e.account_id = $1'];
    const params: PgValue[] = [accountId];
    if (filter.webhookId !== undefined) { params.push(filter.webhookId); where.push(`d.target = $${params.length}`); }
    if (filter.sessionId !== undefined) { params.push(filter.sessionId); where.push(`d.session_id = $${params.length}`); }
    const clause = where.join(' AND ');
    await this.units.flush();
    const count = await this.db.one<{ n: number }>(
      `SELECT COUNT(*) AS n FROM webhook_deliveries d JOIN webhook_events e ON e.id = d.event_id WHERE ${clause}`, params);
    const rows = await this.db.query<DeliveryRow>(
      `SELECT d.event_id, d.target, d.session_id, d.seq, d.url, d.status, d.attempts, d.next_attempt_at, d.date_created, d.date_finished, e.type
       FROM webhook_deliveries d JOIN webhook_events e ON e.id = d.event_id WHERE ${clause}
       ORDER BY d.date_created DESC, d.session_id, d.seq DESC LIMIT $${params.length + 1} OFFSET $${params.length + 2}`, [...params, p.size, p.offset]);
    const attempts = rows.length === 0 ? [] : await this.db.query<AttemptRow>(
      `SELECT event_id, target, attempt, at, status_code, error, duration_ms FROM webhook_attempts
       WHERE (event_id, target) IN (SELECT * FROM unnest($1::text[], $2::text[])) ORDER BY attempt`,
      [rows.map((r) => r.event_id), rows.map((r) => r.target)]);
    return {
      total: count?.n ?? 0,
      items: toDeliveries(rows, attempts),
    };
  }
}
