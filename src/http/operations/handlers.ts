// One handler per operation of the registry: read the bound request DTO, call a use case, shape
// the answer (views.ts). The record type makes a missing or extra handler a type error.
import { AppError } from '../../domain/errors.js';
import type { Logger } from '../../log.js';
import type { CallEngine } from '../../services/call-engine.js';
import type { Input } from '../../services/input.js';
import type { OutgoingSessions } from '../../services/outgoing-sessions.js';
import type { FlowService, SessionQueries } from '../../services/management.js';
import type { SessionControl } from '../../services/session-control.js';
import type { WebhookService } from '../../services/webhooks.js';
import type { LiveControlService } from '../../services/live-control.js';
import type { EventStreams } from '../../services/event-streams.js';
import type { FlowSimulations } from '../../services/flow-simulation.js';
import type { RecordingService } from '../../services/recordings.js';
import type { ExtensionService, PhoneNumberService } from '../../services/inbound-lines.js';
import type { AccountSettingsService } from '../../services/account-settings.js';
import type { SoundCatalog } from '../../services/sounds.js';
import type { SpeechPreview } from '../../services/speech-preview.js';
import { deliveryView, webhookView } from '../event-views.js';
import { standardSecret } from '../../events/signature.js';
import type { AuthContext } from '../auth.js';
import { accountView, extensionView, flowView, pageView, phoneNumberView, recordingView, sessionDetailView, sessionView, soundView } from '../views.js';
import type { OperationName } from './registry.js';
import type { Handler, HandlerContext } from './types.js';

export interface OperationServices {
  outgoing: OutgoingSessions;
  flows: FlowService;
  simulations: FlowSimulations;
  recordings: RecordingService;
  phoneNumbers: PhoneNumberService;
  extensions: ExtensionService;
  accounts: AccountSettingsService;
  sounds: SoundCatalog;
  speech: SpeechPreview;
  sessions: SessionQueries;
  control: SessionControl;
  webhooks: WebhookService;
  live: LiveControlService;
  streams: EventStreams;
  streamHeartbeatMs: number;
  engine: CallEngine;
  /** Text to speech status for readiness (absent: TTS_PROVIDER=none). */
  tts?: () => { provider: string; available: boolean; detail?: string };
  /** Database usable (a write probe), for readiness. */
  databaseReady: () => Promise<boolean>;
  /** Why the database is not usable, when known. */
  databaseProblem?: () => string | undefined;
  logger: Logger;
}

const READY_RETRY_AFTER_SEC = 5;

function describeProblem(problem: string | undefined): string {
  return problem ? `: ${problem}` : '';
}

function account(ctx: HandlerContext): string {
  const auth: AuthContext | undefined = ctx.auth;
  if (!auth) throw new AppError('unauthenticated', 'Unauthorized', 'Authentication required');
  return auth.accountId;
}

