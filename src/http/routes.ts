// Thin routes: read the request, call a use case, shape the answer.
import { Router, type Request, type Response } from 'express';
import { AppError } from '../domain/errors.js';
import type { OutgoingSessions } from '../services/outgoing-sessions.js';
import type { FlowService, PhoneNumberService, SessionQueries } from '../services/management.js';
import type { Input } from '../services/input.js';
import { authOf } from './auth.js';
import { bodyObject, type ParsedBody } from './body.js';
import { send } from './respond.js';
import { SESSIONS_NS } from './xml.js';
import { flowView, pageView, phoneNumberView, sessionDetailView, sessionView } from './views.js';

export interface RouteServices {
  outgoing: OutgoingSessions;
  flows: FlowService;
  phoneNumbers: PhoneNumberService;
  sessions: SessionQueries;
}

function query(req: Request): Input {
  return req.query as Input;
}

function param(req: Request, name: string): string {
  const v = req.params[name];
  return typeof v === 'string' ? v : '';
}

/** NewOutgoingSession in XML is a DataContract: its root and namespace must be the documented ones. */
function outgoingBody(res: Response): Input {
  const parsed = res.locals.body as ParsedBody | undefined;
  if (parsed?.xml) {
    if (parsed.xml.root !== 'NewOutgoingSession') {
      throw new AppError('validation', 'InvalidXmlRoot', 'The XML root element must be NewOutgoingSession');
    }
    if (parsed.xml.namespace !== undefined && parsed.xml.namespace !== SESSIONS_NS) {
      throw new AppError('validation', 'InvalidXmlNamespace', `NewOutgoingSession must be in the namespace ${SESSIONS_NS}`);
    }
  }
  return bodyObject(res);
}

function created(res: Response, location: string): void {
  res.set('Location', location);
}

export function apiRoutes(s: RouteServices): Router {
  const r = Router();

  r.post('/sessions/outgoing', async (req, res) => {
    const { accountId } = authOf(res);
    const result = await s.outgoing.create(accountId, outgoingBody(res), req.get('idempotency-key'));
    if (result.replayed) res.set('Idempotent-Replayed', 'true');
    send(res, 200, sessionView(result.session), { root: 'Session' });
  });

  r.get('/sessions', async (req, res) => {
    const page = await s.sessions.list(authOf(res).accountId, query(req));
    send(res, 200, pageView(page, sessionView), { root: 'SessionList', itemNames: { items: 'Session' } });
  });

  r.get('/sessions/:id', async (req, res) => {
    const { session, timeline } = await s.sessions.get(authOf(res).accountId, param(req, 'id'));
    send(res, 200, sessionDetailView(session, timeline), { root: 'Session' });
  });

  r.post('/flows', async (_req, res) => {
    const flow = await s.flows.create(authOf(res).accountId, bodyObject(res));
    created(res, `/flows/${encodeURIComponent(flow.id)}`);
    send(res, 201, flowView(flow), { root: 'Flow' });
  });

  r.get('/flows', async (req, res) => {
    const page = await s.flows.list(authOf(res).accountId, query(req));
    send(res, 200, pageView(page, flowView), { root: 'FlowList', itemNames: { items: 'Flow' } });
  });

  r.get('/flows/:id', async (req, res) => {
    const flow = await s.flows.get(authOf(res).accountId, param(req, 'id'), query(req));
    send(res, 200, flowView(flow), { root: 'Flow' });
  });

  r.put('/flows/:id', async (req, res) => {
    const flow = await s.flows.update(authOf(res).accountId, param(req, 'id'), bodyObject(res));
    send(res, 200, flowView(flow), { root: 'Flow' });
  });

  r.delete('/flows/:id', async (req, res) => {
    await s.flows.delete(authOf(res).accountId, param(req, 'id'));
    res.status(204).end();
  });

  r.post('/phone-numbers', async (_req, res) => {
    const number = await s.phoneNumbers.add(authOf(res).accountId, bodyObject(res));
    created(res, `/phone-numbers/${encodeURIComponent(number.id)}`);
    send(res, 201, phoneNumberView(number), { root: 'PhoneNumber' });
  });

  r.get('/phone-numbers', async (req, res) => {
    const page = await s.phoneNumbers.list(authOf(res).accountId, query(req));
    send(res, 200, pageView(page, phoneNumberView), { root: 'PhoneNumberList', itemNames: { items: 'PhoneNumber' } });
  });

  r.get('/phone-numbers/:id', async (req, res) => {
    const number = await s.phoneNumbers.get(authOf(res).accountId, param(req, 'id'));
    send(res, 200, phoneNumberView(number), { root: 'PhoneNumber' });
  });

  const updateNumber = async (req: Request, res: Response): Promise<void> => {
    const number = await s.phoneNumbers.update(authOf(res).accountId, param(req, 'id'), bodyObject(res));
    send(res, 200, phoneNumberView(number), { root: 'PhoneNumber' });
  };
  r.put('/phone-numbers/:id', updateNumber);
  r.patch('/phone-numbers/:id', updateNumber);

  r.delete('/phone-numbers/:id', async (req, res) => {
    await s.phoneNumbers.delete(authOf(res).accountId, param(req, 'id'));
    res.status(204).end();
  });

  return r;
}
