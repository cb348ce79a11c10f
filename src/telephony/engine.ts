// The telephony engine composes the call core; it runs no call itself. Its jobs, one module each:
//   placing.ts     placing a call (the session stored with its first unit, then originated)
//   inbound.ts     calls that come in (looked up, stored, answered)
//   live-calls.ts  routing ARI events to their call (call-session.ts: one call's state machine)
//   reconciler.ts  reconciliation with ARI after every (re)connect, leases, orphans of dead engines
//   server-loss.ts the calls of an Asterisk server that stays unreachable, among several
//   unowned-channels.ts  the periodic sweep of channels in the application that no call runs
//   drain.ts       stopping: live calls finish, or are hung up
import type { Config } from '../config.js';
import type { Logger } from '../log.js';
import type { Flow, Session } from '../domain/model.js';
import type { CallCoreStore } from '../store/store.js';
import type { CallEngine } from '../services/call-engine.js';
import type { TelephonyPort } from './port.js';
import { CallSession } from './call-session.js';
import { LiveCalls } from './live-calls.js';
import { newOwner } from './owner.js';
import { InboundCalls, type InboundRefusal } from './inbound.js';
import type { Router } from '../domain/routing.js';
import { NO_EVENTS_OUT, destinationsOf, type Destinations, type EventsOut } from './session-recorder.js';
import { DEFAULT_STEP_TIMING, type StepTiming } from './steps/types.js';
import type { StreamService } from '../streams/streams.js';
import { isStreamResource } from '../streams/stream-ids.js';
import type { Speaker } from '../tts/speech.js';
import { routeNumber } from './dial-target.js';
import { placeCall, startCall, type PlacingDeps } from './placing.js';
import { Reconciler } from './reconciler.js';
import { drainCalls } from './drain.js';
import { ServerLoss } from './server-loss.js';
import { DEFAULT_RETRY, type RetryPolicy } from './retry.js';
import { UnownedChannelSweep } from './unowned-channels.js';
import { callChannelOf } from './leg-ids.js';

export { SESSION_ID_VARIABLE } from './placing.js';

export interface TelephonyEngineDeps {
  port: TelephonyPort;
  store: CallCoreStore;
  router: Router;
  config: Config;
  logger: Logger;
  /** Step timing bounds (defaults: DEFAULT_STEP_TIMING). */
  timing?: Partial<StepTiming>;
  /** Originate retries when ARI is unreachable or times out (default 4 attempts, 250 ms → 4 s). */
  originateRetry?: RetryPolicy;
  /** How long to wait for ChannelDestroyed after our hangup before concluding (default 5 s). */
  hangupConfirmMs?: number;
  /** Committed events to the live stream and the delivery worker (default: nowhere). */
  events?: EventsOut;
  /** The lease on the sessions this process runs (default 30 s, renewed every third of it). */
  leaseMs?: number;
  /** Told of each inbound call refused (metrics). */
  onInboundRefused?: (reason: InboundRefusal) => void;
  /** Text to speech for say text (absent: say text fails the step, saying why). */
  speaker?: Speaker;
  /** Media streams to WebSocket agents (absent: stream steps fail, saying why). */
  streams?: StreamService;
  /** Whether another engine whose lease expired still answers (several engines on one database). */
  ownerAnswers?: (ownerId: string) => Promise<boolean>;
  /** Told of each channel in the application that no call ran, hung up by the sweep (metrics). */
  onUnownedChannelHungUp?: (server: string | undefined) => void;
}

export interface TelephonyEngineStats {
  /** Calls this process is handling (live-call registry entries). */
  liveCalls: number;
  /** Events for channels that are not ours. */
  ignoredEvents: number;
  reconciliations: number;
  /** Channels that entered the application without being ours (inbound calls refused), hung up. */
  refusedChannels: number;
  /** The same, by reason. */
  inboundRefusals: Record<InboundRefusal, number>;
  /** Inbound calls accepted (sessions created). */
  inboundAccepted: number;
  /** Sweeps for channels no call owns (UNOWNED_CHANNEL_SWEEP_MS) that could list the channels. */
  unownedChannelSweeps: number;
  /** Channels in the application that no call ran, hung up by those sweeps. */
  unownedChannelsHungUp: number;
}

export type TelephonyEngine = CallEngine & {
  /** Connects to ARI (resolves on the first connection) and reconciles sessions left live. */
  start(): Promise<void>;
  /** Stops accepting, lets live calls finish for up to drainMs, then hangs up the rest. */
  stop(opts: { drainMs: number }): Promise<void>;
  stats(): TelephonyEngineStats;
  /** This process's name as the owner of its live sessions (and the worker of its deliveries). */
  ownerId: string;
};

