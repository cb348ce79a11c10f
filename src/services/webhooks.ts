// The webhook subscriptions of an account (CRUD) and their delivery records. URLs are checked
// against the outbound policy when saved; the delivery worker checks the resolved address again.
import { randomBytes } from 'node:crypto';
import { AppError, type FieldError } from '../domain/errors.js';
import type { Page, PageRequest, Webhook, WebhookDelivery } from '../domain/model.js';
import type { Store, WebhookInput } from '../store/store.js';
import { urlProblem } from '../events/outbound-url.js';
import { DEFAULT_EVENTS } from '../events/event-model.js';
import { readEventTypes } from './event-types-input.js';
import { readBoolean, readPage, readString, throwIfAny, type Input } from './input.js';

const SECRET_MIN = 16;

/** Paging of these lists: in their own order (newest first), without sorting or specificIds. */
function plainPage(query: Input): PageRequest {
  const errors: FieldError[] = [];
  const page = readPage(query, errors, []);
  if (page.ids) errors.push({ fieldName: 'specificIds', errorCode: 'NotSupported', message: 'specificIds is not supported on this list' });
  if (page.sort) errors.push({ fieldName: 'sortOrder', errorCode: 'NotSupported', message: 'sorting is not supported on this list' });
  throwIfAny(errors);
  return page;
}
const SECRET_MAX = 200;

export class WebhookService {
  constructor(private readonly store: Store, private readonly allowPrivate: boolean) {}

  private read(input: Input, partial: boolean): Partial<WebhookInput> {
    const errors: FieldError[] = [];
    const out: Partial<WebhookInput> = {};
    const url = readString(input, 'url', errors, { required: !partial, maxLength: 2048 });
    if (url !== undefined) {
      const problem = urlProblem(url, this.allowPrivate);
      if (problem) errors.push({ fieldName: 'url', errorCode: 'InvalidUrl', message: `url ${problem}` });
      else out.url = url;
    }
    const events = readEventTypes(input, 'events', errors);
    if (events !== undefined) out.events = events;
    const enabled = readBoolean(input, 'enabled', errors);
    if (enabled !== undefined) out.enabled = enabled;
    const secret = readString(input, 'secret', errors, { required: false, maxLength: SECRET_MAX });
    if (secret !== undefined) {
      if (secret.length < SECRET_MIN) errors.push({ fieldName: 'secret', errorCode: 'MinLength', message: `secret must be at least ${SECRET_MIN} characters` });
      else out.secret = secret;
    }
    throwIfAny(errors);
    return out;
  }

  create(accountId: string, input: Input): Promise<Webhook> {
    const r = this.read(input, false);
    return this.store.createWebhook(accountId, {
      url: r.url!,
      events: r.events ?? [...DEFAULT_EVENTS],
      enabled: r.enabled ?? true,
      // The Standard Webhooks form, which their libraries take as it is (events/signature.ts).
      secret: r.secret ?? `whsec_${randomBytes(24).toString('base64')}`,
    });
  }

  list(accountId: string, query: Input): Promise<Page<Webhook>> {
    return this.store.listWebhooks(accountId, plainPage(query));
  }

  async get(accountId: string, id: string): Promise<Webhook> {
    const hook = id.length > 0 && id.length <= 128 ? await this.store.getWebhook(accountId, id) : undefined;
    if (!hook) throw AppError.notFound('Webhook');
    return hook;
  }

  async update(accountId: string, id: string, input: Input): Promise<Webhook> {
    await this.get(accountId, id);
    const hook = await this.store.updateWebhook(accountId, id, this.read(input, true));
    if (!hook) throw AppError.notFound('Webhook');
    return hook;
  }

  async delete(accountId: string, id: string): Promise<void> {
    await this.get(accountId, id);
    if (!(await this.store.deleteWebhook(accountId, id))) throw AppError.notFound('Webhook');
  }

  async deliveries(accountId: string, id: string, query: Input): Promise<Page<WebhookDelivery>> {
    await this.get(accountId, id);
    return this.store.listDeliveries(accountId, { webhookId: id }, plainPage(query));
  }

  /** A session's deliveries (GetSession's webhookDeliveries), newest first. */
  ofSession(accountId: string, sessionId: string): Promise<Page<WebhookDelivery>> {
    return this.store.listDeliveries(accountId, { sessionId }, { page: 1, countPerPage: 1000 });
  }

  /** The secret of the account's statusCallback signatures. */
  signingSecret(accountId: string): Promise<string> {
    return this.store.signingSecret(accountId);
  }
}
