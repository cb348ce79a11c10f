// Webhook subscriptions, signing secrets and the delivery side of the outbox (claims, attempts,
// listings). The outbox rows themselves are written with their session change (session-units.ts).
import { randomBytes, randomUUID } from 'node:crypto';
import type { Webhook, WebhookDelivery } from '../domain/model.js';
import type { Db, Row, SqlValue } from './db.js';
import type { AttemptRecord, ClaimedDelivery, WebhookInput } from './store.js';
import { attemptRows } from './session-units.js';
import type { Paging } from './paging.js';
import { WEBHOOK_COLUMNS, toDeliveries, toWebhook, type AttemptRow, type DeliveryRow, type WebhookRow } from './webhook-rows.js';

export class WebhookStore {
  /** Enabled subscriptions per account: read on every event fan-out, cleared on every write. */
  private readonly active = new Map<string, Webhook[]>();
  private generation = 0;
  /** Signing secrets never change once created: read once per account. */
  private readonly secrets = new Map<string, string>();

  constructor(private readonly db: Db, private readonly ensureAccount: (accountId: string, at: string) => { sql: string; params: SqlValue[] }) {}

  private changed(accountId: string): void {
    this.generation += 1;
    this.active.delete(accountId);
  }

  async create(accountId: string, input: WebhookInput): Promise<Webhook> {
    const at = new Date().toISOString();
    const id = randomUUID();
    this.changed(accountId);
    await this.db.transaction(async () => {
      const ensure = this.ensureAccount(accountId, at);
      await this.db.runRaw(ensure.sql, ensure.params);
      await this.db.runRaw(`INSERT INTO webhooks (${WEBHOOK_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
        [id, accountId, input.url, JSON.stringify(input.events), input.enabled ? 1 : 0, input.secret, at, at]);
    });
    this.changed(accountId);
    return { id, accountId, ...input, dateCreated: at, dateModified: at };
  }

  async listHooks(accountId: string, p: Paging): Promise<{ items: Webhook[]; total: number }> {
    const count = await this.db.get<{ n: number }>('SELECT COUNT(*) AS n FROM webhooks WHERE account_id = ? AND date_deleted IS NULL', [accountId]);
    const rows = await this.db.all<WebhookRow>(
      `SELECT ${WEBHOOK_COLUMNS} FROM webhooks WHERE account_id = ? AND date_deleted IS NULL ORDER BY date_created, id LIMIT ? OFFSET ?`,
      [accountId, p.size, p.offset]);
    return { items: rows.map(toWebhook), total: count?.n ?? 0 };
  }

  async get(accountId: string, id: string): Promise<Webhook | undefined> {
    const row = await this.db.get<WebhookRow>(
      `SELECT ${WEBHOOK_COLUMNS} FROM webhooks WHERE id = ? AND account_id = ? AND date_deleted IS NULL`, [id, accountId]);
    return row && toWebhook(row);
  }

  async update(accountId: string, id: string, change: Partial<WebhookInput>): Promise<Webhook | undefined> {
    this.changed(accountId);
    const changed = await this.db.transaction(() => this.db.runRaw(
      `UPDATE webhooks SET url = COALESCE(?, url), events = COALESCE(?, events), enabled = COALESCE(?, enabled),
         secret = COALESCE(?, secret), date_modified = ? WHERE id = ? AND account_id = ? AND date_deleted IS NULL`,
      [change.url ?? null, change.events ? JSON.stringify(change.events) : null,
        change.enabled === undefined ? null : change.enabled ? 1 : 0, change.secret ?? null, new Date().toISOString(), id, accountId]));
    this.changed(accountId);
    return changed > 0 ? this.get(accountId, id) : undefined;
  }

  /** Soft delete: its deliveries stay listed; pending ones are abandoned. */
  async delete(accountId: string, id: string): Promise<boolean> {
    this.changed(accountId);
    const at = new Date().toISOString();
    const changed = await this.db.transaction(async () => {
      const n = await this.db.runRaw('UPDATE webhooks SET date_deleted = ? WHERE id = ? AND account_id = ? AND date_deleted IS NULL', [at, id, accountId]);
      if (n > 0) {
        await this.db.runRaw(`UPDATE webhook_deliveries SET status = 'abandoned', last_error = 'webhook deleted', date_finished = ?, claimed_by = NULL
          WHERE target = ? AND status = 'pending'`, [at, id]);
      }
      return n;
    });
    this.changed(accountId);
    return changed > 0;
  }

  async activeFor(accountId: string): Promise<Webhook[]> {
    const cached = this.active.get(accountId);
    if (cached) return cached;
    const generation = this.generation;
    const rows = await this.db.all<WebhookRow>(
      `SELECT ${WEBHOOK_COLUMNS} FROM webhooks WHERE account_id = ? AND enabled = 1 AND date_deleted IS NULL ORDER BY date_created`, [accountId]);
    const hooks = rows.map(toWebhook);
    if (generation === this.generation) this.active.set(accountId, hooks);
    return hooks;
  }

  async signingSecret(accountId: string): Promise<string> {
    const known = this.secrets.get(accountId);
    if (known) return known;
    const row = await this.db.get<{ secret: string }>('SELECT secret FROM account_signing_secrets WHERE account_id = ?', [accountId]);
    if (row) {
      this.secrets.set(accountId, row.secret);
      return row.secret;
    }
    const at = new Date().toISOString();
    // The Standard Webhooks form, which their libraries take as it is (events/signature.ts).
    const fresh = `whsec_${randomBytes(24).toString('base64')}`;
    await this.db.transaction(async () => {
      const ensure = this.ensureAccount(accountId, at);
      await this.db.runRaw(ensure.sql, ensure.params);
      await this.db.runRaw('INSERT OR IGNORE INTO account_signing_secrets (account_id, secret, date_created) VALUES (?, ?, ?)', [accountId, fresh, at]);
    });
    const stored = await this.db.get<{ secret: string }>('SELECT secret FROM account_signing_secrets WHERE account_id = ?', [accountId]);
    if (!stored) throw new Error('signing secret not stored');
    this.secrets.set(accountId, stored.secret);
    return stored.secret;
  }

  /**
   * One UPDATE … RETURNING claims; the bodies and secrets are read in the same lane turn. A row is
   * claimed when every earlier pending row of its chain (session, destination) is this worker's
   * or claimed in the same statement (due and free): a chain's prefix goes to one worker at once.
   */
  claim(workerId: string, now: string, claimExpires: string, limit: number): Promise<ClaimedDelivery[]> {
    return this.db.exclusive(async () => {
      const claimed = await this.db.all<{ event_id: string; target: string }>(
        `UPDATE webhook_deliveries SET claimed_by = ?, claim_expires = ?
         WHERE (event_id, target) IN (
           SELECT d.event_id, d.target FROM webhook_deliveries d
           WHERE d.status = 'pending' AND d.next_attempt_at <= ? AND (d.claimed_by IS NULL OR d.claim_expires < ?)
             AND NOT EXISTS (SELECT 1 FROM webhook_deliveries o
               WHERE o.session_id = d.session_id AND o.target = d.target AND o.status = 'pending' AND o.seq < d.seq
                 AND NOT (o.claimed_by IS NOT NULL AND o.claimed_by = ? AND o.claim_expires >= ?)
                 AND NOT (o.next_attempt_at <= ? AND (o.claimed_by IS NULL OR o.claim_expires < ?)))
           ORDER BY d.next_attempt_at, d.session_id, d.target, d.seq LIMIT ?)
         RETURNING event_id, target`,
        [workerId, claimExpires, now, now, workerId, now, now, now, limit]);
      if (claimed.length === 0) return [];
      const rows = await this.db.all<Row>(
        `SELECT d.event_id, d.target, d.session_id, d.seq, d.url, d.attempts, e.body, e.at, COALESCE(w.secret, a.secret) AS secret
         FROM webhook_deliveries d JOIN webhook_events e ON e.id = d.event_id
         LEFT JOIN webhooks w ON w.id = d.target
         LEFT JOIN account_signing_secrets a ON a.account_id = e.account_id AND d.target = 'callback'
         WHERE d.claimed_by = ? AND (d.event_id, d.target) IN (SELECT j.value ->> 0, j.value ->> 1 FROM json_each(?) AS j)
         ORDER BY d.session_id, d.target, d.seq`,
        [workerId, JSON.stringify(claimed.map((c) => [c.event_id, c.target]))]);
      return rows.map((r) => ({
        eventId: r.event_id as string, target: r.target as string, sessionId: r.session_id as string, seq: r.seq as number,
        url: r.url as string, body: r.body as string, secret: (r.secret as string | null) ?? '', attempts: r.attempts as number,
        eventAt: r.at as string,
      }));
    });
  }

  renewClaims(workerId: string, claimExpires: string): Promise<void> {
    return this.db.exclusive(async () => {
      await this.db.runRaw("UPDATE webhook_deliveries SET claim_expires = ? WHERE claimed_by = ? AND status = 'pending'", [claimExpires, workerId]);
    });
  }

  releaseClaims(workerIds: string[]): Promise<void> {
    if (workerIds.length === 0) return Promise.resolve();
    return this.db.exclusive(async () => {
      await this.db.runRaw(`UPDATE webhook_deliveries SET claimed_by = NULL, claim_expires = NULL
        WHERE status = 'pending' AND claimed_by IN (SELECT value FROM json_each(?))`, [JSON.stringify(workerIds)]);
    });
  }

  /**
   * Batched with the other row writes (up to the row commit delay): nothing waits for it, since
   * the worker holding the chain goes on from memory; a crash in that window only repeats a
   * delivery (same event id).
   */
  recordAttempt(a: AttemptRecord): Promise<void> {
    return this.db.enqueueUnit(attemptRows(a));
  }

  async claimOwners(): Promise<string[]> {
    const rows = await this.db.all<{ owner: string }>(
      "SELECT DISTINCT claimed_by AS owner FROM webhook_deliveries WHERE status = 'pending' AND claimed_by IS NOT NULL");
    return rows.map((r) => r.owner);
  }

  async pendingCount(): Promise<number> {
    const row = await this.db.get<{ n: number }>("SELECT COUNT(*) AS n FROM webhook_deliveries WHERE status = 'pending'");
    return row?.n ?? 0;
  }

  async listDeliveries(accountId: string, filter: { webhookId?: string; sessionId?: string }, p: Paging): Promise<{ items: WebhookDelivery[]; total: number }> {
    const where = ['e.account_id = ?'];
    const params: SqlValue[] = [accountId];
    if (filter.webhookId !== undefined) { where.push('d.target = ?'); params.push(filter.webhookId); }
    if (filter.sessionId !== undefined) { where.push('d.session_id = ?'); params.push(filter.sessionId); }
    const clause = where.join(' AND ');
    await this.db.flush();
    const rows = await this.db.all<DeliveryRow>(
      `SELECT d.event_id, d.target, d.session_id, d.seq, d.url, d.status, d.attempts, d.next_attempt_at, d.date_created, d.date_finished, e.type
       FROM webhook_deliveries d JOIN webhook_events e ON e.id = d.event_id WHERE ${clause}
       ORDER BY d.date_created DESC, d.session_id, d.seq DESC LIMIT ? OFFSET ?`, [...params, p.size, p.offset]);
    // A short page that is not past the end is the last one: its total needs no COUNT (a round
    // trip to SQLite's thread saved on every GET /sessions/{id}, whose deliveries fit one page).
    const total = rows.length < p.size && (rows.length > 0 || p.offset === 0) ? p.offset + rows.length
      : (await this.db.get<{ n: number }>(
        `SELECT COUNT(*) AS n FROM webhook_deliveries d JOIN webhook_events e ON e.id = d.event_id WHERE ${clause}`, params))?.n ?? 0;
    const attempts = rows.length === 0 ? [] : await this.db.all<AttemptRow>(
      `SELECT event_id, target, attempt, at, status_code, error, duration_ms FROM webhook_attempts
       WHERE (event_id, target) IN (SELECT j.value ->> 0, j.value ->> 1 FROM json_each(?) AS j) ORDER BY attempt`,
      [JSON.stringify(rows.map((r) => [r.event_id, r.target]))]);
    return {
      total,
      items: toDeliveries(rows, attempts),
    };
  }
}
