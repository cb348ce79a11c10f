// Preloaded into the measured process (`node --import ./bench/engine-probe.mjs ...`) by the
// benchmark: answers, over the IPC channel bench/run.ts opened, with what only the process itself
// knows: heap figures (after a forced GC when the process runs with --expose-gc), event-loop
// delay while asked to watch it, a count of live EventEmitter listeners (to see per-channel
// listeners left behind) and a count of SQLite statements (each statement run, each exec). It
// does nothing without an IPC channel, and it never keeps the process alive on its own.
import { EventEmitter } from 'node:events';
import { createRequire } from 'node:module';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { getHeapSpaceStatistics, writeHeapSnapshot } from 'node:v8';

if (typeof process.send === 'function') {
  // Live listeners across every live emitter. Each outermost add/remove counts the change it
  // really made (once/prependOnceListener/removeAllListeners go through these, hence the depth
  // guard); an emitter collected with listeners still attached takes them with it (finalizer).
  // Also kept by "Class:event", so that a growing count says which listener piles up.
  let listeners = 0;
  let depth = 0;
  // class name → event name → live listeners (nested maps: no string building per change).
  const byKind = new Map();
  const addKind = (kind, name, change) => {
    let events = byKind.get(kind);
    if (!events) {
      events = new Map();
      byKind.set(kind, events);
    }
    const n = (events.get(name) ?? 0) + change;
    if (n === 0) events.delete(name);
    else events.set(name, n);
  };
  const held = new WeakMap();
  const collected = new FinalizationRegistry((holder) => {
    listeners -= holder.count;
    for (const [name, n] of holder.events) addKind(holder.kind, name, -n);
  });
  const holderOf = (emitter) => {
    let holder = held.get(emitter);
    if (!holder) {
      holder = { count: 0, kind: emitter.constructor?.name ?? 'Object', events: new Map() };
      held.set(emitter, holder);
      collected.register(emitter, holder);
    }
    return holder;
  };
  const proto = EventEmitter.prototype;
  const total = (emitter) => {
    let n = 0;
    for (const name of emitter.eventNames()) n += emitter.listenerCount(name);
    return n;
  };
  const counted = (original, whole = false) => function countedListenerChange(...args) {
    if (depth > 0) return original.apply(this, args);
    depth++;
    const count = whole ? () => total(this) : () => this.listenerCount(args[0]);
    const before = count();
    try {
      return original.apply(this, args);
    } finally {
      const change = count() - before;
      if (change !== 0) {
        listeners += change;
        const holder = holderOf(this);
        holder.count += change;
        // removeAllListeners() without a name: spread over what the holder knew.
        const names = whole && args[0] === undefined ? [...holder.events.keys()] : [args[0]];
        for (const name of names) {
          const before = holder.events.get(name) ?? 0;
          const after = whole ? this.listenerCount(name) : before + change;
          if (after === 0) holder.events.delete(name);
          else holder.events.set(name, after);
          addKind(holder.kind, name, after - before);
        }
      }
      depth--;
    }
  };
  const add = counted(proto.addListener);
  const remove = counted(proto.removeListener);
  proto.addListener = add;
  proto.on = add;
  proto.prependListener = counted(proto.prependListener);
  proto.removeListener = remove;
  proto.off = remove;
  proto.removeAllListeners = counted(proto.removeAllListeners, true);

  // The engine's own better-sqlite3 (resolved from its directory): every statement the store runs
  // goes through Statement#run/all/get, every multi-statement exec through Database#exec.
  let sqlTrips = 0;
  try {
    const Database = createRequire(`${process.cwd()}/`)('better-sqlite3');
    const probe = new Database(':memory:');
    const statementProto = Object.getPrototypeOf(probe.prepare('SELECT 1'));
    probe.close();
    const countTrip = (proto, name) => {
      const original = proto[name];
      proto[name] = function countedStatement(...args) {
        sqlTrips += 1;
        return original.apply(this, args);
      };
    };
    for (const name of ['run', 'all', 'get']) countTrip(statementProto, name);
    countTrip(Database.prototype, 'exec');
  } catch {
    sqlTrips = -1;
  }

  let histogram;
  const gc = typeof globalThis.gc === 'function' ? globalThis.gc : undefined;
  const ms = (ns) => Math.round(ns / 1e3) / 1e3;

  const afterFinalizers = () => new Promise((resolve) => setTimeout(resolve, 100));

  process.on('message', async (msg) => {
    if (!msg || typeof msg !== 'object' || typeof msg.probe !== 'string') return;
    const reply = { probe: msg.probe, id: msg.id };
    if (msg.probe === 'sample') {
      if (msg.gc && gc) {
        gc();
        await afterFinalizers();
        gc();
      }
      const mem = process.memoryUsage();
      // Compiled code grows as V8 optimises more functions: not data a call left behind.
      let codeBytes = 0;
      for (const space of getHeapSpaceStatistics()) {
        if (space.space_name.startsWith('code')) codeBytes += space.space_used_size;
      }
      const cpu = process.cpuUsage();
      Object.assign(reply, {
        sqlTrips,
        rss: mem.rss, heapUsed: mem.heapUsed, codeBytes, heapTotal: mem.heapTotal, external: mem.external,
        arrayBuffers: mem.arrayBuffers, gcForced: Boolean(msg.gc && gc), cpuUserUs: cpu.user, cpuSystemUs: cpu.system,
        listeners,
        listenersByKind: Object.fromEntries([...byKind.entries()]
          .flatMap(([kind, events]) => [...events.entries()].map(([name, n]) => [`${kind}:${String(name)}`, n]))
          .sort((a, b) => b[1] - a[1]).slice(0, 30)),
      });
    } else if (msg.probe === 'sql-trips') {
      reply.sqlTrips = sqlTrips;
    } else if (msg.probe === 'heap-snapshot' && typeof msg.path === 'string') {
      if (gc) gc();
      reply.file = writeHeapSnapshot(msg.path);
    } else if (msg.probe === 'eld-start') {
      histogram?.disable();
      histogram = monitorEventLoopDelay({ resolution: 5 });
      histogram.enable();
    } else if (msg.probe === 'eld-stop') {
      if (histogram) {
        histogram.disable();
        Object.assign(reply, {
          eld: { count: histogram.count, p50: ms(histogram.percentile(50)), p99: ms(histogram.percentile(99)), max: ms(histogram.max), mean: ms(histogram.mean) },
        });
        histogram = undefined;
      }
    }
    process.send?.(reply);
  });
  // The IPC channel must not keep the measured process alive once it wants to exit.
  process.channel?.unref();
}