function principal(ctx: HandlerContext): AuthContext['principal'] {
  if (!ctx.auth) throw new AppError('unauthenticated', 'Unauthorized', 'Authentication required');
  return ctx.auth.principal;
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
      const { session, timeline, hasOutbox } = await s.sessions.get(account(ctx), text(ctx.request, 'sessionId'));
      // No outbox event as of the timeline's commit: no delivery to read (a round trip saved).
      const deliveries = hasOutbox ? (await s.webhooks.ofSession(session.accountId, session.id)).items : [];
      return { status: 200, body: { ...sessionDetailView(session, timeline), webhookDeliveries: deliveries.map(deliveryView) } };
    },
    EndSession: async (ctx) => ({ status: 200, body: sessionView(await s.control.end(account(ctx), text(ctx.request, 'sessionId'))) }),

    RedirectSession: async (ctx) => {
      await s.live.redirect(account(ctx), text(ctx.request, 'sessionId'), withoutPath(ctx.request, 'sessionId'));
      return { status: 204 };
    },
    HoldSession: async (ctx) => {
      await s.live.hold(account(ctx), text(ctx.request, 'sessionId'), withoutPath(ctx.request, 'sessionId'));
      return { status: 204 };
    },
    SendSessionDtmf: async (ctx) => {
      await s.live.dtmf(account(ctx), text(ctx.request, 'sessionId'), withoutPath(ctx.request, 'sessionId'));
      return { status: 204 };
    },
    StreamSessionEvents: async (ctx) => {
      const resume = ctx.header('last-event-id') ?? (text(ctx.request, 'lastEventId') || undefined);
      const start = await s.streams.session(account(ctx), text(ctx.request, 'sessionId'), resume);
      return { status: 200, stream: { start, heartbeatMs: s.streamHeartbeatMs } };
    },
    StreamEvents: async (ctx) => {
      const resume = ctx.header('last-event-id') ?? (text(ctx.request, 'lastEventId') || undefined);
      const start = await s.streams.account(account(ctx), resume);
      return { status: 200, stream: { start, heartbeatMs: s.streamHeartbeatMs } };
    },

    ListWebhooks: async (ctx) => ({ status: 200, body: pageView(await s.webhooks.list(account(ctx), ctx.request), webhookView, ctx.request) }),
    GetWebhookSigningSecret: async (ctx) => {
      const secret = await s.webhooks.signingSecret(account(ctx));
      return { status: 200, body: { secret, standardWebhooksSecret: standardSecret(secret) } };
    },
    GetWebhook: async (ctx) => ({ status: 200, body: webhookView(await s.webhooks.get(account(ctx), text(ctx.request, 'webhookId'))) }),
    NewWebhook: async (ctx) => {
      const hook = await s.webhooks.create(account(ctx), ctx.request);
      return { status: 201, body: webhookView(hook), headers: createdAt(`/webhooks/${encodeURIComponent(hook.id)}`) };
    },
    PatchWebhook: async (ctx) => ({ status: 200, body: webhookView(await s.webhooks.update(account(ctx), text(ctx.request, 'webhookId'), withoutPath(ctx.request, 'webhookId'))) }),
    DeleteWebhook: async (ctx) => {
      await s.webhooks.delete(account(ctx), text(ctx.request, 'webhookId'));
      return { status: 204 };
    },
    ListWebhookDeliveries: async (ctx) => ({
      status: 200,
      body: pageView(await s.webhooks.deliveries(account(ctx), text(ctx.request, 'webhookId'), withoutPath(ctx.request, 'webhookId')), deliveryView, ctx.request),
    }),

    ListFlows: async (ctx) => ({ status: 200, body: pageView(await s.flows.list(account(ctx), ctx.request), flowView, ctx.request) }),
    GetFlow: async (ctx) => ({ status: 200, body: flowView(await s.flows.get(account(ctx), text(ctx.request, 'flowId'), ctx.request)) }),
    NewFlow: async (ctx) => {
      const flow = await s.flows.create(account(ctx), ctx.request, principal(ctx).subject);
      return { status: 201, body: flowView(flow), headers: createdAt(`/flows/${encodeURIComponent(flow.id)}`) };
    },
    PatchFlow: async (ctx) => ({
      status: 200, body: flowView(await s.flows.update(account(ctx), text(ctx.request, 'flowId'), withoutPath(ctx.request, 'flowId'), principal(ctx).subject)),
    }),
    DeleteFlow: async (ctx) => {
      await s.flows.delete(account(ctx), text(ctx.request, 'flowId'));
      return { status: 204 };
    },
    ListSessionRecordings: async (ctx) => ({ status: 200, body: { items: (await s.recordings.listForSession(account(ctx), text(ctx.request, 'sessionId'))).map(recordingView) } }),
    GetRecording: async (ctx) => ({ status: 200, body: recordingView(await s.recordings.get(account(ctx), text(ctx.request, 'recordingId'))) }),
    GetRecordingFile: async (ctx) => {
      const file = await s.recordings.file(account(ctx), text(ctx.request, 'recordingId'), ctx.header('range'));
      return { status: file.status, headers: file.headers, file: { data: file.data, contentType: file.contentType } };
    },
    DeleteRecording: async (ctx) => {
      await s.recordings.delete(account(ctx), text(ctx.request, 'recordingId'));
      return { status: 204 };
    },
    SimulateFlow: async (ctx) => ({ status: 200, body: await s.simulations.simulateSaved(account(ctx), text(ctx.request, 'flowId'), withoutPath(ctx.request, 'flowId')) }),
    SimulateFlowDocument: async (ctx) => {
      account(ctx);
      return { status: 200, body: await s.simulations.simulateDocument(ctx.request) };
    },
    PreviewSpeech: async (ctx) => {
      account(ctx);
      const audio = await s.speech.audio(ctx.request);
      return { status: 200, headers: { 'Content-Disposition': 'inline; filename="preview.wav"' }, file: audio };
    },
    ListSounds: async (ctx) => {
      account(ctx);
      return { status: 200, body: pageView(await s.sounds.list(ctx.request), soundView, ctx.request) };
    },
    CopyFlow: async (ctx) => {
      const flow = await s.flows.copy(account(ctx), text(ctx.request, 'flowId'), withoutPath(ctx.request, 'flowId'), principal(ctx).subject);
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

    ListExtensions: async (ctx) => ({ status: 200, body: pageView(await s.extensions.list(account(ctx), ctx.request), extensionView, ctx.request) }),
    GetExtension: async (ctx) => ({ status: 200, body: extensionView(await s.extensions.get(account(ctx), text(ctx.request, 'extensionId'))) }),
    NewExtension: async (ctx) => {
      const added = await s.extensions.add(account(ctx), ctx.request);
      return { status: 201, body: extensionView(added), headers: createdAt(`/extensions/${encodeURIComponent(added.id)}`) };
    },
    PatchExtension: async (ctx) => ({
      status: 200, body: extensionView(await s.extensions.update(account(ctx), text(ctx.request, 'extensionId'), withoutPath(ctx.request, 'extensionId'))),
    }),
    DeleteExtension: async (ctx) => {
      await s.extensions.delete(account(ctx), text(ctx.request, 'extensionId'));
      return { status: 204 };
    },

    GetAccount: async (ctx) => ({ status: 200, body: accountView(await s.accounts.get(account(ctx))) }),
    PatchAccount: async (ctx) => ({ status: 200, body: accountView(await s.accounts.update(principal(ctx), account(ctx), ctx.request)) }),

    GetHealth: async () => ({ status: 200, body: { status: 'ok' } }),
    GetReadiness: async () => {
      const { ari, reconciled, servers } = s.engine.readiness();
      let database = false;
      try {
        database = await s.databaseReady();
      } catch (err) {
        s.logger.warn({ err }, 'readiness probe of the database failed');
      }
      const ready = ari && reconciled && database;
      const reason = !ari ? 'not connected to Asterisk (ARI)'
        : !database ? `the database is not writable${describeProblem(s.databaseProblem?.())}`
          : !reconciled ? 'reconciling live sessions with Asterisk after a (re)connection' : undefined;
      return {
        status: ready ? 200 : 503,
        body: {
          status: ready ? 'ready' : 'unavailable', ari, database, reconciled, ...(reason ? { reason } : {}), ...(servers ? { servers } : {}),
          ...(s.tts ? { tts: s.tts() } : {}),
        },
        ...(ready ? {} : { headers: { 'Retry-After': String(READY_RETRY_AFTER_SEC) } }),
      };
    },
  };
}
