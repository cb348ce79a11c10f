// The public shapes of webhooks and their deliveries (JSON camelCase; XML PascalCase).
import type { Webhook, WebhookDelivery } from '../domain/model.js';
import { standardSecret } from '../events/signature.js';

export function webhookView(w: Webhook) {
  return {
    id: w.id, accountId: w.accountId, url: w.url, events: w.events, enabled: w.enabled, secret: w.secret,
    standardWebhooksSecret: standardSecret(w.secret),
    dateCreated: w.dateCreated, dateModified: w.dateModified,
  };
}

export function deliveryView(d: WebhookDelivery) {
  return {
    eventId: d.eventId, target: d.target, sessionId: d.sessionId, sequence: d.sequence, type: d.type, url: d.url, status: d.status,
    attempts: d.attempts, nextAttemptAt: d.nextAttemptAt, dateCreated: d.dateCreated, dateFinished: d.dateFinished,
  };
}
