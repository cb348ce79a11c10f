// Wires the metrics to the engine's seams without touching its code: the store and the telephony
// port are wrapped (Proxy: every other member passes through untouched) before the engine and the
// HTTP app receive them.
import type { Store } from '../store/store.js';
import type { PortResult, TelephonyPort } from '../telephony/port.js';
import type { EngineMetrics } from './engine-metrics.js';
import { CallObserver } from './call-observer.js';

/** The port's REST operations, the `operation` label of the ARI request metrics. */
const ARI_OPERATIONS = new Set([
  'originate', 'answer', 'play', 'stopPlayback', 'playbackState', 'record', 'hangup', 'setVariable', 'listChannels', 'listBridgeIds', 'listSounds',
  'startMoh', 'stopMoh', 'sendDtmf', 'createChannel', 'dial', 'createBridge', 'addToBridge', 'destroyBridge', 'playOnBridge',
  'startBridgeMoh', 'stopBridgeMoh', 'recordBridge', 'continueInDialplan',
]);

type AnyFn = (...args: unknown[]) => unknown;

/** A Proxy handler serving `replace(name)` where given, else the target's member (methods bound once). */
function passThrough<T extends object>(replace: (name: string, value: AnyFn) => AnyFn | undefined): ProxyHandler<T> {
  const cache = new Map<string | symbol, AnyFn>();
  return {
    get(target, prop, receiver) {
      const value: unknown = Reflect.get(target, prop, receiver);
      if (typeof value !== 'function') return value;
      let fn = cache.get(prop);
      if (!fn) {
        fn = (typeof prop === 'string' ? replace(prop, value as AnyFn) : undefined) ?? (value as AnyFn).bind(target);
        cache.set(prop, fn);
      }
      return fn;
    },
  };
}

export function observeStore(store: Store, calls: CallObserver): Store {
  const overrides: Partial<Store> = {
    // Sessions write through session units (telephony/session-recorder.ts).
    createSessionWith: (session, unit, idempotency) => store.createSessionWith(session, unit, idempotency).then((created) => {
      calls.placed(created);
      for (const row of unit.timeline ?? []) calls.timeline(created.id, row);
      return created;
    }),
    recordSession: (sessionId, unit, urgent) => {
      for (const row of unit.timeline ?? []) calls.timeline(sessionId, row);
      return store.recordSession(sessionId, unit, urgent);
    },
  };
  return new Proxy(store, passThrough<Store>((name) => overrides[name as keyof Store] as AnyFn | undefined));
}

export function observePort<P extends TelephonyPort>(port: P, metrics: EngineMetrics, calls: CallObserver): P {
  let everConnected = false;
  metrics.ariConnected.set(0);
  port.onConnection((event) => {
    if (event.type === 'connected') {
      if (everConnected) metrics.ariReconnects.inc();
      everConnected = true;
    }
    // Behind several servers: 1 while one of them is (engine_asterisk_server_up tells which).
    metrics.ariConnected.set(port.isConnected() ? 1 : 0);
  });
  port.onEvent((event) => {
    if (event.type === 'stasis-start') calls.stasisStart(event.channelId);
  });

  const timedOperation = (name: string, fn: AnyFn): AnyFn => {
    const seconds = metrics.ariRequestSeconds.labels(name);
    return (...args) => {
      const started = performance.now();
      return (fn.apply(port, args) as Promise<PortResult<unknown>>).then((res) => {
        seconds.observe((performance.now() - started) / 1000);
        if (!res.ok) metrics.ariRequestErrors.inc({ operation: name, kind: res.kind });
        return res;
      });
    };
  };
  return new Proxy(port, passThrough<P>((name, fn) => (ARI_OPERATIONS.has(name) ? timedOperation(name, fn) : undefined)));
}

/** The store and the port as the engine and the app should receive them, observed. */
export function instrument<P extends TelephonyPort>(metrics: EngineMetrics, parts: { store: Store; port: P }): { store: Store; port: P } {
  const calls = new CallObserver(metrics);
  return { store: observeStore(parts.store, calls), port: observePort(parts.port, metrics, calls) };
}