export function createTelephonyEngine(deps: TelephonyEngineDeps): TelephonyEngine {
  const { port, store, router, config, logger } = deps;
  const timing: StepTiming = { ...DEFAULT_STEP_TIMING, ...deps.timing };
  const retry = deps.originateRetry ?? DEFAULT_RETRY;
  const hangupConfirmMs = deps.hangupConfirmMs ?? 5_000;
  const events = deps.events ?? NO_EVENTS_OUT;
  const owner = newOwner(deps.leaseMs ?? 30_000);
  const calls = new LiveCalls<CallSession>();
  const stopping = new AbortController();
  let accepting = true;
  let inboundAccepted = 0;
  const policy = { allowedDestinations: config.allowedDestinations, blockedNumberTypes: config.blockedNumberTypes };
  const route = (number: string) => routeNumber(router, policy, number);

  const destinationsFor = async (session: Pick<Session, 'accountId' | 'statusCallback' | 'statusCallbackEvents'>): Promise<Destinations> => destinationsOf(
    session, await store.activeWebhooks(session.accountId), session.statusCallback ? await store.signingSecret(session.accountId) : undefined);

  const newCall = (session: Session, flow: Flow, destinations: Destinations, inbound: boolean): CallSession => new CallSession(session, flow, {
    port, store, logger, timing, hangupConfirmMs, events, destinations, ...(deps.speaker ? { speaker: deps.speaker } : {}), ...(deps.streams ? { streams: deps.streams } : {}),
    start: { seq: 1 },
    limits: { flowMaxSteps: config.limits.flowMaxSteps, flowMaxDurationMs: config.limits.flowMaxDurationMs },
    onEnd: (c) => calls.remove(c),
    inbound,
    route,
    owns: async (accountId, number) => (await store.findPhoneNumberByNumber(accountId, number))?.enabled === true,
    callerIdPassthrough: async (accountId) => (await store.getAccountSettings(accountId)).callerIdPassthrough,
    attach: (call, kind, id) => calls.attach(call, kind, id),
  });

  const placing: PlacingDeps = {
    port, owner, events, logger, calls, retry, stopping: stopping.signal, originateTimeoutSec: config.originateTimeoutSec,
    accepting: () => accepting, destinationsFor, newCall,
  };
  const reconciler = new Reconciler({
    port, store, owner, events, logger, calls, retry, stopping: stopping.signal, destinationsFor,
    startedAt: new Date().toISOString(), leaseMs: deps.leaseMs ?? 30_000,
    ...(deps.ownerAnswers ? { ownerAnswers: deps.ownerAnswers } : {}),
  });

  const inbound = new InboundCalls({
    port, store, logger,
    maxLiveCallsPerAccount: config.limits.maxLiveCallsPerAccount,
    accepting: () => accepting,
    retry, stopping: stopping.signal,
    start: async (draft, flow) => {
      const call = await startCall(placing, draft, flow, (s, unit) => store.createSessionWith(s, unit), true);
      calls.register(call);
      inboundAccepted += 1;
      await call.acceptInbound();
      return call.stored;
    },
    refused: (reason) => deps.onInboundRefused?.(reason),
  });

  const unowned = new UnownedChannelSweep({
    port, app: config.ariApp, periodMs: config.unownedChannelSweepMs, retry, stopping: stopping.signal, logger,
    // Twice the ring time: far more than an inbound lookup or an event lagging behind GET /channels takes.
    graceMs: 2 * config.originateTimeoutSec * 1000,
    // A dialed leg's or a stream's channel belongs to the call it derives from (leg-ids.ts).
    owned: (id) => calls.byChannelId(id) !== undefined || calls.byChannelId(callChannelOf(id)) !== undefined || inbound.lookingUp(id),
    ...(deps.onUnownedChannelHungUp ? { onHungUp: deps.onUnownedChannelHungUp } : {}),
  });

  port.onEvent((event) => {
    // A stream's own channels (media, snoop) enter the application too: they are not calls.
    if ('channelId' in event && event.channelId !== undefined && isStreamResource(event.channelId)) return;
    if (inbound.hold(event)) return;
    if (event.type === 'stasis-start' && !calls.byChannelId(event.channelId)) {
      inbound.arrive(event, (held) => calls.dispatch(held));
      return;
    }
    calls.dispatch(event);
  });
  const serverLoss = new ServerLoss({ port, calls, graceMs: deps.leaseMs ?? 30_000, logger });
  port.onConnection((event) => {
    serverLoss.onConnection(event);
    if (event.type === 'connected') void reconciler.reconcile();
    else logger.warn({ reason: event.reason, server: event.server, liveCalls: calls.size() }, 'ARI disconnected; calls continue once it is back');
  });

  return {
    isReady: () => accepting && port.isConnected(),
    readiness: () => ({
      ari: accepting && port.isConnected(), reconciled: reconciler.reconciled,
      ...(port.placement ? { servers: port.placement.servers().map(({ name, up, liveCalls }) => ({ name, up, liveCalls })) } : {}),
    }),
    endpointFor: (numberToDial) => router.endpointFor(numberToDial),
    placeCall: (draft, flow, commit) => placeCall(placing, draft, flow, commit),
    live: (sessionId) => calls.get(sessionId),
    endSession: (session) => {
      const call = calls.get(session.id);
      if (!call) return false;
      call.requestEnd('ended by an EndSession request');
      return true;
    },
    liveCount: () => calls.size(),
    start: async () => {
      await port.start();
      unowned.start();
    },
    stop: async ({ drainMs }) => {
      accepting = false;
      stopping.abort('engine stopping');
      const passes = reconciler.stop();
      const sweeping = unowned.stop();
      serverLoss.stop();
      await drainCalls(calls, { drainMs, hangupConfirmMs, logger });
      await passes;
      await sweeping;
      await port.close();
      owner.release();
    },
    stats: () => ({
      liveCalls: calls.size(), ignoredEvents: calls.ignored, reconciliations: reconciler.passes,
      refusedChannels: Object.values(inbound.refusals).reduce((a, b) => a + b, 0),
      inboundRefusals: { ...inbound.refusals }, inboundAccepted,
      unownedChannelSweeps: unowned.sweeps, unownedChannelsHungUp: unowned.hungUp,
    }),
    ownerId: owner.id,
  };
}
