// The telephony engine: places calls through the port, routes events to their CallSession, and
// keeps the store truthful across faults — reconciling with ARI's channel list after every
// (re)connect, and draining or hanging up live calls on stop.
import type { Config } from '../config.js';
import type { Logger } from '../log.js';
import type { Flow, Session } from '../domain/model.js';
import type { Store } from '../store/store.js';
import type { CallEngine } from '../services/call-engine.js';
import type { TelephonyPort } from './port.js';
import { CallSession } from './call-session.js';
import { Dispatcher } from './dispatcher.js';
import { DEFAULT_STEP_TIMING, type StepTiming } from './steps/types.js';
import { backoffDelay } from './ari/backoff.js';
import { settleOrphans } from './reconcile.js';

export interface TelephonyEngineDeps {
  port: TelephonyPort;
  store: Store;
  router: { endpointFor(e164: string): string };
  config: Config;
  logger: Logger;
  /** Step timing bounds (defaults: DEFAULT_STEP_TIMING). */
  timing?: Partial<StepTiming>;
  /** Originate retries when ARI is unreachable or times out (default 4 attempts, 250 ms → 4 s). */
  originateRetry?: { attempts: number; initialMs: number; maxMs: number };
  /** How long to wait for ChannelDestroyed after our hangup before concluding (default 5 s). */
  hangupConfirmMs?: number;
}

export interface TelephonyEngineStats {
  /** Calls this process is handling (dispatcher entries). */
  liveCalls: number;
  /** Events for channels that are not ours. */
  ignoredEvents: number;
  reconciliations: number;
  /** Channels that entered the application without being ours, hung up. */
  refusedChannels: number;
}

export type TelephonyEngine = CallEngine & {
  /** Connects to ARI (resolves on the first connection) and reconciles sessions left live. */
  start(): Promise<void>;
  /** Stops accepting, lets live calls finish for up to drainMs, then hangs up the rest. */
  stop(opts: { drainMs: number }): Promise<void>;
  stats(): TelephonyEngineStats;
};

/** The variable carrying the session id on the channel (visible in Asterisk's CDRs and logs). */
export const SESSION_ID_VARIABLE = 'ENGINE_SESSION_ID';

const LIVE_AFTER_ORIGINATE = new Set(['dialing', 'ringing', 'in-progress']);

