// Builds and starts the whole engine from a config: the same wiring for `npm start`, the
// end-to-end tests and the benchmark. main.ts adds only process signals around it.
import { randomBytes } from 'node:crypto';
import type { Config } from './config.js';
import type { Logger } from './log.js';
import { openStore } from './store/open-store.js';
import type { Store } from './store/store.js';
import { loadRouter } from './domain/routing.js';
import { createAriClientPort } from './telephony/ari/ari-client-adapter.js';
import { createAriStreamMedia } from './telephony/ari/ari-stream-media.js';
import { createServersPort, type AriServer } from './telephony/ari/ari-servers.js';
import type { ServerPlacement } from './telephony/port.js';
import { ensureApplicationIsOurs } from './telephony/ari/app-check.js';
import { SINGLE_SERVER_NAME, type AriServerConfig } from './config.js';
import { StreamService } from './streams/streams.js';
import { streamMetrics } from './metrics/stream-metrics.js';
import { createTelephonyEngine } from './telephony/engine.js';
import { buildApp } from './http/app.js';
import { startHttpServer } from './http/server.js';
import { startSimulator, type RunningSimulator, type CalleeScript } from './sim/index.js';
import { seedDemo } from './demo.js';
import { EventBus } from './events/event-bus.js';
import { DeliveryWorker } from './events/delivery-worker.js';
import { ownerIsGone } from './telephony/owner.js';
import { createSpeech } from './tts/create.js';
import { RecordingService } from './services/recordings.js';
import { createEngineMetrics } from './metrics/engine-metrics.js';
import { instrument } from './metrics/instrument.js';
import { webhookObserver } from './metrics/webhook-observer.js';
import { startMetricsServer } from './http/metrics-route.js';
import type { ClusterBus } from './cluster/cluster-bus.js';
import { InProcessClusterBus } from './cluster/in-process.js';
import { Cluster } from './cluster/control-forwarder.js';
import { RemoteEvents } from './cluster/remote-events.js';
import { PgClusterBus } from './store/cluster/pg-cluster-bus.js';

/** How long an engine whose lease expired has to answer before its sessions are taken over. */
const OWNER_PING_MS = 2_000;
/** How often recordings past RECORDING_RETENTION_DAYS are looked for. */
const RETENTION_SWEEP_MS = 10 * 60_000;

export interface RunningStack {
  config: Config;
  store: Store;
  /** The built-in simulator, when no ARI_URL was configured. */
  simulator: RunningSimulator | undefined;
  httpPort: number;
  engine: ReturnType<typeof createTelephonyEngine>;
  /** Sends the webhook outbox. */
  deliveries: DeliveryWorker;
  /** Port of the METRICS_PORT listener, when configured. */
  metricsPort: number | undefined;
  /** Resolves once ARI is connected for the first time. */
  ariConnected: Promise<void>;
  /** Stops accepting, drains live calls (config.drainTimeoutMs unless given), closes everything. */
  stop(drainMs?: number): Promise<void>;
}

export interface StackOptions {
  /** Callee scripts for the built-in simulator. */
  simulatorScripts?: Record<string, CalleeScript>;
  /** Told the ids of the webhook events just committed to the outbox (the benchmark times deliveries from here). */
  onOutboxCommitted?: (eventIds: readonly string[]) => void;
}

