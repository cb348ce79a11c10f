// One handler per operation of the registry: read the bound request DTO, call a use case, shape
// the answer (views.ts). The record type makes a missing or extra handler a type error.
import { AppError } from '../../domain/errors.js';
import type { Logger } from '../../log.js';
import type { CallEngine } from '../../services/call-engine.js';
import type { Input } from '../../services/input.js';
import type { OutgoingSessions } from '../../services/outgoing-sessions.js';
import type { FlowService, PhoneNumberService, SessionQueries } from '../../services/management.js';
import type { SessionControl } from '../../services/session-control.js';
import type { AuthContext } from '../auth.js';
import { flowView, pageView, phoneNumberView, sessionDetailView, sessionView } from '../views.js';
import type { OperationName } from './registry.js';
import type { Handler, HandlerContext } from './types.js';

export interface OperationServices {
  outgoing: OutgoingSessions;
  flows: FlowService;
  phoneNumbers: PhoneNumberService;
  sessions: SessionQueries;
  control: SessionControl;
  engine: CallEngine;
  /** Database usable (a write probe), for readiness. */
  databaseReady: () => Promise<boolean>;
  logger: Logger;
}

const READY_RETRY_AFTER_SEC = 5;

function account(ctx: HandlerContext): string {
  const auth: AuthContext | undefined = ctx.auth;
  if (!auth) throw new AppError('unauthenticated', 'Unauthorized', 'Authentication required');
  return auth.accountId;
}

function text(request: Input, name: string): string {
  const v = request[name];
  return typeof v === 'string' ? v : '';
}

/** The request without its path fields: what the use case reads as the document. */
function withoutPath(request: Input, ...names: string[]): Input {
  const out: Input = { ...request };
  for (const n of names) delete out[n];
  return out;
}

function createdAt(location: string): Record<string, string> {
  return { Location: location };
}

export function createHandlers(s: OperationServices): Record<OperationName, Handler> {
  return {
    NewOutgoingSession: async (ctx) => {
      const result = await s.outgoing.create(account(ctx), ctx.request, ctx.header('idempotency-key'));
      return { status: 200, body: sessionView(result.session), ...(result.replayed ? { headers: { 'Idempotent-Replayed': 'true' } } : {}) };
    },
    ListSessions: async (ctx) => ({ status: 200, body: pageView(await s.sessions.list(account(ctx), ctx.request), sessionView, ctx.request) }),
    GetSession: async (ctx) => {
      const { session, timeline } = await s.sessions.get(account(ctx), text(ctx.request, 'sessionId'));
      return { status: 200, body: sessionDetailView(session, timeline) };
    },
    EndSession: async (ctx) => ({ status: 200, body: sessionView(await s.control.end(account(ctx), text(ctx.request, 'sessionId'))) }),

    ListFlows: async (ctx) => ({ status: 200, body: pageView(await s.flows.list(account(ctx), ctx.request), flowView, ctx.request) }),
    GetFlow: async (ctx) => ({ status: 200, body: flowView(await s.flows.get(account(ctx), text(ctx.request, 'flowId'), ctx.request)) }),
    NewFlow: async (ctx) => {
      const flow = await s.flows.create(account(ctx), ctx.request);
      return { status: 201, body: flowView(flow), headers: createdAt(`/flows/${encodeURIComponent(flow.id)}`) };
    },
    PatchFlow: async (ctx) => ({ status: 200, body: flowView(await s.flows.update(account(ctx), text(ctx.request, 'flowId'), withoutPath(ctx.request, 'flowId'))) }),
    DeleteFlow: async (ctx) => {
      await s.flows.delete(account(ctx), text(ctx.request, 'flowId'));
      return { status: 204 };
    },
    CopyFlow: async (ctx) => {
      const flow = await s.flows.copy(account(ctx), text(ctx.request, 'flowId'), withoutPath(ctx.request, 'flowId'));
      return { status: 201, body: flowView(flow), headers: createdAt(`/flows/${encodeURIComponent(flow.id)}`) };
    },

    ListPhoneNumbers: async (ctx) => ({ status: 200, body: pageView(await s.phoneNumbers.list(account(ctx), ctx.request), phoneNumberView, ctx.request) }),
    GetPhoneNumber: async (ctx) => ({ status: 200, body: phoneNumberView(await s.phoneNumbers.get(account(ctx), text(ctx.request, 'phoneNumberId'))) }),
    NewPhoneNumber: async (ctx) => {
      const number = await s.phoneNumbers.add(account(ctx), ctx.request);
      return { status: 201, body: phoneNumberView(number), headers: createdAt(`/phone-numbers/${encodeURIComponent(number.id)}`) };
    },
    PatchPhoneNumber: async (ctx) => {
      const number = await s.phoneNumbers.update(account(ctx), text(ctx.request, 'phoneNumberId'), withoutPath(ctx.request, 'phoneNumberId'));
      return { status: 200, body: phoneNumberView(number) };
    },
    DeletePhoneNumber: async (ctx) => {
      await s.phoneNumbers.delete(account(ctx), text(ctx.request, 'phoneNumberId'));
      return { status: 204 };
    },

    GetHealth: async () => ({ status: 200, body: { status: 'ok' } }),
    GetReadiness: async () => {
      const { ari, reconciled } = s.engine.readiness();
      let database = false;
      try {
        database = await s.databaseReady();
      } catch (err) {
        s.logger.warn({ err }, 'readiness probe of the database failed');
      }
      const ready = ari && reconciled && database;
      const reason = !ari ? 'not connected to Asterisk (ARI)'
        : !database ? 'the database is not writable'
          : !reconciled ? 'reconciling live sessions with Asterisk after a (re)connection' : undefined;
      return {
        status: ready ? 200 : 503,
        body: { status: ready ? 'ready' : 'unavailable', ari, database, reconciled, ...(reason ? { reason } : {}) },
        ...(ready ? {} : { headers: { 'Retry-After': String(READY_RETRY_AFTER_SEC) } }),
      };
    },
  };
}
