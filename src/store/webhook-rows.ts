// A webhook subscription's columns and its row as a Webhook: one definition for both dialects.
import type { Webhook } from '../domain/model.js';

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