export function createTelephonyEngine(deps: TelephonyEngineDeps): TelephonyEngine {
  const { port, store, router, config, logger } = deps;
  const timing: StepTiming = { ...DEFAULT_STEP_TIMING, ...deps.timing };
  const retry = deps.originateRetry ?? { attempts: 4, initialMs: 250, maxMs: 4_000 };
  const hangupConfirmMs = deps.hangupConfirmMs ?? 5_000;
  const dispatcher = new Dispatcher<CallSession>();
  /** Sessions whose originate Asterisk acknowledged: only those can be missing from its channels. */
  const originated = new WeakSet<CallSession>();
  /** EndSession asked before Asterisk acknowledged the originate: hung up once it does. */
  const endRequested = new WeakMap<CallSession, string>();
  const startedAt = new Date().toISOString();
  let accepting = true;
  let orphansChecked = false;
  /** False from each (re)connection until its reconciliation is done: /ready waits for it. */
  let reconciled = false;
  let reconciliations = 0;
  let refusedChannels = 0;
  let reconciling: Promise<void> | undefined;
  const stopping = new AbortController();

  port.onEvent((event) => {
    if (event.type === 'stasis-start' && !dispatcher.get(event.channelId)) {
      refuseForeignChannel(event.channelId, event.args);
      return;
    }
    dispatcher.dispatch(event);
  });

  /**
   * A channel entering our application that we did not originate (a lab phone dialing a number
   * into Stasis(engine,inbound,...)): the engine runs flows on outgoing calls only, so it ends the
   * call at once rather than leave the caller ringing in Stasis.
   */
  const refuseForeignChannel = (channelId: string, args: string[]): void => {
    refusedChannels += 1;
    logger.info({ channelId, args }, 'channel entered the application but is not an outgoing session: hanging it up');
    void port.hangup(channelId, 'congestion').then((res) => {
      if (!res.ok && res.kind !== 'not-found') logger.warn({ channelId, kind: res.kind }, 'could not hang up a foreign channel');
    });
  };
  port.onConnection((event) => {
    if (event.type === 'connected') {
      void reconcile();
    } else {
      logger.warn({ reason: event.reason, liveCalls: dispatcher.size() }, 'ARI disconnected; calls continue once it is back');
    }
  });

  const newCall = (session: Session, flow: Flow): CallSession => new CallSession(session, flow, {
    port, store, logger, timing, hangupConfirmMs,
    limits: { flowMaxSteps: config.limits.flowMaxSteps, flowMaxDurationMs: config.limits.flowMaxDurationMs },
    onEnd: (call) => dispatcher.remove(call),
  });

  const reconcileOnce = async (): Promise<boolean> => {
    const listed = await port.listChannelIds();
    if (!listed.ok) {
      logger.warn({ kind: listed.kind }, 'cannot list ARI channels to reconcile');
      return false;
    }
    reconciliations += 1;
    const present = new Set(listed.value);
    for (const call of dispatcher.sessions()) {
      if (!originated.has(call) || !LIVE_AFTER_ORIGINATE.has(call.currentState())) continue;
      if (present.has(call.channelId)) {
        void call.resync();
      } else {
        call.timeline('reconciled', { found: false });
        call.conclude('failed', 'channel vanished while the ARI connection was down (Asterisk restarted or the call ended unseen)');
      }
    }
    if (orphansChecked) return true;
    let live: Session[];
    try {
      live = await store.listLiveSessions();
    } catch (err) {
      logger.error({ err }, 'cannot list live sessions to reconcile');
      return false;
    }
    // Sessions of this process are in the dispatcher; younger ones are being placed right now.
    const orphans = live.filter((s) => !dispatcher.get(s.channelId) && s.dateCreated < startedAt);
    const started = performance.now();
    const settled = await settleOrphans(orphans, present, { port, store, logger });
    orphansChecked = settled.failedWrites === 0;
    if (orphans.length > 0) logger.info({ ...settled, ms: Math.round(performance.now() - started) }, 'sessions left live by a previous run settled');
    return orphansChecked;
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
    const call = newCall(session, flow);
    if (!accepting) {
      call.conclude('canceled', 'engine stopping: the call was not placed');
      return;
    }
    // Registered before originate: Asterisk's events can arrive before its REST answer.
    dispatcher.register(call);
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
    const all = (): Promise<void> => Promise.all(dispatcher.sessions().map((c) => c.ended$())).then(() => undefined);
    const within = (ms: number): Promise<void> => new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, ms);
      void all().then(() => {
        clearTimeout(timer);
        resolve();
      });
    });
    if (dispatcher.size() > 0) {
      logger.info({ liveCalls: dispatcher.size(), drainMs }, 'draining live calls');
      await within(drainMs);
    }
    if (dispatcher.size() > 0) {
      logger.info({ liveCalls: dispatcher.size() }, 'drain time elapsed: hanging up the remaining calls');
      for (const call of dispatcher.sessions()) call.stop('engine stopping: drain time elapsed, the engine hung up');
      await within(hangupConfirmMs + 1_000);
      // ARI may be gone: settle what is left so that no session stays live in the store.
      for (const call of dispatcher.sessions()) {
        call.conclude(call.isAnswered() ? 'failed' : 'canceled', 'engine stopped before the call ended (ARI did not confirm the hangup)');
      }
      await within(1_000);
    }
    await reconciling;
    await port.close();
  };

  return {
    isReady: () => accepting && port.isConnected(),
    readiness: () => ({ ari: accepting && port.isConnected(), reconciled }),
    endpointFor: (numberToDial) => router.endpointFor(numberToDial),
    placeCall: async (session, flow) => {
      try {
        await placeCall(session, flow);
      } catch (err) {
        logger.error({ err, sessionId: session.id }, 'placing the call failed');
        const call = dispatcher.get(session.channelId);
        call?.conclude('failed', 'internal error while placing the call');
      }
    },
    endSession: (session) => {
      const call = dispatcher.get(session.channelId);
      if (!call || call.id !== session.id) return false;
      const reason = 'ended by an EndSession request';
      call.timeline('session.end-requested', {});
      // Before the originate is acknowledged there is no channel to hang up yet.
      if (originated.has(call) || call.currentState() === 'queued') call.stop(reason);
      else endRequested.set(call, reason);
      return true;
    },
    liveCount: () => dispatcher.size(),
    start: async () => {
      await port.start();
    },
    stop,
    stats: () => ({ liveCalls: dispatcher.size(), ignoredEvents: dispatcher.ignored, reconciliations, refusedChannels }),
  };
}
