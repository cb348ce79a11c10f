// Routes of the events and live-control operations: webhooks CRUD and deliveries, controls on a
// live call (EndSession, RedirectSession, HoldSession, SendSessionDtmf) and the live event
// streams (Server-Sent Events). Thin: read the request, call a use case, shape the answer.
import { Router, type Request, type Response } from 'express';
import type { Webhook, WebhookDelivery } from '../domain/model.js';
import type { WebhookService } from '../services/webhooks.js';
import type { LiveControlService } from '../services/live-control.js';
import type { EventStreams, StreamSink } from '../services/event-streams.js';
import type { Store } from '../store/store.js';
import type { Input } from '../services/input.js';
import { readPage, throwIfAny } from '../services/input.js';
import { AppError, type FieldError } from '../domain/errors.js';
import { authOf } from './auth.js';
import { bodyObject } from './body.js';
import { send } from './respond.js';
import { pageView } from './views.js';

export interface EventRouteServices {
  webhooks: WebhookService;
  control: LiveControlService;
  streams: EventStreams;
  store: Store;
  heartbeatMs: number;
}

export function webhookView(w: Webhook) {
  return { id: w.id, accountId: w.accountId, url: w.url, events: w.events, enabled: w.enabled, secret: w.secret, dateCreated: w.dateCreated, dateModified: w.dateModified };
}

export function deliveryView(d: WebhookDelivery) {
  return {
    eventId: d.eventId, target: d.target, sessionId: d.sessionId, sequence: d.sequence, type: d.type, url: d.url, status: d.status,
    attempts: d.attempts, nextAttemptAt: d.nextAttemptAt, dateCreated: d.dateCreated, dateFinished: d.dateFinished,
  };
}

function param(req: Request, name: string): string {
  const v = req.params[name];
  return typeof v === 'string' ? v : '';
}

/** Serves a stream as text/event-stream: `id:` is the event id, heartbeats are comment lines. */
async function serveStream(req: Request, res: Response, heartbeatMs: number, start: (sink: StreamSink) => Promise<void>): Promise<void> {
  const cleanups: Array<() => void> = [];
  let closed = false;
  const close = (): void => {
    if (closed) return;
    closed = true;
    clearInterval(heartbeat);
    for (const c of cleanups.splice(0)) c();
    res.end();
  };
  res.status(200).set({ 'Content-Type': 'text/event-stream; charset=utf-8', 'Cache-Control': 'no-store', Connection: 'keep-alive', 'X-Accel-Buffering': 'no' });
  res.flushHeaders();
  res.write('retry: 2000\n\n');
  const heartbeat = setInterval(() => res.write(': heartbeat\n\n'), heartbeatMs);
  req.on('close', close);
  const sink: StreamSink = {
    send: (e) => {
      if (!closed) res.write(`id: ${e.id}\nevent: ${e.type}\ndata: ${JSON.stringify(e)}\n\n`);
    },
    close,
    onClose: (cleanup) => {
      if (closed) cleanup();
      else cleanups.push(cleanup);
    },
  };
  try {
    await start(sink);
  } catch (err) {
    close();
    if (!(err instanceof AppError)) throw err;
  }
}

export function eventRoutes(s: EventRouteServices): Router {
  const r = Router();

  r.get('/webhooks', async (req, res) => {
    const page = await s.webhooks.list(authOf(res).accountId, req.query as Input);
    send(res, 200, pageView(page, webhookView), { root: 'WebhookList', itemNames: { items: 'Webhook' } });
  });
  r.post('/webhooks', async (_req, res) => {
    const hook = await s.webhooks.create(authOf(res).accountId, bodyObject(res));
    res.set('Location', `/webhooks/${encodeURIComponent(hook.id)}`);
    send(res, 201, webhookView(hook), { root: 'Webhook' });
  });
  r.get('/webhooks/signing-secret', async (_req, res) => {
    send(res, 200, { secret: await s.webhooks.signingSecret(authOf(res).accountId) }, { root: 'SigningSecret' });
  });
  r.get('/webhooks/:id', async (req, res) => {
    send(res, 200, webhookView(await s.webhooks.get(authOf(res).accountId, param(req, 'id'))), { root: 'Webhook' });
  });
  r.patch('/webhooks/:id', async (req, res) => {
    send(res, 200, webhookView(await s.webhooks.update(authOf(res).accountId, param(req, 'id'), bodyObject(res))), { root: 'Webhook' });
  });
  r.delete('/webhooks/:id', async (req, res) => {
    await s.webhooks.delete(authOf(res).accountId, param(req, 'id'));
    res.status(204).end();
  });
  r.get('/webhooks/:id/deliveries', async (req, res) => {
    const page = await s.webhooks.deliveries(authOf(res).accountId, param(req, 'id'), req.query as Input);
    send(res, 200, pageView(page, deliveryView), { root: 'WebhookDeliveryList', itemNames: { items: 'WebhookDelivery' } });
  });

  r.get('/sessions/:id/webhook-deliveries', async (req, res) => {
    const { accountId } = authOf(res);
    const session = await s.store.getSession(accountId, param(req, 'id'));
    if (!session) throw AppError.notFound('Session');
    const errors: FieldError[] = [];
    const page = readPage(req.query as Input, errors);
    throwIfAny(errors);
    const list = await s.store.listDeliveries(accountId, { sessionId: session.id }, page);
    send(res, 200, pageView(list, deliveryView), { root: 'WebhookDeliveryList', itemNames: { items: 'WebhookDelivery' } });
  });

  r.delete('/sessions/:id', async (req, res) => {
    await s.control.end(authOf(res).accountId, param(req, 'id'));
    res.status(204).end();
  });
  r.post('/sessions/:id/redirect', async (req, res) => {
    await s.control.redirect(authOf(res).accountId, param(req, 'id'), bodyObject(res));
    res.status(204).end();
  });
  r.post('/sessions/:id/hold', async (req, res) => {
    await s.control.hold(authOf(res).accountId, param(req, 'id'), bodyObject(res));
    res.status(204).end();
  });
  r.post('/sessions/:id/dtmf', async (req, res) => {
    await s.control.dtmf(authOf(res).accountId, param(req, 'id'), bodyObject(res));
    res.status(204).end();
  });

  r.get('/sessions/:id/events', async (req, res) => {
    const start = await s.streams.session(authOf(res).accountId, param(req, 'id'), req.get('last-event-id'));
    await serveStream(req, res, s.heartbeatMs, start);
  });
  r.get('/events', async (req, res) => {
    const start = await s.streams.account(authOf(res).accountId, req.get('last-event-id'));
    await serveStream(req, res, s.heartbeatMs, start);
  });

  return r;
}
