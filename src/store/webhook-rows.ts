// A webhook subscription's columns and its row as a Webhook, and delivery rows with their attempts
// as WebhookDeliveries: one definition for both dialects.
import type { DeliveryAttempt, Webhook, WebhookDelivery } from '../domain/model.js';

export const WEBHOOK_COLUMNS = 'id, account_id, url, events, enabled, secret, date_created, date_modified';

export interface WebhookRow {
  [column: string]: unknown;
  id: string; account_id: string; url: string; events: string; enabled: number; secret: string;
  date_created: string; date_modified: string;
}

export function toWebhook(r: WebhookRow): Webhook {
  return {
    id: r.id, accountId: r.account_id, url: r.url, events: JSON.parse(r.events) as string[], enabled: r.enabled === 1,
    secret: r.secret, dateCreated: r.date_created, dateModified: r.date_modified,
  };
}

export interface DeliveryRow {
  [column: string]: unknown;
  event_id: string; target: string; session_id: string; seq: number; url: string; status: string; attempts: number;
  next_attempt_at: string; date_created: string; date_finished: string | null; type: string;
}

export interface AttemptRow {
  [column: string]: unknown;
  event_id: string; target: string; attempt: number; at: string; status_code: number | null; error: string | null; duration_ms: number;
}

/** Delivery rows as deliveries, each with its attempts (read for those rows, oldest first). */
export function toDeliveries(rows: readonly DeliveryRow[], attempts: readonly AttemptRow[]): WebhookDelivery[] {
  const byKey = new Map<string, DeliveryAttempt[]>();
  for (const a of attempts) {
    const key = `${a.event_id}\n${a.target}`;
    const list = byKey.get(key) ?? [];
    list.push({ attempt: a.attempt, at: a.at, statusCode: a.status_code, error: a.error, durationMs: a.duration_ms });
    byKey.set(key, list);
  }
  return rows.map((r) => ({
    eventId: r.event_id, target: r.target, sessionId: r.session_id, sequence: r.seq, type: r.type, url: r.url,
    status: r.status as WebhookDelivery['status'], attempts: byKey.get(`${r.event_id}\n${r.target}`) ?? [],
    nextAttemptAt: r.status === 'pending' ? r.next_attempt_at : null, dateCreated: r.date_created, dateFinished: r.date_finished,
  }));
}