export async function startStack(config: Config, logger: Logger, options: StackOptions = {}): Promise<RunningStack> {
  let simulator: RunningSimulator | undefined;
  let ariServers: AriServerConfig[] | undefined = config.ariServers;
  if (!ariServers) {
    // Embedded default: a private simulator on a loopback port with a random password.
    const password = randomBytes(18).toString('base64url');
    simulator = await startSimulator({
      port: config.simulator.port,
      host: '127.0.0.1',
      username: 'engine',
      password,
      timeScale: config.simulator.timeScale,
      scripts: options.simulatorScripts ?? {},
      logger: logger.child({ component: 'simulator' }),
    });
    ariServers = [{ name: SINGLE_SERVER_NAME, url: simulator.url, username: 'engine', password, weight: 1 }];
    logger.info({ ariUrl: simulator.url }, 'no ARI_URL: started the built-in Asterisk simulator');
  }

  const opened = await openStore(config, {
    onAvailability: (problem) => {
      if (problem) logger.error({ problem }, 'database unreachable: live calls go on, their writes are held in memory and retried');
      else logger.info('database reachable again: held writes committed');
    },
  });
  if (config.demoMode || simulator) await seedDemo(opened);

  const router = loadRouter(config.routesFile);
  let servers: () => ReturnType<ServerPlacement['servers']> = () => [];
  const metrics = createEngineMetrics({ outboxPending: () => opened.pendingDeliveries(), servers: () => servers() });
  // Before connecting: a WebSocket under a name another engine holds would take its calls' events.
  try {
    await ensureApplicationIsOurs(ariServers, config.ariApp, {
      liveSessions: () => opened.listLiveSessionsNotOwnedBy(''),
      warn: (detail, message) => logger.warn({ app: config.ariApp, ...detail }, message),
    });
  } catch (err) {
    await opened.close();
    await simulator?.close();
    throw err;
  }
  const serverPorts = ariServers.map((s): AriServer => ({
    name: s.name, weight: s.weight,
    port: createAriClientPort({ url: s.url, username: s.username, password: s.password, app: config.ariApp, logger: logger.child({ component: 'ari', server: s.name }) }),
    media: createAriStreamMedia({ url: s.url, username: s.username, password: s.password, app: config.ariApp }),
  }));
  const serversPort = createServersPort(serverPorts, logger.child({ component: 'ari' }));
  servers = () => serversPort.placement.servers();
  const { store, port } = instrument(metrics, { store: opened, port: serversPort });
  const bus = new EventBus();
  // Made once the engine (and its owner id) exists; the engine asks it only from its lease timer.
  let cluster: Cluster | undefined;
  const clusterBus: ClusterBus = config.postgres
    ? new PgClusterBus({ url: config.postgres.url, logger: logger.child({ component: 'cluster' }) })
    : new InProcessClusterBus();
  const recordings = new RecordingService(store, port, logger.child({ component: 'recordings' }));
  const retention = config.recordingRetentionMs > 0 ? setInterval(() => {
    recordings.sweep(config.recordingRetentionMs).catch((err: unknown) => logger.warn({ err }, 'recording retention sweep failed'));
  }, RETENTION_SWEEP_MS) : undefined;
  retention?.unref();
  let httpPort = 0;
  const { speech, publisher } = createSpeech(config, logger.child({ component: 'tts' }), () => {
    const host = config.host === '0.0.0.0' || config.host === '::' ? '127.0.0.1' : config.host;
    return `http://${host.includes(':') ? `[${host}]` : host}:${httpPort}`;
  });
  await speech?.start();
  let deliveries: DeliveryWorker | undefined;
  const streams = new StreamService({
    port, media: serversPort.media, allowPrivate: config.allowPrivateDestinations,
    logger: logger.child({ component: 'streams' }), observer: streamMetrics(metrics.registry),
  });
  const engine = createTelephonyEngine({
    port, store, router, config, logger: logger.child({ component: 'engine' }), leaseMs: config.sessionLeaseMs,
    onInboundRefused: (reason) => metrics.inboundRefused.inc({ reason }),
    onUnownedChannelHungUp: (server) => metrics.unownedChannelsHungUp.inc({ server: server ?? SINGLE_SERVER_NAME }),
    ...(speech ? { speaker: speech } : {}),
    streams,
    // Asked before a takeover: an engine whose lease lapsed (the database was out of reach) but that answers keeps its calls.
    ownerAnswers: (ownerId) => cluster?.ownerAnswers(ownerId, OWNER_PING_MS) ?? Promise.resolve(true),
    events: {
      // Other engines' streams may follow this engine's sessions: every event is announced then.
      listening: (accountId, sessionId) => clusterBus.shared || bus.listening(accountId, sessionId),
      published: (event) => {
        bus.publish(event);
        if (clusterBus.shared) clusterBus.announce({ accountId: event.accountId, sessionId: event.sessionId, seq: event.sequence });
      },
      claim: () => deliveries?.claim(),
      outboxCommitted: (committed) => {
        options.onOutboxCommitted?.(committed.map((e) => e.id));
        deliveries?.accept(committed);
      },
    },
  });
  deliveries = new DeliveryWorker({
    store, logger: logger.child({ component: 'webhooks' }), workerId: engine.ownerId, allowPrivate: config.allowPrivateDestinations,
    timeoutMs: config.webhooks.timeoutMs, perDestination: config.webhooks.perDestination,
    retry: { baseMs: config.webhooks.retryBaseMs, maxDelayMs: config.webhooks.retryMaxDelayMs, jitter: 0.2, maxAgeMs: config.webhooks.maxAgeMs },
    observer: webhookObserver(metrics),
  });
  // Claims of a worker of this host that is gone (killed) are free at once, not after their lease.
  await store.releaseClaims((await store.owners()).filter((o) => ownerIsGone(o, null)));
  deliveries.start();
  const remoteEvents = new RemoteEvents(store, bus, logger.child({ component: 'cluster' }));
  const cl = new Cluster({
    bus: clusterBus, getSession: (accountId, id) => store.getSession(accountId, id), selfId: engine.ownerId,
    timeoutMs: config.clusterControlTimeoutMs, logger: logger.child({ component: 'cluster' }), events: (refs) => remoteEvents.receive(refs),
  });
  cluster = cl;
  await cl.start();
  const app = buildApp({ config, store, engine, logger: logger.child({ component: 'http' }), isReady: () => store.isWritable(),
    databaseProblem: () => store.databaseProblem(), bus, metrics,
    media: publisher, recordings, cluster: cl, ...(speech ? { tts: () => speech.readiness(), speech } : {}), soundSources: () => [port] });
  const http = await startHttpServer(app.listener, config);
  httpPort = http.port;
  const metricsServer = config.metrics.port === undefined ? undefined : await startMetricsServer(metrics, config, config.metrics.port);

  // ARI may be down at start (Asterisk restarting): HTTP serves /health meanwhile and /ready says why.
  const ariConnected = engine.start();
  ariConnected.catch((err: unknown) => logger.error({ err }, 'telephony engine failed to start'));

  let stopped: Promise<void> | undefined;
  const stop = (drainMs = config.drainTimeoutMs): Promise<void> => {
    stopped ??= (async () => {
      if (retention) clearInterval(retention);
      await http.close();
      await metricsServer?.close();
      await engine.stop({ drainMs });
      await cl.stop();
      await deliveries.stop();
      await store.close();
      await simulator?.close();
    })();
    return stopped;
  };

  return { config, store, simulator, httpPort: http.port, metricsPort: metricsServer?.port, engine, deliveries, ariConnected, stop };
}
