// The HTTP application (no listen): the operations of the registry, served by their dispatcher
// (`operations/dispatch.ts`), and express for the rest (metadata, media, console and metrics pages,
// and the 401/404 of an unknown path), both answering failures through one error handler that
// turns everything into the ResponseStatus shape without ever leaking a stack.
import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import express, { type NextFunction, type Request, type Response } from 'express';
import type { Config } from '../config.js';
import type { Logger } from '../log.js';
import { AppError } from '../domain/errors.js';
import type { Store } from '../store/store.js';
import type { CallEngine } from '../services/call-engine.js';
import { AccountAccess } from '../services/accounts.js';
import { OutgoingSessions } from '../services/outgoing-sessions.js';
import { FlowService, SessionQueries } from '../services/management.js';
import { extensionService, phoneNumberService } from '../services/inbound-lines.js';
import { AccountSettingsService } from '../services/account-settings.js';
import { FlowSimulations } from '../services/flow-simulation.js';
import { RecordingService } from '../services/recordings.js';
import { SoundCatalog, type SoundSource } from '../services/sounds.js';
import { SpeechPreview, type SpeechAudio } from '../services/speech-preview.js';
import type { MediaPublisher } from '../tts/media-publisher.js';
import { mediaRoutes } from './media-route.js';
import { SessionControl } from '../services/session-control.js';
import { authenticate, authenticator } from './auth.js';
import { bodyReader, DEFAULT_BODY_LIMITS } from './body.js';
import { IpRateLimiter } from './rate-limit.js';
import { clientAddressOf } from './client-address.js';
import { negotiateFormat } from './respond.js';
import { errorAnswerer, pathOf } from './errors.js';
import { createHandlers } from './operations/handlers.js';
import { operationDispatcher } from './operations/dispatch.js';
import { metadataRoutes } from './metadata/pages.js';
import { WebhookService } from '../services/webhooks.js';
import type { ClusterLink } from '../services/remote-control.js';
import { LiveControlService } from '../services/live-control.js';
import { EventStreams } from '../services/event-streams.js';
import { EventBus } from '../events/event-bus.js';
import type { EngineMetrics } from '../metrics/engine-metrics.js';
import { httpMetrics, httpObserver } from '../metrics/http-observer.js';
import { metricsRoute } from './metrics-route.js';
import { consoleRoutes } from './console-routes.js';

export interface AppDeps {
  config: Config;
  store: Store;
  engine: CallEngine;
  logger: Logger;
  /** Database usable (a write probe); combined with engine.isReady() for /ready. */
  isReady: () => Promise<boolean>;
  /** Why the database is not usable, when known (shown by /ready; never the URL or credentials). */
  databaseProblem?: () => string | undefined;
  /** Clock for the rate limits; tests may pass their own. */
  now?: () => number;
  /** Committed events, for the live streams (default: a bus nothing publishes on). */
  bus?: EventBus;
  /** Recordings (their files read through the telephony port). */
  recordings?: RecordingService;
  /** Generated audio Asterisk fetches at /media/ (text to speech). */
  media?: MediaPublisher;
  /** Text to speech status, for /ready. */
  tts?: () => { provider: string; available: boolean; detail?: string };
  /** The engine's speech service: the console's "listen" (absent: TTS_PROVIDER=none). */
  speech?: SpeechAudio;
  /** The Asterisk servers the sound list may come from (default: none, ListSounds answers 503). */
  soundSources?: () => readonly SoundSource[];
  /** Prometheus metrics: HTTP requests counted, and GET /metrics here unless METRICS_PORT. */
  metrics?: EngineMetrics;
  /** Several engines on one database: controls forwarded to a session's owner, and served here. */
  cluster?: ClusterLink;
}

export interface HttpApp {
  /** The server's request listener. */
  listener: RequestListener;
  /** Express, for what the operations' dispatcher leaves to it. */
  pages: express.Express;
}

