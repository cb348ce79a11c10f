// The telephony engine: places calls through the port, takes calls that come in (inbound.ts),
// routes events to their CallSession through the live-call registry, hands live calls to the control operations, and keeps the store
// truthful across faults — reconciling with ARI's channel list after every (re)connect, ending
// the sessions of engines that are gone (orphans.ts), and draining or hanging up live calls on stop.
import type { Config } from '../config.js';
import type { Logger } from '../log.js';
import type { Flow, Session } from '../domain/model.js';
import type { SessionUnit, Store } from '../store/store.js';
import type { CallEngine } from '../services/call-engine.js';
import type { TelephonyPort } from './port.js';
import { CallSession } from './call-session.js';
import { LiveCalls } from './live-calls.js';
import { newOwner } from './owner.js';
import { endOrphans } from './orphans.js';
import type { AriState } from './reconcile.js';
import { InboundCalls, type InboundRefusal } from './inbound.js';
import { checkE164 } from '../domain/e164.js';
import { checkDestination } from '../domain/destination-policy.js';
import { isExtension } from '../domain/extension.js';
import type { Router } from '../domain/routing.js';
import { NO_EVENTS_OUT, SessionRecorder, destinationsOf, type Destinations, type EventsOut } from './session-recorder.js';
import { DEFAULT_STEP_TIMING, type StepTiming } from './steps/types.js';
import type { StreamService } from '../streams/streams.js';
import { isStreamResource } from '../streams/stream-ids.js';
import type { Speaker } from '../tts/speech.js';
import { backoffDelay } from './ari/backoff.js';