export function buildApp(deps: AppDeps): HttpApp {
  const { config, store, engine, logger } = deps;
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);

  const limiter = new IpRateLimiter(config.limits.unauthenticatedPerMinute, 60_000, deps.now);
  const clientAddress = clientAddressOf(config.trustProxy);
  const accounts = new AccountAccess(store);
  const control = new SessionControl(store, engine, deps.cluster);
  const live = new LiveControlService(store, engine, deps.cluster);
  const streams = new EventStreams(store, deps.bus ?? new EventBus(), config.events.maxStreamsPerAccount);
  deps.cluster?.serve(async (request) => {
    if (request.op === 'end') await control.end(request.accountId, request.sessionId, false);
    else await live.execute(request);
  });
  deps.cluster?.onGap(() => streams.closeAll());
  const handlers = createHandlers({
    outgoing: new OutgoingSessions({ config, store, engine, logger, ...(deps.now ? { now: deps.now } : {}) }),
    flows: new FlowService(store, config.allowPrivateDestinations),
    simulations: new FlowSimulations(store, config.limits, logger),
    recordings: deps.recordings ?? new RecordingService(store, undefined, logger),
    phoneNumbers: phoneNumberService(store),
    extensions: extensionService(store),
    accounts: new AccountSettingsService(store),
    sounds: new SoundCatalog(deps.soundSources ?? (() => [])),
    speech: new SpeechPreview(deps.speech),
    sessions: new SessionQueries(store),
    control,
    webhooks: new WebhookService(store, config.allowPrivateDestinations),
    live,
    streams,
    streamHeartbeatMs: config.events.heartbeatMs,
    engine,
    ...(deps.tts ? { tts: deps.tts } : {}),
    databaseReady: deps.isReady,
    ...(deps.databaseProblem ? { databaseProblem: deps.databaseProblem } : {}),
    logger,
  });

  const commonHeaders = (req: IncomingMessage, res: ServerResponse): void => {
    res.setHeader('X-Content-Type-Options', 'nosniff');
    res.setHeader('Cache-Control', 'no-store');
    // A listener and a clock read per request only when the line would be written.
    if (!logger.isLevelEnabled('debug')) return;
    const started = process.hrtime.bigint();
    res.on('finish', () => {
      logger.debug({ method: req.method, path: pathOf(req), status: res.statusCode, client: clientAddress(req), ms: Number(process.hrtime.bigint() - started) / 1e6 }, 'request');
    });
  };
  const observe = deps.metrics ? httpObserver(deps.metrics) : undefined;
  const answerError = errorAnswerer(logger);
  const auth = authenticator(config, accounts, limiter, clientAddress);
  const bodyLimits = { maxBodyBytes: config.limits.maxBodyBytes, ...DEFAULT_BODY_LIMITS };
  const dispatch = operationDispatcher({ handlers, authenticate: auth, bodyLimits, commonHeaders, answerError, ...(observe ? { observe } : {}) });

  if (observe) app.use(httpMetrics(observe));
  app.use((req: Request, res: Response, next: NextFunction) => {
    commonHeaders(req, res);
    next();
  });
  // Before format negotiation: `/openapi.json` is a page, not `/openapi` as JSON.
  app.use(metadataRoutes());
  if (deps.media) app.use(mediaRoutes(deps.media));
  app.use(negotiateFormat);

  if (deps.metrics && config.metrics.port === undefined) app.use(metricsRoute(deps.metrics, config.metrics.token));
  app.use(consoleRoutes());

  app.use(authenticate(auth));
  app.use(bodyReader(bodyLimits));

  app.use((req: Request, _res: Response, next: NextFunction) => {
    next(new AppError('not-found', 'NotFound', `No route for ${req.method} ${req.path.slice(0, 200)}`));
  });

  app.use((err: unknown, req: Request, res: Response, _next: NextFunction) => answerError(err, req, res));

  return {
    listener: (req, res) => {
      if (!dispatch(req, res)) app(req, res);
    },
    pages: app,
  };
}