export interface TelephonyEngineDeps {
  port: TelephonyPort;
  store: Store;
  router: Router;
  config: Config;
  logger: Logger;
  /** Step timing bounds (defaults: DEFAULT_STEP_TIMING). */
  timing?: Partial<StepTiming>;
  /** Originate retries when ARI is unreachable or times out (default 4 attempts, 250 ms → 4 s). */
  originateRetry?: { attempts: number; initialMs: number; maxMs: number };
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

/** The variable carrying the session id on the channel (visible in Asterisk's CDRs and logs). */
export const SESSION_ID_VARIABLE = 'ENGINE_SESSION_ID';

const LIVE_AFTER_ORIGINATE = new Set(['dialing', 'ringing', 'in-progress']);

export function createTelephonyEngine(deps: TelephonyEngineDeps): TelephonyEngine {
  const { port, store, router, config, logger } = deps;
  const timing: StepTiming = { ...DEFAULT_STEP_TIMING, ...deps.timing };
  const retry = deps.originateRetry ?? { attempts: 4, initialMs: 250, maxMs: 4_000 };
  const hangupConfirmMs = deps.hangupConfirmMs ?? 5_000;
  const events = deps.events ?? NO_EVENTS_OUT;
  const leaseMs = deps.leaseMs ?? 30_000;
  const owner = newOwner(leaseMs);
  const calls = new LiveCalls<CallSession>();
  /**
   * Sessions admitted by this engine: their first unit (seq 1), written with the session, and their
   * destinations (read once, at admission, so that placing the call registers it without waiting).
   */
  const admitted = new Map<string, { unit: SessionUnit; destinations: Destinations }>();
  /** Sessions whose originate Asterisk acknowledged: only those can be missing from its channels. */
  const originated = new WeakSet<CallSession>();
  /** EndSession asked before Asterisk acknowledged the originate: hung up once it does. */
  const endRequested = new WeakMap<CallSession, string>();
  const startedAt = new Date().toISOString();
  let accepting = true;
  /** False from each (re)connection until its reconciliation is done: /ready waits for it. */
  let reconciled = false;
  let reconciliations = 0;
  let inboundAccepted = 0;
  let reconciling: Promise<void> | undefined;
  const stopping = new AbortController();

  const inbound = new InboundCalls({
    port, store, logger,
    maxLiveCallsPerAccount: config.limits.maxLiveCallsPerAccount,
    accepting: () => accepting,
    admit: (draft) => admit(draft),
    run: async (session, flow) => {
      const call = await newCall(session, flow, true);
      calls.register(call);
      originated.add(call);
      inboundAccepted += 1;
      await call.acceptInbound();
    },
    refused: (reason) => deps.onInboundRefused?.(reason),
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
  port.onConnection((event) => {
    if (event.type === 'connected') {
      void reconcile();
    } else {
      logger.warn({ reason: event.reason, liveCalls: calls.size() }, 'ARI disconnected; calls continue once it is back');
    }
  });

  const destinationsFor = async (session: Pick<Session, 'accountId' | 'statusCallback' | 'statusCallbackEvents'>): Promise<Destinations> => destinationsOf(
    session, await store.activeWebhooks(session.accountId), session.statusCallback ? await store.signingSecret(session.accountId) : undefined);

  /** Sessions not admitted here (created straight in the store) read where they stand first. */
  const newCall = (session: Session, flow: Flow, isInbound = false): CallSession | Promise<CallSession> => {
    const first = admitted.get(session.id);
    admitted.delete(session.id);
    const make = (destinations: Destinations, seq: number): CallSession => new CallSession(session, flow, {
      port, store, logger, timing, hangupConfirmMs, events, destinations, ...(deps.speaker ? { speaker: deps.speaker } : {}), ...(deps.streams ? { streams: deps.streams } : {}),
      start: { seq },
      limits: { flowMaxSteps: config.limits.flowMaxSteps, flowMaxDurationMs: config.limits.flowMaxDurationMs },
      onEnd: (c) => calls.remove(c),
      inbound: isInbound,
      route,
      owns: async (accountId, number) => (await store.findPhoneNumberByNumber(accountId, number))?.enabled === true,
      callerIdPassthrough: async (accountId) => (await store.getAccountSettings(accountId)).callerIdPassthrough,
      attach: (call, kind, id) => calls.attach(call, kind, id),
    });
    if (!first) return Promise.all([destinationsFor(session), store.lastSeq(session.id)]).then(([d, seq]) => make(d, seq));
    // The session and its first events are committed (the service created it before placing it).
    if (first.unit.outbox) events.outboxCommitted(first.unit.outbox);
    return make(first.destinations, 1);
  };

  /**
   * A number a flow dials or transfers to: an E.164 number is checked like numberToDial (the
   * destination policy) then routed; an extension goes only where a routing rule sends it (it has
   * no country or number type for the policy to judge, and never falls to the trunk default).
   */
  const route = (number: string): { ok: true; endpoint: string } | { ok: false; reason: string } => {
    if (isExtension(number)) {
      const endpoint = router.endpointForExtension(number);
      return endpoint === undefined
        ? { ok: false, reason: `no routing rule dials the extension ${number} (the default route is for E.164 numbers only)` }
        : { ok: true, endpoint };
    }
    const checked = checkE164(number, 'to');
    if (!checked.ok) return { ok: false, reason: checked.error.message };
    const refused = checkDestination(checked.e164, { allowedDestinations: config.allowedDestinations, blockedNumberTypes: config.blockedNumberTypes }, 'to', checked.info());
    if (refused) return { ok: false, reason: refused.message };
    try {
      return { ok: true, endpoint: router.endpointFor(checked.e164) };
    } catch {
      return { ok: false, reason: `no route dials ${checked.e164}` };
    }
  };

  const admit: CallEngine['admit'] = async (draft) => {
    const session = { ...draft, owner: { id: owner.id, leaseExpires: owner.leaseExpires() } };
    const view = {
      ...session, direction: draft.direction ?? 'outbound', state: 'queued' as const, variables: {}, endReason: null, dateAnswered: null, dateEnded: null,
      statusCallback: draft.statusCallback ?? null, statusCallbackEvents: draft.statusCallbackEvents ?? null,
      ownerId: owner.id, leaseExpires: session.owner.leaseExpires,
    };
    const destinations = await destinationsFor(view);
    const unit = SessionRecorder.firstUnit(view, destinations, events.claim());
    admitted.set(draft.id, { unit, destinations });
    return { session, unit };
  };

  const orphanDeps = { store, port, owner, events, logger, startedAt, destinationsFor, isOurs: (id: string) => calls.get(id) !== undefined };

  const reconcileOnce = async (): Promise<boolean> => {
    const listed = await port.listChannelIds();
    if (!listed.ok) {
      logger.warn({ kind: listed.kind }, 'cannot list ARI channels to reconcile');
      return false;
    }
    reconciliations += 1;
    const present = new Set(listed.value);
    for (const call of calls.calls()) {
      if (!originated.has(call) || !LIVE_AFTER_ORIGINATE.has(call.currentState())) continue;
      if (present.has(call.channelId)) {
        void call.resync();
      } else {
        call.timeline('reconciled', { found: false });
        call.conclude('failed', 'channel vanished while the ARI connection was down (Asterisk restarted or the call ended unseen)');
      }
    }
    return sweepOrphans(() => withBridges(present));
  };

  /**
   * Ends the sessions of engines that are gone (orphans.ts); ARI's channel and bridge lists are
   * fetched only if there are some. False when a list or a write failed (the pass is retried).
   */
  const sweepOrphans = async (ari: () => Promise<AriState | undefined>): Promise<boolean> => {
    try {
      const started = performance.now();
      const settled = await endOrphans(orphanDeps, ari);
      if (settled.taken > 0) logger.info({ ...settled, ms: Math.round(performance.now() - started) }, 'sessions left live by a previous run settled');
      return settled.complete;
    } catch (err) {
      logger.error({ err }, 'cannot list live sessions to reconcile');
      return false;
    }
  };

  /** ARI's bridges with a channel list already taken (undefined when the bridges cannot be listed). */
  const withBridges = async (channels: ReadonlySet<string>): Promise<AriState | undefined> => {
    const bridges = await port.listBridgeIds();
    if (!bridges.ok) logger.warn({ kind: bridges.kind }, 'cannot list ARI bridges to reconcile');
    return bridges.ok ? { channels, bridges: bridges.value } : undefined;
  };

  const listAri = async (): Promise<AriState | undefined> => {
    const listed = await port.listChannelIds();
    return listed.ok ? withBridges(new Set(listed.value)) : undefined;
  };

  /** Until a pass succeeds while connected: a failed list or write is retried with backoff. */
  const reconcileUntilDone = async (): Promise<boolean> => {
    for (let attempt = 0; ; attempt += 1) {
      if (await reconcileOnce()) return true;
      if (!port.isConnected() || !(await waitRetry(attempt))) return false;
    }
  };

  let generation = 0;
  const reconcile = (): Promise<void> => {
    const mine = ++generation;
    reconciled = false;
    // One at a time; a reconnect during a reconciliation queues another pass, and only the last
    // queued pass may declare the engine reconciled.
    const run = (reconciling ?? Promise.resolve()).then(async () => {
      if ((await reconcileUntilDone()) && mine === generation) reconciled = true;
    }).catch((err: unknown) => {
      logger.error({ err }, 'reconciliation failed');
    });
    reconciling = run;
    return run;
  };

  const waitRetry = (attempt: number): Promise<boolean> => new Promise((resolve) => {
    if (stopping.signal.aborted) {
      resolve(false);
      return;
    }
    const onStop = (): void => {
      clearTimeout(timer);
      resolve(false);
    };
    const timer = setTimeout(() => {
      stopping.signal.removeEventListener('abort', onStop);
      resolve(true);
    }, backoffDelay(attempt, retry));
    stopping.signal.addEventListener('abort', onStop, { once: true });
  });

  const placeCall = async (session: Session, flow: Flow): Promise<void> => {
    const made = newCall(session, flow);
    const call = made instanceof CallSession ? made : await made;
    if (!accepting) {
      call.conclude('canceled', 'engine stopping: the call was not placed');
      return;
    }
    // Registered before originate: Asterisk's events can arrive before its REST answer.
    calls.register(call);
    call.markDialing();
    for (let attempt = 0; ; attempt += 1) {
      const res = await port.originate({
        channelId: session.channelId,
        endpoint: session.endpoint,
        callerId: session.callerId,
        timeoutSec: config.originateTimeoutSec,
        variables: { [SESSION_ID_VARIABLE]: session.id },
        appArgs: [session.id],
      });
      if (res.ok || res.kind === 'conflict') {
        // 409 on a retry: the earlier attempt did create the channel (same id), the call goes on.
        originated.add(call);
        call.timeline('ari.originated', { channelId: session.channelId, endpoint: session.endpoint, attempt: attempt + 1, ...(res.ok ? {} : { existed: true }) });
        const endReason = endRequested.get(call);
        if (endReason !== undefined) call.stop(endReason);
        return;
      }
      call.timeline('error', { op: 'originate', kind: res.kind, message: res.message, attempt: attempt + 1 });
      if (res.kind === 'unavailable' && attempt + 1 < retry.attempts && (await waitRetry(attempt))) continue;
      if (res.kind === 'unavailable') {
        // A timed-out request may still have created the channel: make sure no call goes on unowned.
        void port.hangup(session.channelId, 'normal');
        call.conclude('failed', `originate failed: ARI unavailable (${res.message})`);
      } else {
        call.conclude('failed', `originate refused by Asterisk (${res.kind}): ${res.message}`);
      }
      return;
    }
  };

  const stop = async ({ drainMs }: { drainMs: number }): Promise<void> => {
    accepting = false;
    stopping.abort('engine stopping');
    clearInterval(leaseTimer);
    const all = (): Promise<void> => Promise.all(calls.calls().map((c) => c.ended$())).then(() => undefined);
    const within = (ms: number): Promise<void> => new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, ms);
      void all().then(() => {
        clearTimeout(timer);
        resolve();
      });
    });
    if (calls.size() > 0) {
      logger.info({ liveCalls: calls.size(), drainMs }, 'draining live calls');
      await within(drainMs);
    }
    if (calls.size() > 0) {
      logger.info({ liveCalls: calls.size() }, 'drain time elapsed: hanging up the remaining calls');
      for (const call of calls.calls()) call.stop('engine stopping: drain time elapsed, the engine hung up');
      await within(hangupConfirmMs + 1_000);
      // ARI may be gone: settle what is left so that no session stays live in the store.
      for (const call of calls.calls()) {
        call.conclude(call.isAnswered() ? 'failed' : 'canceled', 'engine stopped before the call ended (ARI did not confirm the hangup)');
      }
      await within(1_000);
    }
    await reconciling;
    await port.close();
    owner.release();
  };

  // The lease on our live sessions; the same tick looks for sessions of engines that are gone.
  const leaseTimer = setInterval(() => {
    void store.renewLeases(owner.id, owner.leaseExpires()).catch((err: unknown) => logger.warn({ err }, 'renewing session leases failed'));
    if (port.isConnected()) void sweepOrphans(listAri);
  }, Math.max(1_000, Math.floor(leaseMs / 3)));
  leaseTimer.unref();

  return {
    isReady: () => accepting && port.isConnected(),
    readiness: () => ({ ari: accepting && port.isConnected(), reconciled }),
    endpointFor: (numberToDial) => router.endpointFor(numberToDial),
    admit,
    live: (sessionId) => calls.get(sessionId),
    placeCall: async (session, flow) => {
      try {
        await placeCall(session, flow);
      } catch (err) {
        logger.error({ err, sessionId: session.id }, 'placing the call failed');
        const call = calls.get(session.id);
        call?.conclude('failed', 'internal error while placing the call');
      }
    },
    endSession: (session) => {
      const call = calls.get(session.id);
      if (!call) return false;
      const reason = 'ended by an EndSession request';
      call.timeline('session.end-requested', {});
      // Before the originate is acknowledged there is no channel to hang up yet.
      if (originated.has(call) || call.currentState() === 'queued') call.stop(reason);
      else endRequested.set(call, reason);
      return true;
    },
    liveCount: () => calls.size(),
    start: async () => {
      await port.start();
    },
    stop,
    stats: () => ({
      liveCalls: calls.size(), ignoredEvents: calls.ignored, reconciliations,
      refusedChannels: Object.values(inbound.refusals).reduce((a, b) => a + b, 0),
      inboundRefusals: { ...inbound.refusals }, inboundAccepted,
    }),
    ownerId: owner.id,
  };
}
